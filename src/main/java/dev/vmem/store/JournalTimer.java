package dev.vmem.store;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The journal's timed work on one daemon thread: bringing the store head up to date, and the flusher that
 * bounds what acknowledged but unsynced work a crash can take back. {@link #close} lets a run in progress end
 * rather than interrupting it: an interrupt must not land inside the head's fsync.
 */
final class JournalTimer implements AutoCloseable {
    private final ScheduledExecutorService thread;

    /**
     * @param name            the thread's name
     * @param headEveryMs     how often {@code head} runs
     * @param flushEveryMs    how often {@code flush} runs (0: never)
     */
    JournalTimer(String name, Runnable head, long headEveryMs, Runnable flush, long flushEveryMs) {
        this.thread = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named(name));
        thread.scheduleWithFixedDelay(head, headEveryMs, headEveryMs, TimeUnit.MILLISECONDS);
        if (flushEveryMs > 0) {
            thread.scheduleWithFixedDelay(flush, flushEveryMs, flushEveryMs, TimeUnit.MILLISECONDS);
        }
    }

    /** Stops the thread, waiting up to 10 s for a run in progress. */
    @Override
    public void close() {
        DaemonThreads.stop(thread, 10);
    }
}

package dev.vmem.store;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The store's background threads (checkpointer, head keeper and flusher, rotor marks): daemons, so that a
 * store left open never keeps a JVM alive, named after their store, and stopped without interrupts, since an
 * interrupt must not land inside an fsync.
 */
final class DaemonThreads {
    private DaemonThreads() {
    }

    /** A factory of daemon threads called {@code name}. */
    static ThreadFactory named(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Stops {@code executor}, letting a run in progress end, and waits up to {@code seconds} for it.
     *
     * @return whether it stopped in time (false also when the caller was interrupted: the interrupt is kept)
     */
    static boolean stop(ExecutorService executor, long seconds) {
        executor.shutdown();
        try {
            return executor.awaitTermination(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}

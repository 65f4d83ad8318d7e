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
     * Stops {@code executor}, letting a run in progress end, and waits up to {@code seconds} for it, also when
     * the caller is interrupted: a close must not release files a thread still writes. The interrupt is kept.
     *
     * @return whether it stopped in time
     */
    static boolean stop(ExecutorService executor, long seconds) {
        executor.shutdown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return executor.awaitTermination(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

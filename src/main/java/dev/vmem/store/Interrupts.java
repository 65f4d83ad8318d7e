package dev.vmem.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * How the store treats its callers' interrupts ({@code Future.cancel(true)}, an executor's
 * {@code shutdownNow}): never as a reason to fail a call, lose work, stop the store or report damage, and never
 * cleared for good, so that the caller still finds its flag set when the store returns. A NIO
 * {@link FileChannel} closes itself when the thread in it is interrupted, or was before the call, and MapDB then
 * reports its file as damaged. Three answers, decided here and in {@link InterruptSafeChannel}:
 * <ul>
 *   <li>the journal and the head are written through {@link InterruptSafeChannel}, which interrupts cannot close;
 *   <li>{@link #isolated}: work through channels the store does not own (MapDB reading or writing a checkpoint,
 *       {@link #force} of a directory or a checkpoint file) runs on a thread of its own, which no caller's
 *       interrupt reaches, while the caller waits for it whatever interrupts it gets. Repeating such work instead
 *       would not do: under interrupts that come more often than one attempt takes (a checkpoint of a big
 *       store takes a second), no attempt would ever finish;
 *   <li>{@link #deferred}: the public calls that wait (open, checkpoint, backup, verify, diagnose, repair, close)
 *       run with the flag cleared, so that their waits ({@link #pause}, a thread stopping) are not cut short.
 * </ul>
 * That costs a thread start per checkpoint read or write and per directory fsync, all rare; work already on such
 * a thread (a checkpoint write's own fsyncs) runs on it directly.
 */
final class Interrupts {
    /** Work that may fail with {@code E}. */
    @FunctionalInterface
    interface Work<T, E extends Exception> {
        T run() throws E;
    }

    private Interrupts() {
    }

    /**
     * Forces {@code path} (a file, or a directory's entries) through a channel of its own, on a thread of its own:
     * opened for writing if a file (Windows flushes nothing through a handle opened for reading), for reading if a
     * directory (Linux opens it no other way, and needs the fsync).
     */
    static void force(Path path) throws IOException {
        isolated(() -> {
            StandardOpenOption mode = Files.isDirectory(path) ? StandardOpenOption.READ : StandardOpenOption.WRITE;
            try (FileChannel ch = FileChannel.open(path, mode)) {
                ch.force(true);
            }
            return null;
        });
    }

    /**
     * Runs {@code work} on a new daemon thread and returns what it returns, or throws what it throws; the caller
     * waits for it to end whatever interrupts it gets, and finds its flag set after if it was set before or during.
     * Called on such a thread already, runs {@code work} there.
     */
    static <T, E extends Exception> T isolated(Work<T, E> work) throws E {
        if (Thread.currentThread() instanceof Isolated) {
            return work.run();
        }
        FutureTask<T> task = new FutureTask<>(work::run);
        new Isolated(task).start();
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return task.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw Interrupts.<E>thrownBy(e.getCause());
                }
            }
        } finally {
            restore(interrupted);
        }
    }

    /** A thread that no caller holds, so that nothing interrupts it. */
    private static final class Isolated extends Thread {
        Isolated(Runnable task) {
            super(task, "vmem-file-io");
            setDaemon(true);
        }
    }

    /** The work's own failure: unchecked, or the one checked type {@code E} that {@link Work#run} declares. */
    @SuppressWarnings("unchecked")
    private static <E extends Exception> E thrownBy(Throwable cause) {
        if (cause instanceof RuntimeException r) {
            throw r;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        return (E) cause;
    }

    /** Waits {@code nanos}, whatever interrupts come meanwhile; the flag is set after if it was set before or during. */
    static void pause(long nanos) {
        long deadline = System.nanoTime() + nanos;
        boolean interrupted = Thread.interrupted();
        try {
            for (long left = nanos; left > 0; left = deadline - System.nanoTime()) {
                LockSupport.parkNanos(left);
                interrupted |= Thread.interrupted();
            }
        } finally {
            restore(interrupted);
        }
    }

    /** Runs {@code work} with the interrupt flag cleared; the flag is set again after if it was set before or during. */
    static <T> T deferred(Supplier<T> work) {
        boolean interrupted = Thread.interrupted();
        try {
            return work.get();
        } finally {
            restore(interrupted);
        }
    }

    /** As {@link #deferred(Supplier)}, for work without a result. */
    static void runDeferred(Runnable work) {
        deferred(() -> {
            work.run();
            return null;
        });
    }

    private static void restore(boolean interrupted) {
        if (interrupted || Thread.interrupted()) {
            Thread.currentThread().interrupt();
        }
    }
}

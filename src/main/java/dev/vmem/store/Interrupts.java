package dev.vmem.store;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Supplier;

/**
 * How the store treats its callers' interrupts ({@code Future.cancel(true)}, an executor's
 * {@code shutdownNow}): never as a reason to fail an operation, lose work or stop the store, and never cleared
 * for good, so that the caller still finds its flag set when the store returns. A NIO {@link FileChannel} closes
 * itself when the thread in it is interrupted, or was before the call. Four answers, decided here and in
 * {@link InterruptSafeChannel}:
 * <ul>
 *   <li>the journal and the head are written through {@link InterruptSafeChannel}, which interrupts cannot close;
 *   <li>{@link #force} (a directory's entries, a checkpoint file: a fresh channel each time) is repeated when an
 *       interrupt closed its channel;
 *   <li>{@link #retried}: work through channels the store does not own (MapDB reading or writing a checkpoint,
 *       the directory lock) is repeated whole when it failed on an interrupted thread, so that an interrupt is
 *       never taken for a damaged file;
 *   <li>{@link #deferred}: the public calls that do such work (open, checkpoint, backup, verify, diagnose,
 *       repair) or wait for threads (close) run with the flag cleared from their start.
 * </ul>
 * Repeats end after {@value #ATTEMPTS} interrupts in a row, with an exception that says so.
 */
final class Interrupts {
    /** Interrupts in a row that one call survives. */
    static final int ATTEMPTS = 64;

    private Interrupts() {
    }

    /**
     * Forces {@code path} (a file, or a directory's entries) through a channel of its own: opened for writing if a
     * file (Windows flushes nothing through a handle opened for reading), for reading if a directory (Linux opens
     * no other way, and needs the fsync).
     */
    static void force(Path path) throws IOException {
        StandardOpenOption mode = Files.isDirectory(path) ? StandardOpenOption.READ : StandardOpenOption.WRITE;
        boolean interrupted = Thread.interrupted();
        try {
            for (int attempt = 1; ; attempt++) {
                try (FileChannel ch = FileChannel.open(path, mode)) {
                    ch.force(true);
                    return;
                } catch (ClosedChannelException e) { // ClosedByInterruptException: this thread was interrupted
                    interrupted |= Thread.interrupted();
                    if (attempt == ATTEMPTS) {
                        throw e;
                    }
                }
            }
        } finally {
            restore(interrupted);
        }
    }

    /** Work that may be repeated whole, failing with {@code E}. */
    @FunctionalInterface
    interface Work<T, E extends Exception> {
        T run() throws E;
    }

    /**
     * Runs {@code work} on {@code file} through channels the store does not own and an interrupt closes (MapDB's,
     * which then reports the file as damaged or unwritable), repeating it whole with the flag cleared while it
     * fails on an interrupted thread. A failure with the flag clear is the work's own, and is thrown at once.
     *
     * @throws StoreIOException if it failed on an interrupted thread {@value #ATTEMPTS} times in a row: saying so,
     *         rather than that the file is damaged
     */
    static <T, E extends Exception> T retried(Path file, Work<T, E> work) throws E {
        boolean interrupted = Thread.interrupted();
        try {
            for (int attempt = 1; ; attempt++) {
                try {
                    return work.run();
                } catch (Exception e) {
                    if (!Thread.interrupted()) {
                        throw e;
                    }
                    interrupted = true;
                    if (attempt == ATTEMPTS) {
                        throw new StoreIOException(file + " could not be read or written: the thread was interrupted "
                                + ATTEMPTS + " times in a row (" + e + ")", e);
                    }
                }
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

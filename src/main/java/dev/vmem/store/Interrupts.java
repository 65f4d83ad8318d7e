package dev.vmem.store;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Supplier;

/**
 * How the store treats its callers' interrupts ({@code Future.cancel(true)}, an executor's
 * {@code shutdownNow}): never as a reason to fail an operation, lose work or stop the store, and never cleared
 * for good, so that the caller still finds its flag set when the store returns. A NIO {@link FileChannel} closes
 * itself when the thread in it is interrupted, or was before the call. Three answers, decided here and in
 * {@link InterruptSafeChannel}:
 * <ul>
 *   <li>the journal and the head are written through {@link InterruptSafeChannel}, which interrupts cannot close;
 *   <li>{@link #force} (a directory's entries, a checkpoint file: a fresh channel each time) is repeated when an
 *       interrupt closed its channel, up to {@value #ATTEMPTS} times in a row;
 *   <li>{@link #deferred}: work through channels the store does not own (a checkpoint written by MapDB, an open, a
 *       backup, a verify) or that must wait for threads (a close) runs with the flag cleared from its start. An
 *       interrupt arriving during it may still fail a checkpoint, which the store survives (the journal keeps
 *       every record), or a backup, which says so; a close still waits for its threads.
 * </ul>
 */
final class Interrupts {
    /** Interrupts in a row that one {@link #force} survives. */
    static final int ATTEMPTS = 64;

    private Interrupts() {
    }

    /** Forces {@code path} (a file, or a directory's entries) through a channel of its own. */
    static void force(Path path) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            for (int attempt = 1; ; attempt++) {
                try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
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

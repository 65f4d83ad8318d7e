package dev.vmem.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Set;

/**
 * The default {@link StoreFiles.Channel}: a {@link FileChannel} that an interrupt cannot take away. A
 * {@code FileChannel} closes itself when a thread blocked in it is interrupted ({@code Future.cancel(true)}
 * on a caller, an executor shutting down), which would fail the journal for every caller because one was
 * cancelled. Here the caller's interrupt flag is cleared for the call and set again afterwards, and a
 * channel closed by an interrupt that arrived during a call is reopened and the call repeated: every call is
 * positional or absolute (write at a position, grow to a size, truncate to a size, force), so repeating it
 * writes the same bytes to the same place. Thread-safe.
 */
final class InterruptSafeChannel implements StoreFiles.Channel {
    /** A call on the channel. */
    @FunctionalInterface
    private interface Call {
        void on(FileChannel ch) throws IOException;
    }

    private final Path file;
    private volatile FileChannel ch;
    private volatile boolean closed;

    InterruptSafeChannel(Path file) throws IOException {
        this.file = file;
        this.ch = openChannel();
    }

    private static final Set<StandardOpenOption> OPTIONS = EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.READ);

    private FileChannel openChannel() throws IOException {
        return FileChannel.open(file, OPTIONS, FileModes.forFile(file));
    }

    /** Interrupts in a row that one call survives: each reopens the channel and repeats the call. */
    private static final int ATTEMPTS = 64;

    /** Runs {@code call} with the interrupt flag cleared, repeating it on a channel an interrupt closed. */
    private void run(Call call) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            for (int attempt = 1; ; attempt++) {
                FileChannel used = ch;
                try {
                    call.on(used);
                    return;
                } catch (ClosedChannelException e) {
                    // Closed by an interrupt: of this thread during the call (ClosedByInterruptException), of
                    // another thread using the channel (AsynchronousCloseException) or before this call began.
                    interrupted |= Thread.interrupted();
                    if (attempt == ATTEMPTS) {
                        throw e;
                    }
                    reopen(used, e);
                }
            }
        } finally {
            if (interrupted || Thread.interrupted()) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A fresh channel in place of {@code broken}, unless this channel was closed on purpose. */
    private synchronized void reopen(FileChannel broken, ClosedChannelException cause) throws IOException {
        if (closed) {
            throw cause;
        }
        if (ch == broken) {
            ch = openChannel();
        }
    }

    @Override
    public void write(ByteBuffer bytes, long position) throws IOException {
        int start = bytes.position();
        run(c -> {
            bytes.position(start);
            for (long at = position; bytes.hasRemaining(); ) {
                at += c.write(bytes, at);
            }
        });
    }

    @Override
    public void extend(long size) throws IOException {
        run(c -> {
            for (long at = c.size(); at < size; ) {
                ByteBuffer zeros = StoreFiles.ZEROS.duplicate();
                zeros.limit((int) Math.min(zeros.capacity(), size - at));
                at += c.write(zeros, at);
            }
        });
    }

    @Override
    public void force() throws IOException {
        run(c -> c.force(true));
    }

    @Override
    public void truncate(long size) throws IOException {
        run(c -> c.truncate(size));
    }

    @Override
    public long size() throws IOException {
        long[] size = new long[1];
        run(c -> size[0] = c.size());
        return size[0];
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        ch.close();
    }
}

package dev.vmem.store;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.SyncFailedException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The default {@link StoreFiles.Channel}: a file that its callers' interrupts cannot close. A NIO
 * {@code FileChannel} closes itself when a thread in it is interrupted ({@code Future.cancel(true)} on a caller,
 * an executor shutting down), or was before the call. Reopening it and repeating the call is not enough: under
 * interrupts that come more often than an fsync takes, no repeat would ever finish, and the journal would fail
 * for every caller because some were cancelled. So the file is a {@link RandomAccessFile}, whose writes, size
 * changes and {@link java.io.FileDescriptor#sync() fsync} are plain system calls that an interrupt neither stops
 * nor turns into a closed file; the caller's interrupt flag is left as it was.
 *
 * <p>Thread-safety: writes, size changes and {@link #size} are serialised on this object (a positional write is a
 * seek and a write on the file's one offset); {@link #force} runs beside them, as an fsync may. {@link #close}
 * must not run beside another call: the store closes a journal file only while no fsync is under way.
 */
final class InterruptSafeChannel implements StoreFiles.Channel {
    /** The zeros that {@link #extend} writes, a chunk at a time. */
    private static final byte[] ZEROS = new byte[64 * 1024];

    private final Path path;
    private final RandomAccessFile file;
    /** Where the file's offset stands, so that writes in sequence (the journal's) need no seek; -1 if unknown. */
    private long offset;
    private volatile boolean closed;

    InterruptSafeChannel(Path path) throws IOException {
        try {
            Files.createFile(path, FileModes.forFile(path)); // owner-only, as a RandomAccessFile cannot create it
        } catch (FileAlreadyExistsException e) {
            // Opening an existing file is what the caller asked for as well.
        }
        this.path = path;
        this.file = new RandomAccessFile(path.toFile(), "rw");
    }

    @Override
    public synchronized void write(ByteBuffer bytes, long position) throws IOException {
        ensureOpen();
        int length = bytes.remaining();
        byte[] array;
        int from;
        if (bytes.hasArray()) {
            array = bytes.array();
            from = bytes.arrayOffset() + bytes.position();
        } else {
            array = new byte[length];
            bytes.duplicate().get(array);
            from = 0;
        }
        writeAt(array, from, length, position);
        bytes.position(bytes.limit());
    }

    @Override
    public synchronized void extend(long size) throws IOException {
        ensureOpen();
        for (long at = file.length(); at < size; ) {
            int chunk = (int) Math.min(ZEROS.length, size - at);
            writeAt(ZEROS, 0, chunk, at);
            at += chunk;
        }
    }

    private void writeAt(byte[] array, int from, int length, long position) throws IOException {
        if (offset != position) {
            offset = -1; // a seek that fails leaves the offset unknown
            file.seek(position);
        }
        offset = -1; // as does a write that fails part-way
        file.write(array, from, length);
        offset = position + length;
    }

    @Override
    public void force() throws IOException {
        ensureOpen();
        try {
            file.getFD().sync();
        } catch (SyncFailedException e) { // its message is only "sync failed"
            throw new IOException("fsync of " + path + " failed", e);
        }
    }

    /** Cuts the file to {@code size} bytes; a file no longer than that is left as it is. */
    @Override
    public synchronized void truncate(long size) throws IOException {
        ensureOpen();
        if (size < file.length()) {
            offset = -1;
            file.setLength(size);
        }
    }

    @Override
    public synchronized long size() throws IOException {
        ensureOpen();
        return file.length();
    }

    private void ensureOpen() throws ClosedChannelException {
        if (closed) {
            throw new ClosedChannelException();
        }
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        file.close();
    }
}

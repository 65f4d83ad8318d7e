package dev.vmem.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * How the journal touches its files: the seam where tests inject write and sync failures. The default
 * is a plain {@link FileChannel}.
 */
interface JournalFiles {

    /**
     * An open journal segment, written only at its write position: the end of its last record, which
     * is the end of the file unless zeros were added past it by {@link #extend}.
     */
    interface Segment extends AutoCloseable {
        void write(ByteBuffer bytes) throws IOException;

        /** Grows the file to {@code size} bytes with zeros; the write position stays where it is. */
        void extend(long size) throws IOException;

        void force() throws IOException;

        void truncate(long size) throws IOException;

        long size() throws IOException;

        @Override
        void close() throws IOException;
    }

    Segment open(Path file) throws IOException;

    /** Read-only, so that concurrent {@link Segment#extend} calls can share it through duplicates. */
    ByteBuffer ZEROS = ByteBuffer.allocateDirect(64 * 1024).asReadOnlyBuffer();

    JournalFiles DEFAULT = file -> {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ);
        ch.position(ch.size());
        return new Segment() {
            @Override
            public void write(ByteBuffer bytes) throws IOException {
                while (bytes.hasRemaining()) {
                    ch.write(bytes);
                }
            }

            @Override
            public void extend(long size) throws IOException {
                for (long at = ch.size(); at < size; ) {
                    ByteBuffer zeros = ZEROS.duplicate();
                    zeros.limit((int) Math.min(zeros.capacity(), size - at));
                    at += ch.write(zeros, at);
                }
            }

            @Override
            public void force() throws IOException {
                ch.force(false);
            }

            @Override
            public void truncate(long size) throws IOException {
                ch.truncate(size);
                ch.position(size);
            }

            @Override
            public long size() throws IOException {
                return ch.size();
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    };
}

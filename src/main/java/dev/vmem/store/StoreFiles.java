package dev.vmem.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Every change the store makes to its files and directories goes through here: the seam where tests
 * inject write, fsync and space failures, and record what a power loss could leave behind. The default,
 * {@link #DEFAULT}, is NIO, with file channels that an interrupted caller cannot close
 * ({@link InterruptSafeChannel}).
 *
 * <p>What survives a power loss is what the POSIX contract promises and no more: a file's bytes once
 * {@link Channel#force} returns, and a created, renamed or removed name once {@link #syncDirectory} of its
 * directory returns. Callers follow that contract; nothing here is durable by itself.
 */
interface StoreFiles {

    /** An open file. Reads go through plain NIO; only changes pass here. */
    interface Channel extends AutoCloseable {
        /** Writes all of {@code bytes} at {@code position}. */
        void write(ByteBuffer bytes, long position) throws IOException;

        /** Grows the file to {@code size} bytes with zeros. */
        void extend(long size) throws IOException;

        /** Makes the file's bytes (and its size) durable. */
        void force() throws IOException;

        void truncate(long size) throws IOException;

        long size() throws IOException;

        @Override
        void close() throws IOException;
    }

    /** Opens {@code file} for writing, creating it (empty) if it does not exist. */
    Channel open(Path file) throws IOException;

    void createDirectory(Path dir) throws IOException;

    /** Removes {@code file} if it exists. */
    void delete(Path file) throws IOException;

    /** Renames {@code from} to {@code to} atomically, replacing {@code to}. */
    void move(Path from, Path to) throws IOException;

    /** Makes the names created, renamed and removed in {@code dir} durable. */
    void syncDirectory(Path dir) throws IOException;

    /**
     * Told after {@code file} was written whole and forced by code that does not write through this
     * layer (MapDB, which writes the checkpoints); its content is now durable.
     */
    void writtenOutside(Path file) throws IOException;

    /** The bytes this process may still write on the file system holding {@code dir}. */
    long usableSpace(Path dir) throws IOException;

    /** Read-only, so that concurrent {@link Channel#extend} calls can share it through duplicates. */
    ByteBuffer ZEROS = ByteBuffer.allocateDirect(64 * 1024).asReadOnlyBuffer();

    StoreFiles DEFAULT = new StoreFiles() {
        @Override
        public Channel open(Path file) throws IOException {
            return new InterruptSafeChannel(file);
        }

        @Override
        public void createDirectory(Path dir) throws IOException {
            Files.createDirectory(dir, FileModes.forDirectory(dir));
        }

        @Override
        public void delete(Path file) throws IOException {
            Files.deleteIfExists(file);
        }

        @Override
        public void move(Path from, Path to) throws IOException {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }

        @Override
        public void syncDirectory(Path dir) throws IOException {
            try {
                Interrupts.force(dir);
            } catch (IOException e) {
                // Some platforms cannot open a directory; on Linux this works and matters.
                if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
                    throw e;
                }
            }
        }

        @Override
        public void writtenOutside(Path file) {
        }

        @Override
        public long usableSpace(Path dir) throws IOException {
            return Files.getFileStore(dir).getUsableSpace();
        }
    };
}

package dev.vmem.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;

/**
 * One opener at a time: an OS lock on the store's LOCK file, released when the process dies, and a
 * registry of the stores this JVM has open. The registry is checked first so that a second opener in
 * the same JVM never opens the LOCK file: on Linux, closing any descriptor of a file drops the
 * process's POSIX locks on it, which would unlock the first opener.
 */
final class DirectoryLock implements AutoCloseable {
    private static final Set<Path> OPEN_HERE = new HashSet<>();

    private final Path key;
    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(Path key, FileChannel channel, FileLock lock) {
        this.key = key;
        this.channel = channel;
        this.lock = lock;
    }

    static DirectoryLock acquire(Path dir) throws IOException {
        Path key = dir.toRealPath();
        synchronized (OPEN_HERE) {
            if (!OPEN_HERE.add(key)) {
                throw new StoreLockedException("store is locked: " + dir + " is already open in this process");
            }
        }
        FileChannel ch = null;
        try {
            Path file = dir.resolve(StoreFormat.LOCK_FILE);
            ch = FileChannel.open(file, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                    FileModes.forFile(file));
            FileLock lock = ch.tryLock();
            if (lock == null) {
                throw new StoreLockedException("store is locked: " + dir + " is open in another process");
            }
            return new DirectoryLock(key, ch, lock);
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                ch.close();
            }
            synchronized (OPEN_HERE) {
                OPEN_HERE.remove(key);
            }
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
            channel.close();
        } finally {
            synchronized (OPEN_HERE) {
                OPEN_HERE.remove(key);
            }
        }
    }
}

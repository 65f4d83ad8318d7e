package dev.vmem.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The fault injector: journal files whose writes, fsyncs and truncations fail on demand, over the real files, and
 * that count what they do. {@link #hooks} plugs them into a store through {@link StoreHooks}.
 */
final class FaultyFiles implements StoreFiles {
    /** How much of a failing write reaches the file before the write reports its failure. */
    enum WriteFault {
        NOTHING_WRITTEN, HALF_WRITTEN, ALL_WRITTEN
    }

    final AtomicInteger writesToFail = new AtomicInteger();
    volatile WriteFault writeFault = WriteFault.NOTHING_WRITTEN;
    final AtomicInteger forcesToFail = new AtomicInteger();
    /** Let this many forces succeed before the armed failures start. */
    final AtomicInteger forcesBeforeFailing = new AtomicInteger();
    /** On a failing fsync, also drop what was written since the last good one (the kernel lost the pages). */
    volatile boolean dropUnsyncedOnForceFailure;
    volatile boolean failTruncate;
    /** Directory fsyncs to fail (a segment roll's, a checkpoint's), as a disk that refuses new entries does. */
    final AtomicInteger directorySyncsToFail = new AtomicInteger();
    volatile long forceDelayNanos;
    /**
     * A small file system: the bytes the store's files may still grow by. Growing past it fails as a full
     * disk does (nothing written); shrinking and deleting files give bytes back. Unlimited by default.
     */
    final AtomicLong freeBytes = new AtomicLong(Long.MAX_VALUE / 4);
    final AtomicLong writes = new AtomicLong();
    final AtomicLong forces = new AtomicLong();
    final AtomicLong failedWrites = new AtomicLong();
    final AtomicLong failedForces = new AtomicLong();

    void failNextWrite(WriteFault fault) {
        writeFault = fault;
        writesToFail.set(1);
    }

    void failForcesAfter(int good, int count) {
        forcesBeforeFailing.set(good);
        forcesToFail.set(count);
    }

    /** These files with the real checkpoint writer. */
    StoreHooks hooks() {
        return new StoreHooks(this, Checkpoint::write);
    }

    private static boolean take(AtomicInteger counter) {
        return counter.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
    }

    /** Takes {@code size - current} bytes from {@link #freeBytes} (gives them back when negative), or fails. */
    private void resize(long current, long size) throws IOException {
        long grow = size - current;
        if (grow > 0 && freeBytes.getAndUpdate(f -> f >= grow ? f - grow : f) < grow) {
            throw new IOException("No space left on device (injected: " + freeBytes.get() + " bytes free, "
                    + grow + " needed)");
        }
        if (grow < 0) {
            freeBytes.addAndGet(-grow);
        }
    }

    @Override
    public Channel open(Path file) throws IOException {
        Channel d = DEFAULT.open(file);
        // The write position, and where it was at the last good fsync (the file may run on in zeros).
        AtomicLong end = new AtomicLong(d.size());
        AtomicLong synced = new AtomicLong(d.size());
        return new Channel() {
            @Override
            public void write(ByteBuffer bytes, long position) throws IOException {
                if (take(writesToFail)) {
                    failedWrites.incrementAndGet();
                    int n = switch (writeFault) {
                        case NOTHING_WRITTEN -> 0;
                        case HALF_WRITTEN -> bytes.remaining() / 2;
                        case ALL_WRITTEN -> bytes.remaining();
                    };
                    ByteBuffer part = bytes.duplicate();
                    part.limit(part.position() + n);
                    d.write(part, position);
                    end.set(position + n);
                    throw new IOException("injected write failure (" + writeFault + ")");
                }
                long size = d.size();
                resize(size, Math.max(size, position + bytes.remaining()));
                writes.incrementAndGet();
                end.set(position + bytes.remaining());
                d.write(bytes, position);
            }

            @Override
            public void extend(long size) throws IOException {
                resize(d.size(), Math.max(d.size(), size));
                d.extend(size);
            }

            @Override
            public void force() throws IOException {
                if (forceDelayNanos > 0) {
                    LockSupport.parkNanos(forceDelayNanos);
                }
                if (!take(forcesBeforeFailing) && take(forcesToFail)) {
                    failedForces.incrementAndGet();
                    if (dropUnsyncedOnForceFailure) {
                        d.truncate(synced.get());
                    }
                    throw new IOException("injected fsync failure");
                }
                d.force();
                forces.incrementAndGet();
                synced.set(end.get());
            }

            @Override
            public void truncate(long size) throws IOException {
                if (failTruncate) {
                    throw new IOException("injected truncate failure");
                }
                resize(d.size(), Math.min(d.size(), size));
                d.truncate(size);
                end.set(size);
                synced.set(Math.min(synced.get(), size));
            }

            @Override
            public long size() throws IOException {
                return d.size();
            }

            @Override
            public void close() throws IOException {
                d.close();
            }
        };
    }

    @Override
    public void createDirectory(Path dir) throws IOException {
        DEFAULT.createDirectory(dir);
    }

    @Override
    public void delete(Path file) throws IOException {
        if (java.nio.file.Files.isRegularFile(file)) {
            resize(java.nio.file.Files.size(file), 0);
        }
        DEFAULT.delete(file);
    }

    @Override
    public void move(Path from, Path to) throws IOException {
        DEFAULT.move(from, to);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        if (take(directorySyncsToFail)) {
            throw new IOException("Input/output error (injected: fsync of directory " + dir + ")");
        }
        DEFAULT.syncDirectory(dir);
    }

    @Override
    public void writtenOutside(Path file) throws IOException {
        DEFAULT.writtenOutside(file);
    }

    @Override
    public long usableSpace(Path dir) throws IOException {
        return Math.min(freeBytes.get(), DEFAULT.usableSpace(dir));
    }
}

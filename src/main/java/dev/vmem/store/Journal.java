package dev.vmem.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The write-ahead journal: append-only segments of checksummed records (layout: {@link StoreFormat}),
 * the store's durability point.
 *
 * <h2>Assumptions and guarantees</h2>
 * {@link #append} is called by one thread at a time (the store serialises mutations); {@link #sync}
 * by any number at once. A record is durable once {@code sync(seq)} returns. Concurrent callers share
 * fsyncs (group commit): one caller forces the file for every record written before it started, the
 * others wait for it. After a failed write the file is cut back to the last whole record, and the
 * journal carries on; after a failed fsync nothing about the file can be trusted (the kernel may have
 * dropped the dirty pages), so the journal fails every later call and the store must be reopened.
 */
final class Journal implements AutoCloseable {
    /*
     * Preallocation. An fsync of a file that grew must also commit the new size (a file-system journal
     * commit and a second flush), which on ext4 costs about 40% more than an fsync of bytes written
     * over blocks the file already has. So the current segment is grown with zeros a chunk at a time,
     * ahead of the records: most group commits then write data only, and the one after each chunk
     * carries the size change for the next few thousand records. A crash leaves zeros after the last
     * record of the last segment, which recovery reads as the end of the journal (a torn tail); a
     * segment is cut back to its last record when it is closed or rolled over, so that every segment
     * but the last ends exactly at a record, as the format requires.
     */
    static final long PREALLOCATE_BYTES = 1 << 20;

    private final Path dir;
    private final JournalFiles files;
    private final long segmentBytes;

    /** Segments on disk, oldest first: their first sequence numbers. */
    private final Deque<Long> segments = new ArrayDeque<>();
    private JournalFiles.Segment current;
    private long position;
    /** The size of the current segment's file: its records, then zeros up to here. */
    private long allocated;
    private long nextSeq;
    private volatile long writtenSeq;

    private final ReentrantLock syncLock = new ReentrantLock();
    private final Condition synced = syncLock.newCondition();
    private long durableSeq;
    private boolean syncing;
    private IOException failure;

    /**
     * Opens the journal for appending after recovery has read it.
     *
     * @param segmentFirstSeqs existing segments, oldest first (the last one may be appended to)
     * @param nextSeq          the sequence number the next record gets
     * @param tailSize         the valid length of the last segment (anything after it is cut off)
     */
    Journal(Path dir, JournalFiles files, long segmentBytes, Deque<Long> segmentFirstSeqs, long nextSeq, long tailSize)
            throws IOException {
        this.dir = dir;
        this.files = files;
        this.segmentBytes = segmentBytes;
        this.nextSeq = nextSeq;
        this.writtenSeq = nextSeq - 1;
        this.durableSeq = nextSeq - 1;
        this.segments.addAll(segmentFirstSeqs);
        if (segments.isEmpty()) {
            startSegment();
        } else {
            current = files.open(dir.resolve(StoreFormat.segmentName(segments.getLast())));
            if (current.size() != tailSize) {
                current.truncate(tailSize);
                current.force();
            }
            position = tailSize;
            allocated = tailSize;
        }
    }

    /** The sequence number of the newest record written (durable or not). */
    long writtenSeq() {
        return writtenSeq;
    }

    /**
     * Writes one record. Not durable until {@link #sync}. Called by one thread at a time.
     *
     * @return its sequence number
     * @throws IOException if the write failed; the journal is then as it was before the call
     */
    long append(byte[] payload) throws IOException {
        checkHealthy();
        if (position >= segmentBytes) {
            rollOver();
        }
        long seq = nextSeq;
        ByteBuffer frame = ByteBuffer.allocate(StoreFormat.RECORD_HEADER_BYTES + payload.length);
        frame.putInt(payload.length)
                .putInt(StoreFormat.recordCrc(payload.length, seq, payload, 0, payload.length))
                .putLong(seq)
                .put(payload)
                .flip();
        long end = position + frame.limit();
        try {
            if (end > allocated && end < segmentBytes) {
                long size = Math.min(segmentBytes, end + PREALLOCATE_BYTES);
                current.extend(size);
                allocated = size;
            }
            current.write(frame);
        } catch (IOException e) {
            try {
                current.truncate(position);
                allocated = position;
            } catch (IOException cut) {
                e.addSuppressed(cut);
                fail(e);
            }
            throw e;
        }
        position = end;
        allocated = Math.max(allocated, end);
        nextSeq = seq + 1;
        writtenSeq = seq;
        return seq;
    }

    /** Returns once record {@code seq} and all before it are on disk. */
    void sync(long seq) throws IOException {
        syncLock.lock();
        try {
            while (durableSeq < seq) {
                checkHealthy();
                if (syncing) {
                    synced.awaitUninterruptibly();
                    continue;
                }
                syncing = true;
                long target = writtenSeq;
                JournalFiles.Segment segment = current;
                IOException error = null;
                // fsync without the lock, so that writers and new waiters queue up behind this one.
                syncLock.unlock();
                try {
                    segment.force();
                } catch (IOException e) {
                    error = e;
                } finally {
                    syncLock.lock();
                }
                syncing = false;
                synced.signalAll();
                if (error != null) {
                    fail(error);
                    throw error;
                }
                durableSeq = Math.max(durableSeq, target);
            }
        } finally {
            syncLock.unlock();
        }
    }

    /** Starts a new segment once the current one is full; everything in the old one is made durable. */
    private void rollOver() throws IOException {
        syncLock.lock();
        try {
            while (syncing) {
                synced.awaitUninterruptibly();
            }
            checkHealthy();
            try {
                trim();
                current.force();
            } catch (IOException e) {
                fail(e);
                throw e;
            }
            durableSeq = writtenSeq;
            current.close();
            startSegment();
        } finally {
            syncLock.unlock();
        }
    }

    private void startSegment() throws IOException {
        long first = nextSeq;
        Path file = dir.resolve(StoreFormat.segmentName(first));
        JournalFiles.Segment seg = files.open(file);
        seg.truncate(0);
        seg.write(StoreFormat.segmentHeader(first));
        seg.force();
        syncDirectory(dir);
        current = seg;
        position = StoreFormat.SEGMENT_HEADER_BYTES;
        allocated = position;
        segments.addLast(first);
    }

    /** Cuts the zeros after the last record off the current segment (not durable until forced). */
    private void trim() throws IOException {
        if (allocated > position) {
            current.truncate(position);
            allocated = position;
        }
    }

    /**
     * Deletes every segment all of whose records have sequence numbers at or below {@code seq}: they
     * are in a verified checkpoint (and in the older one too). The current segment is never deleted.
     */
    void deleteThrough(long seq) throws IOException {
        syncLock.lock();
        try {
            while (segments.size() > 1) {
                long first = segments.removeFirst();
                if (segments.getFirst() - 1 > seq) {
                    segments.addFirst(first);
                    break;
                }
                Files.deleteIfExists(dir.resolve(StoreFormat.segmentName(first)));
            }
        } finally {
            syncLock.unlock();
        }
    }

    /** Number of segment files, for tests and statistics. */
    int segmentCount() {
        syncLock.lock();
        try {
            return segments.size();
        } finally {
            syncLock.unlock();
        }
    }

    private void checkHealthy() throws IOException {
        syncLock.lock();
        try {
            if (failure != null) {
                throw new IOException("the journal failed earlier and accepts no more work; reopen the store",
                        failure);
            }
        } finally {
            syncLock.unlock();
        }
    }

    private void fail(IOException e) {
        syncLock.lock();
        try {
            if (failure == null) {
                failure = e;
            }
        } finally {
            syncLock.unlock();
        }
    }

    boolean failed() {
        syncLock.lock();
        try {
            return failure != null;
        } finally {
            syncLock.unlock();
        }
    }

    @Override
    public void close() throws IOException {
        syncLock.lock();
        try {
            while (syncing) {
                synced.awaitUninterruptibly();
            }
            if (failure == null) {
                trim();
                current.force();
                durableSeq = writtenSeq;
            }
            current.close();
        } finally {
            syncLock.unlock();
        }
    }

    /** fsyncs a directory so that a file created or deleted in it survives a crash. */
    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms cannot open a directory; on Linux this works and matters.
            if (System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
                throw e;
            }
        }
    }
}

package dev.vmem.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The write-ahead journal: append-only segments of checksummed records (layout: {@link StoreFormat}),
 * the store's durability point.
 *
 * <h2>Assumptions and guarantees</h2>
 * {@link #append} is called by one thread at a time (the store serialises mutations); {@link #sync}
 * by any number at once. A record is durable once {@code sync(seq)} returns. Concurrent callers share
 * fsyncs (group commit): one caller forces the file for every record written before it started, the
 * others wait for it without holding any lock, and wake when an fsync covers them (see
 * {@link #gather} for when the next fsync starts). After a failed write the file is cut back to the last
 * whole record, and the journal carries on; after a failed fsync nothing about the file can be trusted
 * (the kernel may have dropped the dirty pages), so the journal fails every later call and the store
 * must be reopened.
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
    /** Signalled when an fsync ends: rollover and close wait for the one running. */
    private final Condition synced = syncLock.newCondition();
    /** Signalled when the record that ends a gathering is written. */
    private final Condition gathered = syncLock.newCondition();
    /** Callers parked until an fsync covers their record. */
    private final List<Waiter> waiters = new ArrayList<>();
    private volatile long durableSeq;
    /** A caller is gathering records for an fsync or running it. */
    private boolean syncing;
    /** The sequence number whose writing ends a gathering (see {@link #gather}). */
    private long gatherUntil;
    /** How long an fsync takes, smoothed over the last few. */
    private long forceNanos;
    private volatile IOException failure;

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
        ByteBuffer frame = StoreFormat.record(seq, payload);
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
        assert seq <= writtenSeq : "seq=" + seq + " is not written yet (writtenSeq=" + writtenSeq + ")";
        boolean interrupted = false;
        try {
            while (durableSeq < seq) {
                Waiter waiter;
                syncLock.lock();
                try {
                    if (durableSeq >= seq) {
                        return;
                    }
                    checkHealthy();
                    if (!syncing) {
                        groupCommit();
                        continue;
                    }
                    waiter = new Waiter(Thread.currentThread(), seq);
                    waiters.add(waiter);
                    if (seq >= gatherUntil) {
                        gathered.signal();
                    }
                } finally {
                    syncLock.unlock();
                }
                while (!waiter.woken) {
                    LockSupport.park(this);
                    interrupted |= Thread.interrupted();
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A caller of {@link #sync} parked until an fsync covers its record or it is to run the next one. */
    private static final class Waiter {
        final Thread thread;
        final long seq;
        volatile boolean woken;

        Waiter(Thread thread, long seq) {
            this.thread = thread;
            this.seq = seq;
        }
    }

    /**
     * Runs one fsync for every record written so far and wakes the callers it covers, plus one that
     * it does not (to run the next fsync). Called with the lock held and no fsync running; releases
     * the lock while forcing, so that writers and new waiters queue up behind this one.
     */
    private void groupCommit() throws IOException {
        syncing = true;
        gather();
        long target = writtenSeq;
        JournalFiles.Segment segment = current;
        IOException error = null;
        long started = System.nanoTime();
        syncLock.unlock();
        try {
            segment.force();
        } catch (IOException e) {
            error = e;
        } finally {
            syncLock.lock();
        }
        forceNanos += (System.nanoTime() - started - forceNanos) / 4;
        syncing = false;
        synced.signalAll();
        long batch = target - durableSeq;
        if (error == null) {
            durableSeq = target;
            gatherUntil = writtenSeq + batch;
        } else {
            fail(error);
        }
        release();
        if (error != null) {
            throw error;
        }
    }

    /**
     * Wakes the waiters whose records are durable, and one whose record is not, to run the next fsync
     * (all of them once the journal has failed, to report it). Called with the lock held and no fsync
     * running.
     */
    private void release() {
        boolean leaderWoken = false;
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (w.seq <= durableSeq || failure != null || !leaderWoken) {
                leaderWoken |= w.seq > durableSeq;
                it.remove();
                w.woken = true;
                LockSupport.unpark(w.thread);
            }
        }
    }

    /**
     * Before an fsync: waits, for at most half an fsync, until as many records are waiting as the last
     * fsync covered plus those written while it ran. With a steady set of callers that is all of them:
     * the callers the last fsync released have written again, and one fsync covers everyone. Forcing
     * at once would cover only the callers that wrote while the last fsync ran; with N callers in a
     * loop the fsyncs then take turns between two halves of N and each caller waits for two of them
     * (measured on 2 cores, 8 callers: 4 records per fsync against 8). A lone caller finds its own
     * record is the whole target and does not wait. The cost, when callers do not come back (fewer
     * of them, or work between operations), is at most half an fsync of extra latency, after which
     * the target follows the smaller batch.
     */
    private void gather() {
        long deadline = System.nanoTime() + forceNanos / 2;
        while (writtenSeq < gatherUntil) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                gathered.awaitNanos(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
    }

    /**
     * Cuts the current segment back to its last record and forces it, then wakes the callers that force
     * covered; a failure stops the journal. The sync lock is held and no fsync is running.
     */
    private void finishSegment() throws IOException {
        try {
            trim();
            current.force();
            durableSeq = writtenSeq;
        } catch (IOException e) {
            fail(e);
            throw e;
        } finally {
            release();
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
            finishSegment();
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
        StoreDirectory.sync(dir);
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

    private void checkHealthy() throws IOException {
        IOException f = failure;
        if (f != null) {
            throw new IOException("the journal failed earlier and accepts no more work; reopen the store", f);
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
        return failure != null;
    }

    @Override
    public void close() throws IOException {
        syncLock.lock();
        try {
            while (syncing) {
                synced.awaitUninterruptibly();
            }
            if (failure == null) {
                finishSegment();
            }
            current.close();
        } finally {
            syncLock.unlock();
        }
    }
}

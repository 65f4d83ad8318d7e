package dev.vmem.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write-ahead journal: append-only segment files of checksummed records (layout: {@link StoreFormat}),
 * the store's durability point, and the store head that records how far it reached. Fsyncs are shared
 * between callers by its {@link GroupCommit}.
 *
 * <h2>Assumptions and guarantees</h2>
 * {@link #append} is called by one thread at a time (the store serialises mutations); {@link #sync} and
 * {@link #flush} by any number at once. A record is durable once {@code sync(seq)} returns. A record appended
 * as {@code buffered} waits in the journal's buffer until the buffer fills, a record that is not buffered
 * follows it, or a flush; buffered records reach the file in their order, before any later record, so every
 * crash leaves a prefix. A failed write of buffered records (acknowledged already) fails the journal.
 * After a failed write the file is cut back to the last whole record, and the journal carries on; after a
 * failed fsync, or a failed cut, the journal fails every later call and the store must be reopened. The
 * head is brought up to date at every segment roll, at every checkpoint and every
 * {@link #HEAD_INTERVAL_MS} ms while records become durable; a segment the head names is never deleted.
 */
final class Journal {
    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);

    /** Space held back for units that only give space back (see {@link SegmentSpace}). */
    static final long RESERVE_BYTES = SegmentSpace.RESERVE_BYTES;
    /** The preallocation chunk (see {@link SegmentSpace}). */
    static final long PREALLOCATE_BYTES = SegmentSpace.PREALLOCATE_BYTES;
    /** The head is brought up to date at least this often while records become durable. */
    static final long HEAD_INTERVAL_MS = 1000;
    /** The buffer of records appended as buffered: written out when full (or earlier). */
    static final int BUFFER_BYTES = 256 << 10;

    private final Path dir;
    private final StoreFiles files;
    private final StoreHead head;

    /** Segments on disk, oldest first: their first sequence numbers. Guards rolls against deletions. */
    private final Deque<Long> segments = new ArrayDeque<>();
    private StoreFiles.Channel current;
    /** Where the next write goes in the current segment: the end of its records written so far. */
    private long position;
    /**
     * Guards writes to the current segment: an append and a flush of the buffer from another thread. Fair,
     * so that a busy appender cannot keep the flusher out for longer than the flush interval.
     */
    private final ReentrantLock writes = new ReentrantLock(true);
    /** Records appended as buffered and not yet written: they go at {@link #position}. */
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);
    /** The sequence number of the newest record appended, written or buffered. */
    private volatile long appendedSeq;
    /** The newest record of a unit acknowledged before its fsync: the head records it (see {@link StoreHead}). */
    private volatile long acknowledgedSeq;
    /** The room ahead of the records in the current segment. */
    private final SegmentSpace space;
    private long nextSeq;
    private volatile long writtenSeq;
    /** Every record up to here is in both checkpoint generations. */
    private volatile long coveredSeq;
    /** A checkpoint asked for a new segment, so that the records it covers can be deleted soon. */
    private volatile boolean rollRequested;
    private final SegmentRolls rolls;
    private final GroupCommit commits;
    private final JournalTimer timer;

    /**
     * Opens the journal for appending after recovery has read it: discards what the scan found to be
     * never written, cuts the tail it found never durable, forces what is left (what recovery replayed
     * must survive a power loss before new work builds on it) and brings the head up to date. A flusher
     * makes every record appended durable at least every {@code flushIntervalMs}.
     */
    Journal(Path dir, StoreFiles files, long segmentBytes, JournalReader.Scan scan, StoreHead head,
            long flushIntervalMs, StoreCounters counters) throws IOException {
        this.dir = dir;
        this.files = files;
        this.space = new SegmentSpace(dir, files, segmentBytes);
        this.rolls = new SegmentRolls(dir, segmentBytes, System::nanoTime);
        this.head = head;
        this.nextSeq = scan.nextSeq();
        this.writtenSeq = nextSeq - 1;
        this.appendedSeq = writtenSeq;
        this.commits = new GroupCommit(new GroupCommit.Log() {
            @Override
            public long writtenSeq() {
                return writtenSeq;
            }

            @Override
            public StoreFiles.Channel current() {
                return current;
            }
        }, nextSeq - 1, counters);
        for (Path p : scan.discard()) {
            files.delete(p);
        }
        if (!scan.discard().isEmpty()) {
            files.syncDirectory(dir);
        }
        this.segments.addAll(scan.segments());
        if (segments.isEmpty() || scan.tailVersion() != StoreFormat.VERSION) {
            if (!segments.isEmpty() && scan.tailSize() <= StoreFormat.SEGMENT_HEADER_BYTES) {
                segments.removeLast(); // an older-format segment without a record: rewritten below, in this format
            } else if (!segments.isEmpty()) {
                try (StoreFiles.Channel old = files.open(segmentFile(segments.getLast()))) {
                    old.truncate(scan.tailSize());
                    old.force();
                }
            }
            startSegment();
        } else {
            current = files.open(segmentFile(segments.getLast()));
            if (current.size() != scan.tailSize()) {
                current.truncate(scan.tailSize());
            }
            current.force();
            position = scan.tailSize();
            space.follow(current, position);
        }
        head.reopened(writtenSeq, segments.getLast());
        this.timer = new JournalTimer("vmem-head " + dir.getParent().getFileName(), this::updateHead,
                HEAD_INTERVAL_MS, this::flushAndSync, flushIntervalMs);
    }

    /**
     * The flusher: makes every record appended so far durable, so that acknowledged work that was not
     * synced (buffered or only written) is at risk for at most one interval.
     */
    private void flushAndSync() {
        long seq = appendedSeq;
        if (seq <= commits.durableSeq() || commits.failed()) {
            return;
        }
        try {
            sync(seq);
        } catch (IOException | RuntimeException e) {
            LOG.error("journal {}: the background flush failed; acknowledged work since sequence {} may be lost"
                    + " and the store stops: {}", dir, commits.durableSeq(), e.toString());
        }
    }

    private Path segmentFile(long first) {
        return dir.resolve(StoreFormat.segmentName(first));
    }

    /** The sequence number of the newest record appended (written, buffered; durable or not). */
    long appendedSeq() {
        return appendedSeq;
    }

    /** Record {@code seq}'s unit is acknowledged before its fsync; called in sequence order. */
    void acknowledged(long seq) {
        acknowledgedSeq = seq;
    }

    /** The newest record known to be on disk. */
    long durableSeq() {
        return commits.durableSeq();
    }

    /**
     * Appends one record. Not durable until {@link #sync}; with {@code buffered}, not even written to the
     * operating system until then, until the buffer fills, or until a record that is not buffered follows.
     * Called by one thread at a time.
     *
     * @param releasing whether the unit only gives space back: it may use the reserve
     * @return its sequence number
     * @throws IOException if the write failed ({@link DiskFull} when there is no room); the journal is
     *         then as it was before the call, but for buffered records it wrote first
     */
    long append(byte[] payload, boolean releasing, boolean buffered) throws IOException {
        writes.lock();
        try {
            return appendLocked(payload, releasing, buffered);
        } finally {
            writes.unlock();
        }
    }

    private long appendLocked(byte[] payload, boolean releasing, boolean buffered) throws IOException {
        commits.checkHealthy();
        long tail = position + buffer.position();
        if (rolls.due(tail, rollRequested)) {
            try {
                rollOver();
                rolls.succeeded();
            } catch (IOException e) {
                if (commits.failed()) {
                    throw e;
                }
                rolls.failed(e, tail); // the current segment, whole, stays current and grows past its size
            }
        }
        long seq = nextSeq;
        int length = StoreFormat.RECORD_HEADER_BYTES + payload.length;
        long start = position + buffer.position();
        long end = start + length;
        try {
            space.makeRoom(start, end, releasing);
            if (!buffered || length > buffer.remaining()) {
                writeBuffer(); // what was buffered goes first: the journal keeps the order of acknowledgement
            }
            if (buffered && length <= buffer.remaining()) {
                StoreFormat.putRecord(buffer, seq, commits.durableSeq(), payload);
                nextSeq = seq + 1;
                appendedSeq = seq;
                return seq;
            }
            current.write(StoreFormat.record(seq, commits.durableSeq(), payload), position);
        } catch (IOException e) {
            if (commits.failed()) {
                throw e; // the buffer could not be written: the journal has stopped
            }
            try {
                current.truncate(position);
                space.cutBack(position);
                // Forced, so that a record reported as not written cannot reach the disk after all.
                current.force();
            } catch (IOException cut) {
                e.addSuppressed(cut);
                commits.fail(e);
            }
            throw e instanceof DiskFull ? e : DiskFull.ifShort(files, dir, end - position, e);
        }
        commits.wrote(end - position);
        position = end;
        space.written(end);
        nextSeq = seq + 1;
        writtenSeq = seq;
        appendedSeq = seq;
        return seq;
    }

    /**
     * Writes the buffered records to the current segment. Their units were acknowledged, so a failure fails
     * the journal: the store stops, and recovery keeps what reached the disk (a prefix, as after a crash).
     */
    private void writeBuffer() throws IOException {
        if (buffer.position() == 0) {
            return;
        }
        buffer.flip();
        long end = position + buffer.limit();
        try {
            current.write(buffer, position);
        } catch (IOException e) {
            commits.fail(e);
            throw e;
        } finally {
            buffer.clear();
        }
        commits.wrote(end - position);
        position = end;
        space.written(end);
        writtenSeq = nextSeq - 1;
    }

    /** Writes every buffered record to the operating system (not durable until {@link #sync}). */
    void flush() throws IOException {
        writes.lock();
        try {
            commits.checkHealthy();
            writeBuffer();
        } finally {
            writes.unlock();
        }
    }

    /** Returns once record {@code seq} and all before it are on disk. */
    void sync(long seq) throws IOException {
        if (seq > writtenSeq) {
            flush();
        }
        commits.sync(seq);
    }

    /**
     * Cuts the current segment back to its last record and forces it, then wakes the callers that force
     * covered; a failure stops the journal. Runs inside {@link GroupCommit#exclusively}.
     */
    private void finishSegment() throws IOException {
        commits.forceNow(() -> {
            space.cutTo(position);
            current.force();
        });
    }

    /** Starts a new segment; everything in the old one is made durable first, and the head names the new one. */
    private void rollOver() throws IOException {
        writeBuffer();
        synchronized (segments) {
            commits.exclusively(() -> {
                commits.checkHealthy();
                finishSegment();
                StoreFiles.Channel old = current;
                startSegment();
                old.close();
            });
            rollRequested = false;
            head.advance(commits.durableSeq(), segments.getLast(), 0);
        }
    }

    /**
     * Creates the segment for the next record and makes it the current one. If that fails, the file is
     * removed and the current segment stays current (it may grow past its size until a roll succeeds).
     */
    private void startSegment() throws IOException {
        long first = nextSeq;
        current = SegmentSpace.create(files, dir, segmentFile(first), first);
        position = StoreFormat.SEGMENT_HEADER_BYTES;
        space.follow(current, position);
        synchronized (segments) {
            if (segments.isEmpty() || segments.getLast() != first) {
                segments.addLast(first);
            }
        }
    }

    /**
     * Bytes of records that the next open would read, written or buffered; {@link Long#MAX_VALUE} once the
     * journal spans more than one segment (then it is big, or a checkpoint is about to let a segment go).
     */
    long heldBytes() {
        writes.lock();
        try {
            synchronized (segments) {
                return segments.size() == 1 ? position - StoreFormat.SEGMENT_HEADER_BYTES + buffer.position()
                        : Long.MAX_VALUE;
            }
        } finally {
            writes.unlock();
        }
    }

    /**
     * After a verified checkpoint: the head records it, the segments all of whose records are at or below
     * {@code coveredSeq} (in both generations) are deleted, and the next append starts a new segment so
     * that this one can go after the next checkpoint. Neither the current segment nor the one the head
     * names is ever deleted.
     */
    void checkpointed(long checkpointSeq, long coveredSeq) throws IOException {
        synchronized (segments) {
            this.coveredSeq = coveredSeq;
            head.advance(commits.durableSeq(), segments.getLast(), checkpointSeq);
            List<Long> gone = new ArrayList<>();
            while (segments.size() > 1) {
                long first = segments.removeFirst();
                if (segments.getFirst() - 1 > coveredSeq || first >= head.state().segment()) {
                    segments.addFirst(first);
                    break;
                }
                gone.add(first);
            }
            for (long first : gone) {
                files.delete(segmentFile(first));
            }
            if (!gone.isEmpty()) {
                files.syncDirectory(dir);
            }
            rollRequested = true;
        }
    }

    /**
     * Brings the head up to date now, and fails if it cannot: for a record whose durability the head must
     * be able to prove at once (a rotor mark).
     */
    void recordDurable() throws IOException {
        synchronized (segments) {
            head.advance(commits.durableSeq(), segments.getLast(), 0, acknowledgedSeq);
        }
    }

    /** Tells the head how far the journal is durable; runs every {@link #HEAD_INTERVAL_MS} ms. */
    private void updateHead() {
        try {
            recordDurable();
        } catch (IOException | RuntimeException e) {
            LOG.warn("store head {} could not be updated (recovery can tell a lost journal tail only up to the "
                    + "last head written): {}", head.file(), e.toString());
        }
    }

    boolean failed() {
        return commits.failed();
    }

    /**
     * Forces the current segment and closes the journal. A {@code clean} close also brings the head up to date,
     * and when every record is in both checkpoint generations it first empties the journal (a new segment holding
     * no record replaces every old one). An unclean one leaves files and head as a crashing process would.
     */
    void close(boolean clean) throws IOException {
        timer.close();
        try {
            finish(clean);
        } finally { // the files are released even when the last write fails: the store can be opened again
            try (head) {
                synchronized (segments) {
                    commits.exclusively(() -> current.close());
                }
            }
        }
    }

    /** The part of {@link #close(boolean)} that writes: the buffer, and for a clean close the head. */
    private void finish(boolean clean) throws IOException {
        writes.lock();
        try {
            if (clean && !commits.failed()) {
                writeBuffer();
            } else {
                buffer.clear(); // what a crash loses: records that never left the process
                nextSeq = writtenSeq + 1;
                appendedSeq = writtenSeq;
            }
        } finally {
            writes.unlock();
        }
        if (clean && !commits.failed() && coveredSeq >= writtenSeq && position > StoreFormat.SEGMENT_HEADER_BYTES) {
            try {
                rollOver();
                checkpointed(0, coveredSeq);
            } catch (IOException e) {
                // Emptying saves space, nothing more (a full disk may not hold even a new segment's name).
                LOG.info("journal {} keeps its last segment at close: {}", dir, e.toString());
            }
        }
        synchronized (segments) {
            commits.exclusively(() -> {
                if (!commits.failed()) {
                    finishSegment();
                    if (clean) {
                        recordDurable();
                    }
                }
            });
        }
    }
}

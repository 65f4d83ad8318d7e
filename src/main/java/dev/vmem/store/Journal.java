package dev.vmem.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The write-ahead journal: append-only segment files of checksummed records (layout: {@link StoreFormat}),
 * the store's durability point. Fsyncs are shared between callers by its {@link GroupCommit}.
 *
 * <h2>Assumptions and guarantees</h2>
 * {@link #append} is called by one thread at a time (the store serialises mutations); {@link #sync}
 * by any number at once. A record is durable once {@code sync(seq)} returns. After a failed write the
 * file is cut back to the last whole record, and the journal carries on; after a failed fsync, or a
 * failed cut, the journal fails every later call and the store must be reopened.
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
    private final StoreFiles files;
    private final long segmentBytes;

    /** Segments on disk, oldest first: their first sequence numbers. */
    private final Deque<Long> segments = new ArrayDeque<>();
    private StoreFiles.Channel current;
    private long position;
    /** The size of the current segment's file: its records, then zeros up to here. */
    private long allocated;
    private long nextSeq;
    private volatile long writtenSeq;

    private final GroupCommit commits;

    /**
     * Opens the journal for appending after recovery has read it.
     *
     * @param segmentFirstSeqs existing segments, oldest first (the last one may be appended to)
     * @param nextSeq          the sequence number the next record gets
     * @param tailSize         the valid length of the last segment (anything after it is cut off)
     */
    Journal(Path dir, StoreFiles files, long segmentBytes, Deque<Long> segmentFirstSeqs, long nextSeq, long tailSize)
            throws IOException {
        this.dir = dir;
        this.files = files;
        this.segmentBytes = segmentBytes;
        this.nextSeq = nextSeq;
        this.writtenSeq = nextSeq - 1;
        this.commits = new GroupCommit(new GroupCommit.Log() {
            @Override
            public long writtenSeq() {
                return writtenSeq;
            }

            @Override
            public StoreFiles.Channel current() {
                return current;
            }
        }, nextSeq - 1);
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
        commits.checkHealthy();
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
            current.write(frame, position);
        } catch (IOException e) {
            try {
                current.truncate(position);
                allocated = position;
            } catch (IOException cut) {
                e.addSuppressed(cut);
                commits.fail(e);
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
        commits.sync(seq);
    }

    /**
     * Cuts the current segment back to its last record and forces it, then wakes the callers that force
     * covered; a failure stops the journal. Runs inside {@link GroupCommit#exclusively}.
     */
    private void finishSegment() throws IOException {
        commits.forceNow(() -> {
            trim();
            current.force();
        });
    }

    /** Starts a new segment once the current one is full; everything in the old one is made durable. */
    private void rollOver() throws IOException {
        commits.exclusively(() -> {
            commits.checkHealthy();
            finishSegment();
            current.close();
            startSegment();
        });
    }

    private void startSegment() throws IOException {
        long first = nextSeq;
        Path file = dir.resolve(StoreFormat.segmentName(first));
        StoreFiles.Channel seg = files.open(file);
        seg.truncate(0);
        seg.write(StoreFormat.segmentHeader(first), 0);
        seg.force();
        files.syncDirectory(dir);
        current = seg;
        position = StoreFormat.SEGMENT_HEADER_BYTES;
        allocated = position;
        synchronized (segments) {
            segments.addLast(first);
        }
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
        synchronized (segments) {
            boolean deleted = false;
            while (segments.size() > 1) {
                long first = segments.removeFirst();
                if (segments.getFirst() - 1 > seq) {
                    segments.addFirst(first);
                    break;
                }
                files.delete(dir.resolve(StoreFormat.segmentName(first)));
                deleted = true;
            }
            if (deleted) {
                files.syncDirectory(dir);
            }
        }
    }

    boolean failed() {
        return commits.failed();
    }

    @Override
    public void close() throws IOException {
        commits.exclusively(() -> {
            if (!commits.failed()) {
                finishSegment();
            }
            current.close();
        });
    }
}

package dev.vmem.store;

import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The room ahead of the records in the journal's current segment: where the rules for preallocation and for
 * the reserve kept for frees are decided, and how a segment file comes to exist ({@link #create}).
 *
 * <h2>Preallocation</h2>
 * An fsync of a file that grew must also commit the new size (a file-system journal commit and a second
 * flush), which on ext4 costs about 40% more than an fsync of bytes written over blocks the file already has.
 * So the current segment is grown with zeros a chunk at a time, ahead of the records: most group commits then
 * write data only, and the one after each chunk carries the size change for the next few thousand records. A
 * crash leaves zeros after the last record of the last segment, which recovery reads as the end of the
 * journal; a segment is cut back to its last record when it is closed or rolled over ({@link #cutTo}), so that
 * every segment but the last ends exactly at a record. As the disk fills, the chunk shrinks to a share of what
 * is left.
 *
 * <h2>The reserve</h2>
 * {@link #RESERVE_BYTES} are held back for units that give space back: a unit that only frees, unspans or
 * drops may use them; any other unit is refused with {@link DiskFull} when it would eat into them, so that a
 * full store can still free (about a thousand single frees).
 *
 * <p>Not thread-safe: used by the journal under its write lock.
 */
final class SegmentSpace {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentSpace.class);

    /** The preallocation chunk while space allows. */
    static final long PREALLOCATE_BYTES = 1 << 20;
    /** Space held back for units that only give space back. */
    static final long RESERVE_BYTES = 64 << 10;

    private final Path dir;
    private final StoreFiles files;
    private final long segmentBytes;
    private StoreFiles.Channel segment;
    /** The size of the segment's file: its records, then zeros up to here. */
    private long allocated;

    SegmentSpace(Path dir, StoreFiles files, long segmentBytes) {
        this.dir = dir;
        this.files = files;
        this.segmentBytes = segmentBytes;
    }

    /** Follows a new current segment whose file is {@code size} bytes, all of them records (or its header). */
    void follow(StoreFiles.Channel current, long size) {
        this.segment = current;
        this.allocated = size;
    }

    /**
     * Makes room for a record from {@code start} to {@code end}: refuses a unit that is not {@code releasing}
     * when, after it, the file system and the zeros ahead would hold less than the reserve; preallocates ahead.
     *
     * @throws DiskFull when there is no room; nothing was changed
     */
    void makeRoom(long start, long end, boolean releasing) throws IOException {
        if (!releasing && allocated - end < RESERVE_BYTES) {
            long usable = files.usableSpace(dir);
            long room = Math.max(0, allocated - end);
            if (usable + room < RESERVE_BYTES + Math.max(0, end - allocated)) {
                throw new DiskFull(dir, end - start, usable, null);
            }
            // Grow now, so that the next appends find the reserve in the file and need no look at the file
            // system (a statfs and, in Java, a scan of the mount table) until the next chunk.
            growAhead(end + RESERVE_BYTES);
        }
        if (end > allocated) {
            grow(end, releasing);
        }
    }

    /** Records written up to {@code end}. */
    void written(long end) {
        allocated = Math.max(allocated, end);
    }

    /** Cuts the zeros (or a failed write) after {@code position} off the segment; not durable until forced. */
    void cutTo(long position) throws IOException {
        if (allocated > position) {
            segment.truncate(position);
            allocated = position;
        }
    }

    /** After a failed write: the file was cut back to {@code position} by the caller. */
    void cutBack(long position) {
        allocated = position;
    }

    /**
     * Grows the segment to hold a record ending at {@code end}, preallocating ahead while space allows;
     * refuses a unit that is not {@code releasing} when it would eat into the reserve.
     */
    private void grow(long end, boolean releasing) throws IOException {
        long usable = files.usableSpace(dir);
        long need = end - allocated;
        if (!releasing && usable - need < RESERVE_BYTES) {
            throw new DiskFull(dir, need, usable, null);
        }
        long ahead = Math.min(PREALLOCATE_BYTES, Math.max(0, (usable - RESERVE_BYTES) / 4));
        long size = Math.min(Math.max(segmentBytes, end), end + ahead);
        if (size > end) {
            try {
                segment.extend(size);
                allocated = size;
            } catch (IOException e) {
                // Preallocating is an optimisation: without room for it, the record itself may still fit.
                segment.truncate(allocated);
            }
        }
    }

    /** Best effort: the record itself is still placed by {@link #grow}. */
    private void growAhead(long target) {
        if (target > allocated) {
            try {
                grow(target, true);
            } catch (IOException e) {
                LOG.debug("journal {} could not preallocate ahead: {}", dir, e.toString());
            }
        }
    }

    /**
     * A new journal segment {@code file} whose first record is {@code first}: its header written and forced,
     * and its directory entry durable. If any step fails, the file is removed again.
     */
    static StoreFiles.Channel create(StoreFiles files, Path dir, Path file, long first) throws IOException {
        StoreFiles.Channel seg = files.open(file);
        try {
            seg.truncate(0);
            seg.write(StoreFormat.segmentHeader(first), 0);
            seg.force();
            files.syncDirectory(dir);
            return seg;
        } catch (IOException e) {
            try {
                seg.close();
                files.delete(file);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }
}

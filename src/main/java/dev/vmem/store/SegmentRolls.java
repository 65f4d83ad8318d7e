package dev.vmem.store;

import java.nio.file.Path;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When the journal starts a new segment, and what it says when it cannot. A roll is due once the current
 * segment has reached its size, or sooner when a checkpoint asked for one (so that the segments it covers can
 * go) and the segment holds a record. A roll can fail (no room for the file, a directory fsync that fails);
 * the store keeps working, the current segment growing past its size, so one failure is no error; but an
 * operator must hear of it, since a disk that refuses new files is usually filling up or failing.
 *
 * <ul>
 *   <li><b>When to try again after a failure:</b> once the segment has grown by another segment's size, so
 *       that a failing roll is tried as often as rolls happen anyway. Tried at every record instead, each try
 *       costs what a roll costs (an fsync of the segment, a file made and removed, the preallocated zeros cut
 *       and written again, up to a MiB), for every record, for as long as the cause lasts: measured, 5,000
 *       records over 64 KiB segments took 14,135 fsyncs instead of 5,013, and 1.4-2 times as long.</li>
 *   <li><b>What to say:</b> the first failure after a roll that worked is a WARN, then at most one every
 *       {@link #WARN_INTERVAL_NANOS}; the roll that works again is an INFO with the count.</li>
 * </ul>
 *
 * <p>Called under the journal's write lock only.
 */
final class SegmentRolls {
    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);
    /** At most one WARN this often while rolls keep failing. */
    static final long WARN_INTERVAL_NANOS = 60_000_000_000L;

    private final Path dir;
    private final long segmentBytes;
    private final LongSupplier nanoClock;
    /** Rolls that failed since the last one that worked. */
    private long failures;
    private long lastWarning;
    /** Where the current segment must end before the next try, after a failure. */
    private long retryAt;

    SegmentRolls(Path dir, long segmentBytes, LongSupplier nanoClock) {
        this.dir = dir;
        this.segmentBytes = segmentBytes;
        this.nanoClock = nanoClock;
    }

    /** Whether to roll before the next record, the current segment ending at {@code segmentEnd} bytes. */
    boolean due(long segmentEnd, boolean requested) {
        return (segmentEnd >= segmentBytes || requested && segmentEnd > StoreFormat.SEGMENT_HEADER_BYTES)
                && (failures == 0 || segmentEnd >= retryAt);
    }

    /** A roll failed with {@code e}; the segment it leaves current now ends at {@code segmentEnd} bytes. */
    void failed(Exception e, long segmentEnd) {
        retryAt = segmentEnd + segmentBytes;
        long now = nanoClock.getAsLong();
        if (failures++ == 0 || now - lastWarning >= WARN_INTERVAL_NANOS) {
            lastWarning = now;
            LOG.warn("journal {} could not start a new segment ({} attempts failed in a row; the current segment "
                    + "goes on past its size, now {} bytes, and tries again at {}): {}",
                    dir, failures, segmentEnd, retryAt, e.toString());
        }
    }

    /** A roll worked. */
    void succeeded() {
        if (failures > 0) {
            LOG.info("journal {} started a new segment after {} failed attempts", dir, failures);
            failures = 0;
        }
    }

    /** Rolls that failed since the last one that worked. */
    long failures() {
        return failures;
    }
}

package dev.vmem.store;

import java.nio.file.Path;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the journal says when it cannot start a new segment. The store keeps working (the current segment
 * grows past its size and the roll is tried again at every record), so one failure is no error; but an
 * operator must hear of it, since a disk that refuses new files is usually filling up or failing. The first
 * failure after a roll that worked is a WARN, then at most one every {@link #WARN_INTERVAL_NANOS} (a full
 * disk fails the roll at every record); the roll that works again is an INFO with the count.
 *
 * <p>Called under the journal's write lock only.
 */
final class RollFailures {
    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);
    /** At most one WARN this often while rolls keep failing. */
    static final long WARN_INTERVAL_NANOS = 60_000_000_000L;

    private final Path dir;
    private final LongSupplier nanoClock;
    /** Rolls that failed since the last one that worked. */
    private long failures;
    private long lastWarning;

    RollFailures(Path dir, LongSupplier nanoClock) {
        this.dir = dir;
        this.nanoClock = nanoClock;
    }

    /** A roll failed with {@code e}; the segment it leaves current now ends at {@code segmentEnd} bytes. */
    void failed(Exception e, long segmentEnd) {
        long now = nanoClock.getAsLong();
        if (failures++ == 0 || now - lastWarning >= WARN_INTERVAL_NANOS) {
            lastWarning = now;
            LOG.warn("journal {} could not start a new segment ({} attempts failed in a row; the current segment "
                    + "goes on past its size, now {} bytes, and every record tries again): {}",
                    dir, failures, segmentEnd, e.toString());
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

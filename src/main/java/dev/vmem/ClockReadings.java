package dev.vmem;

import java.time.InstantSource;

/**
 * When a quarantine reads its clock: not at every free, which would cost a clock read (tens of nanoseconds)
 * on a path of about a hundred. A block freed between two readings is stamped with the next one, which is
 * later than its free: it is held longer than the delay, never shorter. While frees come fast (the clock moved
 * by at most an eighth of the delay between two readings) the reading interval doubles, up to
 * {@value #MAX_EVERY} frees; once they slow down, every free reads it again. So a block is held at most until
 * the next reading plus the delay: under a steady stream of frees, a fraction of the delay longer; after the
 * last free of a burst, until up to {@value #MAX_EVERY} frees later, a reap ({@link Arena#reapQuarantine()},
 * or an allocation that finds no room) that finds the clock moved, or an export of the state.
 * Not thread-safe: the arena's lock guards it.
 */
final class ClockReadings {
    /** The most frees between two readings. */
    static final int MAX_EVERY = 64;

    private final InstantSource clock;
    private final long slack;
    private long last = Long.MIN_VALUE / 2;
    private int every = 1;
    private int since;

    /** For a quarantine of {@code delayMillis} (positive), read from {@code clock}. */
    ClockReadings(InstantSource clock, long delayMillis) {
        this.clock = clock;
        this.slack = delayMillis >> 3;
    }

    /** At a free: whether it reads the clock ({@link #readAtFree()}), or goes by {@link #last()}. */
    boolean freeReads() {
        return ++since >= every;
    }

    /** A reading at a free: it sets the interval to the next one. */
    long readAtFree() {
        long now = clock.millis();
        every = now - last > slack ? 1 : Math.min(MAX_EVERY, 2 * every);
        since = 0;
        last = now;
        return now;
    }

    /**
     * A reading elsewhere (a reap, an export): the interval between readings at frees stays as it was, unless
     * this one finds that the clock moved by more than the slack since the last one; then the next free reads it.
     */
    long read() {
        long now = clock.millis();
        every = now - last > slack ? 1 : every;
        last = now;
        return now;
    }

    /** The last reading: no later than now. */
    long last() {
        return last;
    }
}

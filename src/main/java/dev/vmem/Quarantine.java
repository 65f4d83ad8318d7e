package dev.vmem;

import java.time.Duration;
import java.util.Objects;

/**
 * How long an arena holds a freed block back before any policy may hand it out again: for at least
 * {@code delay}, and until at least {@code frees} later frees have been made. Either bound may be off
 * (a zero delay, zero frees); when both are set a block leaves quarantine only once <em>both</em> are
 * met, so each bound alone is a guarantee a caller can rely on (an inode number is not reused within two
 * seconds <em>and</em> not within the next 1,000 deletions).
 *
 * <p>The delay is kept in whole milliseconds, rounded up; a block is held for more than the delay: by
 * up to one millisecond, plus the time from its free to the arena's next reading of the clock (which a
 * stream of fast frees reads only now and then), plus the time until the arena next looks (see
 * {@link Arena#reapQuarantine()}). A persistent arena holds a block freed after its last checkpoint for the
 * whole delay from the reopen.
 *
 * @param delay the least time a freed block is held; {@link Duration#ZERO} for no delay
 * @param frees the least number of later frees a freed block waits for; 0 for no count
 */
public record Quarantine(Duration delay, long frees) {
    /** The longest delay accepted: 100 years keeps every due time far from overflowing. */
    public static final Duration MAX_DELAY = Duration.ofDays(36_500);

    /** The most later frees a block may wait for: the queue holds at least that many blocks. */
    public static final long MAX_FREES = Integer.MAX_VALUE - 8;

    /** No quarantine: a freed block may be handed out again at once. (After the bounds it is checked against.) */
    public static final Quarantine NONE = new Quarantine(Duration.ZERO, 0);

    /** @throws IllegalArgumentException naming the value if the delay is negative or too long, or frees negative or too many */
    public Quarantine {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative() || delay.compareTo(MAX_DELAY) > 0) {
            throw new IllegalArgumentException("quarantine delay=" + delay + " must lie between 0 and " + MAX_DELAY);
        }
        if (frees < 0 || frees > MAX_FREES) {
            throw new IllegalArgumentException("quarantine frees=" + frees + " must lie between 0 and " + MAX_FREES);
        }
    }

    /**
     * A block is held for at least {@code delay}.
     *
     * @throws IllegalArgumentException naming the value if it is not positive or longer than {@link #MAX_DELAY}
     */
    public static Quarantine of(Duration delay) {
        return NONE.withDelay(delay);
    }

    /**
     * A block is held until at least {@code frees} later frees.
     *
     * @throws IllegalArgumentException naming the value if it is not positive or more than {@link #MAX_FREES}
     */
    public static Quarantine ofFrees(long frees) {
        return NONE.withFrees(frees);
    }

    /** This rule with the delay set to {@code delay}, which must be positive. */
    public Quarantine withDelay(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isZero() || delay.isNegative()) {
            throw new IllegalArgumentException("quarantine delay=" + delay + " must be positive");
        }
        return new Quarantine(delay, frees);
    }

    /** This rule with the count set to {@code frees}, which must be positive. */
    public Quarantine withFrees(long frees) {
        if (frees <= 0) {
            throw new IllegalArgumentException("quarantine frees=" + frees + " must be positive");
        }
        return new Quarantine(delay, frees);
    }

    /** Whether freed blocks are held at all. */
    public boolean isActive() {
        return !delay.isZero() || frees > 0;
    }

    /** The delay in whole milliseconds, rounded up. */
    public long delayMillis() {
        long ms = delay.toMillis();
        return delay.minusMillis(ms).isZero() ? ms : ms + 1;
    }

    @Override
    public String toString() {
        if (!isActive()) {
            return "no quarantine";
        }
        String time = delay.isZero() ? "" : delayMillis() + " ms";
        return "quarantine " + time + (frees == 0 ? "" : (time.isEmpty() ? "" : " and ") + frees + " frees");
    }
}

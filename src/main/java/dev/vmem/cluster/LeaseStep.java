package dev.vmem.cluster;

/**
 * How many values the next lease asks for, adapted to the rate as Leaf adapts its segment step: a lease used up
 * in less than the target interval doubles the step, one that lasted more than four intervals halves it, within
 * {@code [chunk, max]}.
 */
final class LeaseStep {
    static final long TARGET_NANOS = 2_000_000_000L;
    private final long chunk;
    private final long max;
    private long step;
    private long lastNanos = -1;

    LeaseStep(long chunk, long max) {
        this.chunk = chunk;
        this.max = Math.max(chunk, max);
        this.step = chunk;
    }

    long current() {
        return step;
    }

    /** A lease was taken at {@code nanos}. */
    void leased(long nanos) {
        if (lastNanos >= 0) {
            long elapsed = nanos - lastNanos;
            if (elapsed < TARGET_NANOS && step <= max / 2) {
                step *= 2;
            } else if (elapsed > 4 * TARGET_NANOS && step >= 2 * chunk) {
                step /= 2;
            }
        }
        lastNanos = nanos;
    }
}

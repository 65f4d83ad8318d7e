package dev.vmem;

/**
 * What a constrained allocation ({@link Arena#xalloc}) asks for: a block of {@code size} values at a
 * start {@code s} with {@code s % align == phase}, not straddling a multiple of {@code nocross}, and
 * lying wholly inside {@code [min, max)}.
 *
 * <p>The constructor rejects bad and over-constrained requests, naming the values, so a
 * {@code Constraints} that exists can be satisfied by some range of values. An arena may still round
 * it to its quantum ({@link Arena#xalloc} says how) and reject it if the rounded request cannot fit.
 *
 * @param size    number of values, {@code > 0}
 * @param align   alignment of the start, a power of two; 1 means none
 * @param phase   offset of the start from the alignment, {@code 0 <= phase < align}
 * @param nocross 0 for none, or a power of two that the block must not straddle
 * @param min     lowest value the block may contain (inclusive), {@code >= 0}
 * @param max     exclusive bound of the block's end, {@code > min}
 */
public record Constraints(long size, long align, long phase, long nocross, long min, long max) {

    /** Bound used when no {@code max} is given: a block's end never exceeds {@code Long.MAX_VALUE}. */
    public static final long NO_MAX = Long.MAX_VALUE;

    public Constraints {
        if (size <= 0) {
            throw new IllegalArgumentException("size=" + size + " must be positive");
        }
        if (!Fit.isPowerOfTwo(align)) {
            throw new IllegalArgumentException("align=" + align + " is not a power of two");
        }
        if (phase < 0 || phase >= align) {
            throw new IllegalArgumentException("phase=" + phase + " must satisfy 0 <= phase < align=" + align);
        }
        if (nocross != 0 && !Fit.isPowerOfTwo(nocross)) {
            throw new IllegalArgumentException("nocross=" + nocross + " is neither 0 nor a power of two");
        }
        if (min < 0) {
            throw new IllegalArgumentException("min=" + min + " is negative");
        }
        if (max <= min) {
            throw new IllegalArgumentException("min=" + min + " must be below max=" + max);
        }
        if (nocross != 0 && size > nocross) {
            throw new IllegalArgumentException("over-constrained: size=" + size + " exceeds nocross=" + nocross);
        }
        if (Fit.lowest(min, max, size, align, phase, nocross) == Fit.NONE) {
            throw new IllegalArgumentException("over-constrained: no block of " + describe(size, align, phase, nocross)
                    + " fits in [min=" + min + ", max=" + max + ")");
        }
    }

    /**
     * Whether the values describe a satisfiable request: the constructor's checks, without throwing.
     * Arenas use it after rounding a request to their quantum.
     */
    static boolean feasible(long size, long align, long phase, long nocross, long min, long max) {
        return size > 0 && Fit.isPowerOfTwo(align) && phase >= 0 && phase < align
                && (nocross == 0 || (Fit.isPowerOfTwo(nocross) && size <= nocross))
                && min >= 0 && max > min
                && Fit.lowest(min, max, size, align, phase, nocross) != Fit.NONE;
    }

    /** A request for {@code size} values with no other constraint. */
    public static Constraints of(long size) {
        return new Constraints(size, 1, 0, 0, 0, NO_MAX);
    }

    /** A builder starting from {@code size} values with no other constraint. */
    public static Builder builder(long size) {
        return new Builder(size);
    }

    /** Whether this request has no constraint beyond its size. */
    public boolean isPlain() {
        return align == 1 && nocross == 0 && min == 0 && max == NO_MAX;
    }

    /** Whether {@code [base, base + size)} satisfies every constraint. */
    public boolean admits(long base) {
        return base >= min
                && base <= max - size
                && (base & (align - 1)) == phase
                && (nocross == 0 || !Fit.crosses(base, size, nocross));
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Constraints[").append(describe(size, align, phase, nocross));
        if (min != 0) {
            sb.append(", min=").append(min);
        }
        if (max != NO_MAX) {
            sb.append(", max=").append(max);
        }
        return sb.append(']').toString();
    }

    private static String describe(long size, long align, long phase, long nocross) {
        StringBuilder sb = new StringBuilder("size=").append(size);
        if (align != 1) {
            sb.append(", align=").append(align);
        }
        if (phase != 0) {
            sb.append(", phase=").append(phase);
        }
        if (nocross != 0) {
            sb.append(", nocross=").append(nocross);
        }
        return sb.toString();
    }

    /** Collects the optional constraints; {@link #build()} validates them all at once. */
    public static final class Builder {
        private final long size;
        private long align = 1;
        private long phase;
        private long nocross;
        private long min;
        private long max = NO_MAX;

        private Builder(long size) {
            this.size = size;
        }

        public Builder align(long align) {
            this.align = align;
            return this;
        }

        public Builder phase(long phase) {
            this.phase = phase;
            return this;
        }

        public Builder nocross(long nocross) {
            this.nocross = nocross;
            return this;
        }

        public Builder min(long min) {
            this.min = min;
            return this;
        }

        public Builder max(long max) {
            this.max = max;
            return this;
        }

        /** @throws IllegalArgumentException naming the values when the request is bad or over-constrained */
        public Constraints build() {
            return new Constraints(size, align, phase, nocross, min, max);
        }
    }
}

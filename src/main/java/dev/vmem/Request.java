package dev.vmem;

/**
 * A caller's request as the engine sees it: the {@link Constraints} rounded to the arena's quantum, and
 * the policy. Built once at the facade; placement, import and the caches read it and never unpack it
 * into positional arguments, so a swapped {@code min} and {@code max} cannot compile.
 *
 * <p>Rounding (the one place it is decided): the size up to a multiple of the quantum, {@code align} up
 * to at least the quantum, {@code min} up and {@code max} down to multiples of it; {@code phase} must
 * already be a multiple of the quantum.
 *
 * @param size    positive multiple of the quantum
 * @param align   power of two, at least the quantum
 * @param phase   multiple of the quantum, below {@code align}
 * @param nocross 0, or a power of two at least {@code size}
 * @param min     multiple of the quantum
 * @param max     multiple of the quantum, above {@code min}
 * @param policy  how the block is placed
 */
record Request(long size, long align, long phase, long nocross, long min, long max, Policy policy) {

    /** An unconstrained request for {@code rounded} values (see {@link #roundedSize}). */
    static Request plain(long rounded, long quantum, Policy policy) {
        return new Request(rounded, quantum, 0, 0, 0, Fit.roundDown(Constraints.NO_MAX, quantum), policy);
    }

    /**
     * {@code c} rounded to {@code quantum}.
     *
     * @throws IllegalArgumentException naming the values if the rounded request is malformed or
     *         over-constrained
     */
    static Request of(Constraints c, long quantum, Policy policy, String label) {
        long size = roundedSize(c.size(), quantum, label);
        if ((c.phase() & (quantum - 1)) != 0) {
            throw new IllegalArgumentException("phase=" + c.phase() + " is not a multiple of quantum=" + quantum
                    + " (arena '" + label + "')");
        }
        long align = Math.max(c.align(), quantum);
        long min = Fit.roundUp(c.min(), quantum);
        long max = Fit.roundDown(c.max(), quantum);
        if (min == Fit.NONE || !Constraints.feasible(size, align, c.phase(), c.nocross(), min, max)) {
            throw new IllegalArgumentException("over-constrained for quantum=" + quantum + " of arena '" + label
                    + "': " + c);
        }
        return new Request(size, align, c.phase(), c.nocross(), min, max, policy);
    }

    /** A block of exactly {@code size} values aligned to {@code align} (a cache slab). */
    static Request exact(long size, long align, long quantum) {
        return new Request(size, align, 0, 0, 0, Fit.roundDown(Constraints.NO_MAX, quantum), Policy.INSTANT_FIT);
    }

    /**
     * {@code size} rounded up to {@code quantum}.
     *
     * @throws IllegalArgumentException naming the value if the size is not positive or overflows
     */
    static long roundedSize(long size, long quantum, String label) {
        if (size <= 0) {
            throw new IllegalArgumentException("size=" + size + " must be positive (arena '" + label + "')");
        }
        long rounded = Fit.roundUp(size, quantum);
        if (rounded == Fit.NONE) {
            throw new IllegalArgumentException("size=" + size + " overflows when rounded up to quantum=" + quantum
                    + " (arena '" + label + "')");
        }
        return rounded;
    }

    /**
     * The lowest start at or above {@code lo} of a block that satisfies the request and ends by
     * {@code hi} (both already clipped to {@code [min, max)} by the caller), or {@link Fit#NONE}.
     */
    long lowestIn(long lo, long hi) {
        return Fit.lowest(lo, hi, size, align, phase, nocross);
    }

    /** The lowest fitting start inside {@code [base, end)}, clipped to {@code [min, max)}, or {@link Fit#NONE}. */
    long lowestWithin(long base, long end) {
        return lowestIn(Math.max(base, min), Math.min(end, max));
    }
}

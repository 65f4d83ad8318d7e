package dev.vmem;

/**
 * Placement arithmetic: where, inside a free range, the lowest block meeting a request's constraints
 * starts. Pure functions on {@code long}s in {@code [0, 2^63)}; no intermediate value ever overflows.
 */
final class Fit {
    /** Returned when nothing fits. Never a valid value: every value is non-negative. */
    static final long NONE = -1;

    private Fit() {
    }

    /**
     * The lowest {@code s} with {@code lo <= s}, {@code s + size <= hi}, {@code s % align == phase} and,
     * when {@code nocross != 0}, {@code [s, s + size)} inside one {@code nocross}-aligned window.
     *
     * @param lo      lowest acceptable start, {@code >= 0}
     * @param hi      exclusive bound of the block's end, {@code >= 0}
     * @param size    block size, {@code > 0}
     * @param align   power of two, {@code >= 1}
     * @param phase   {@code 0 <= phase < align}
     * @param nocross 0, or a power of two
     * @return the start, or {@link #NONE}
     */
    static long lowest(long lo, long hi, long size, long align, long phase, long nocross) {
        if (hi - lo < size) { // also covers lo > hi: both are non-negative, so no overflow
            return NONE;
        }
        long slack = hi - lo - size;
        long delta = (phase - lo) & (align - 1);
        if (delta > slack) {
            return NONE;
        }
        long start = lo + delta;
        if (nocross != 0 && crosses(start, size, nocross)) {
            // The block straddles a boundary at most start + size - 1 < hi, so the next boundary fits in a long.
            long boundary = (start | (nocross - 1)) + 1;
            long room = hi - boundary;
            long d = (phase - boundary) & (align - 1);
            if (room < size || d > room - size) {
                return NONE;
            }
            start = boundary + d;
            if (crosses(start, size, nocross)) {
                // Candidates from here on all share start % nocross (align >= nocross) or all start on
                // a boundary (align < nocross) and still cross: nothing higher can fit either.
                return NONE;
            }
        }
        return start;
    }

    /** Whether {@code [start, start + size)} straddles a multiple of {@code nocross}. */
    static boolean crosses(long start, long size, long nocross) {
        return ((start ^ (start + size - 1)) & -nocross) != 0;
    }

    static boolean isPowerOfTwo(long x) {
        return x > 0 && (x & (x - 1)) == 0;
    }

    /** {@code x} rounded up to a multiple of the power of two {@code q}, or {@link #NONE} on overflow. */
    static long roundUp(long x, long q) {
        long r = (x + q - 1) & -q;
        return r < 0 || x > Long.MAX_VALUE - (q - 1) ? NONE : r;
    }

    static long roundDown(long x, long q) {
        return x & -q;
    }
}

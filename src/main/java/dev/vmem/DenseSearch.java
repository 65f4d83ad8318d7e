package dev.vmem;

/**
 * The searches of a dense span's free runs that the policies make: the lowest block at or after an address
 * (NEXT_FIT), the best fit (BEST_FIT), and a block in a run of a given size class (INSTANT_FIT), each under the
 * request's constraints. Each answers what a walk of the free segments of a boundary-tag list would, and passes
 * over runs too short for the block a word at a time ({@link LongRunSearch}).
 *
 * <p>What that costs: where most free runs are shorter than the block, a few word operations per bitmap word that
 * is not full instead of a visit per run (3.6 ms against 0.12 ms for a BEST_FIT of 2 quanta among half a million
 * single holes and two free runs of 65, measured). Where most runs are long enough but the request refuses them
 * (an alignment, or no run of exactly the size for BEST_FIT), the runs are visited one by one as before, at up to
 * 1.5 times the cost per run.
 *
 * <p>Indices are quanta from the span's base; the methods that take or return values say so. Not thread-safe: the
 * arena's lock is held.
 */
final class DenseSearch {
    private final DenseSpan span;
    private final QuantumBitmaps bits;
    private final LongRunSearch runs;
    private final int shift;
    private final long quanta;
    /** Where {@link #firstInClass} starts looking: just past the block it found last. */
    private long cursor;
    /** Output of {@link #bestFit}: the base and size (values) of the free run holding the block it chose. */
    long bestRunBase;
    long bestRunSize;

    DenseSearch(DenseSpan span, QuantumBitmaps bits, int shift) {
        this.span = span;
        this.bits = bits;
        this.runs = new LongRunSearch(bits);
        this.shift = shift;
        this.quanta = span.quanta;
    }

    /** The fewest quanta a free run must hold for {@code r}'s block; unsigned, so it cannot overflow. */
    private long quantaFor(Request r) {
        return (r.size() + (1L << shift) - 1) >>> shift;
    }

    /**
     * The lowest start at or above {@code from} (a value inside the span) of a block {@code r} admits
     * inside one free run, or {@link Fit#NONE}: what a walk of the free segments from {@code from} finds.
     */
    long lowest(Request r, long from) {
        long lo = Math.max(from, r.min());
        if (lo >= span.end()) {
            return Fit.NONE;
        }
        long i = lo <= span.base ? 0 : (lo - span.base + (1L << shift) - 1) >>> shift;
        if (r.size() == 1L << shift && r.align() == 1L << shift) {
            // A single quantum of no alignment fits in any free quantum: below max, no boundary can split it.
            long f = bits.nextFree(i);
            return f < quanta && span.value(f) < r.max() ? span.value(f) : Fit.NONE;
        }
        long k = quantaFor(r);
        while (i < quanta) {
            long runStart = runs.from(i, k);
            if (runStart >= quanta || span.value(runStart) >= r.max()) {
                return Fit.NONE;
            }
            long runEnd = runs.end(runStart);
            long start = r.lowestWithin(Math.max(span.value(runStart), lo), span.value(runEnd));
            if (start != Fit.NONE) {
                return start;
            }
            i = runEnd;
        }
        return Fit.NONE;
    }

    /**
     * The block in the smallest free run that admits it, the lowest such run on a tie, at its lowest start;
     * {@link Fit#NONE} if none does. Leaves that run's size in {@link #bestRunSize}. Reads the size classes: runs
     * shorter than the smallest class that can hold the block are passed over a word at a time
     * ({@link LongRunSearch}), and the search ends at a run of exactly the size, or once it has seen every run of
     * that class if all are long enough and one of them admitted the block; if that class holds one run only and
     * it is the fresh run ({@link RunClasses}: the run the last counted operation made or left) and admits the
     * block, at once.
     */
    long bestFit(Request r) {
        long best = Fit.NONE;
        bestRunSize = Long.MAX_VALUE;
        bestRunBase = Long.MAX_VALUE;
        long k = quantaFor(r);
        RunClasses classes = span.keptClasses();
        long listed = k > quanta ? 0 : classes.classes() & (-1L << (63 - Long.numberOfLeadingZeros(k)));
        if (listed == 0) {
            return best;
        }
        int c = Long.numberOfTrailingZeros(listed);
        long shortest = Math.max(k, 1L << c);
        long left = shortest == 1L << c ? classes.count(c) : Long.MAX_VALUE; // runs of class c, all long enough
        if (left == 1 && classes.freshIn(c)) { // the one run of class c is at hand: a free just made it, say
            long start = r.lowestWithin(span.value(classes.freshStart()), span.value(classes.freshEnd()));
            if (start != Fit.NONE) {
                bestRunSize = (classes.freshEnd() - classes.freshStart()) << shift;
                bestRunBase = span.value(classes.freshStart());
                return start;
            }
        }
        for (long i = runs.from(0, shortest); i < quanta; ) {
            long runEnd = runs.end(i);
            long size = (runEnd - i) << shift;
            if (size < bestRunSize) {
                long start = r.lowestWithin(span.value(i), span.value(runEnd));
                if (start != Fit.NONE) {
                    best = start;
                    bestRunSize = size;
                    bestRunBase = span.value(i);
                    if (size == r.size()) {
                        break; // nothing smaller can fit, and every later run lies higher
                    }
                }
            }
            if (runEnd - i < 2L << c && --left == 0 && bestRunSize >>> shift < 2L << c) {
                break; // every run of class c is seen and one is the best: every later run is longer
            }
            i = runs.from(runEnd, shortest);
        }
        return best;
    }

    /**
     * The lowest admissible start, for {@code r}, in some free run of size class {@code valueClass} (as
     * {@link FreeLists} counts values), or {@link Fit#NONE}: the runs are tried from just past the last
     * block this found, wrapping, so taking one after another costs a few runs each, not a walk from the
     * span's base.
     */
    long firstInClass(int valueClass, Request r) {
        int c = valueClass - shift;
        RunClasses classes = span.keptClasses();
        if (c < 0 || c >= 64 || classes.count(c) == 0) {
            return Fit.NONE;
        }
        if (classes.freshIn(c)) {
            long start = r.lowestWithin(span.value(classes.freshStart()), span.value(classes.freshEnd()));
            if (start != Fit.NONE) {
                return start;
            }
        }
        long shortest = 1L << c; // runs of lower classes are passed over a word at a time
        long from = cursor < quanta ? cursor : 0;
        long first = runs.from(bits.isUsed(from) ? from : bits.previousUsed(from) + 1, shortest);
        if (first >= quanta) {
            first = runs.from(0, shortest);
        }
        long seen = 0;
        long runStart = first;
        do {
            long runEnd = runs.end(runStart);
            if (63 - Long.numberOfLeadingZeros(runEnd - runStart) == c) {
                long start = r.lowestWithin(span.value(runStart), span.value(runEnd));
                if (start != Fit.NONE) {
                    cursor = span.index(start) + (r.size() >>> shift);
                    return start;
                }
                if (++seen == classes.count(c)) {
                    return Fit.NONE;
                }
            }
            runStart = runs.from(runEnd, shortest);
            if (runStart >= quanta) {
                runStart = runs.from(0, shortest);
            }
        } while (runStart != first);
        return Fit.NONE;
    }
}

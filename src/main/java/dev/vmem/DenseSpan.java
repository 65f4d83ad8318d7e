package dev.vmem;

import java.util.List;

/**
 * A span in dense form: two bits per quantum instead of a boundary tag per segment. Bit {@code i} of
 * {@code used} says quantum {@code i} is allocated; bit {@code i} of {@code starts} says an allocation
 * begins there. An allocation is a run of used bits from its start bit up to the next start bit or the
 * next free quantum, so the bitmaps describe exactly the segments a boundary-tag list would hold (free
 * runs are maximal, hence coalesced), and every search here answers what a walk of those segments would.
 *
 * <p>Two summaries, one bit per bitmap word, make the searches word operations: {@link #full} marks
 * words with no free quantum (skipped when looking for free space) and {@link #empty} words with none
 * allocated (skipped when looking for the end of a free run). Each has a top level, one bit per summary
 * word that is all ones, so a search crosses 262,144 quanta of full (or empty) space per word it reads:
 * a pool held full behind its cursor costs no more to search than an empty one. Bits past the span's
 * end are used and start nothing, so no search needs a bound check inside a word.
 *
 * <p>Indices are quanta from the span's base; the methods that take or return values say so. Not
 * thread-safe: the arena's lock is held.
 */
final class DenseSpan {
    /** The largest span kept dense: 2^26 quanta, 16 MiB of bitmaps. */
    static final long MAX_QUANTA = 1L << 26;

    final long base;
    /** The span's size in quanta. */
    final long quanta;
    private final int shift;
    private final int words;
    /**
     * The two bitmaps interleaved, word {@code w} of {@code used} at {@code 2w} and of {@code starts} at
     * {@code 2w + 1}: a free touches both, and so reads one cache line instead of two.
     */
    private final long[] bitmaps;
    private final long[] full;
    private final long[] empty;
    private final long[] fullTop;
    private final long[] emptyTop;

    /** Live allocations in the span. */
    long allocations;
    /** Allocated quanta. */
    long usedQuanta;
    /** Maximal free runs: with {@link #allocations}, the segments a boundary-tag list would hold. */
    long freeRuns;
    /** Free runs by size class in quanta: {@code runs[c]} counts those of {@code [2^c, 2^(c+1))} quanta. */
    private final long[] runs = new long[64];
    /** Bit {@code c} set exactly when {@code runs[c] > 0}. */
    private long runClasses;
    /** Where {@link #firstInClass} starts looking: just past the block it found last. */
    private long cursor;
    /** Output of {@link #bestFit}: the base and size (values) of the free run holding the block it chose. */
    long bestRunBase;
    long bestRunSize;

    /** A wholly free span of {@code size} values at {@code base}; {@code size / quantum <= MAX_QUANTA}. */
    DenseSpan(long base, long size, long quantum) {
        this.base = base;
        this.shift = Long.numberOfTrailingZeros(quantum);
        this.quanta = size >>> shift;
        assert quanta > 0 && quanta <= MAX_QUANTA : quanta;
        this.words = (int) ((quanta + 63) >>> 6);
        this.bitmaps = new long[2 * words];
        this.full = new long[(words + 63) >>> 6];
        this.empty = new long[(words + 63) >>> 6];
        this.fullTop = new long[(full.length + 63) >>> 6];
        this.emptyTop = new long[(full.length + 63) >>> 6];
        int tail = (int) (quanta & 63);
        if (tail != 0) {
            bitmaps[usedAt(words - 1)] = -1L << tail;
        }
        for (int w = 0; w < words; w++) {
            summarize(w);
        }
        addRun(quanta);
    }

    /** Where word {@code w} of the used bitmap is in {@link #bitmaps}. */
    private static int usedAt(int w) {
        return w << 1;
    }

    /** Where word {@code w} of the starts bitmap is in {@link #bitmaps}. */
    private static int startsAt(int w) {
        return (w << 1) | 1;
    }

    long end() {
        return base + (quanta << shift);
    }

    long value(long index) {
        return base + (index << shift);
    }

    long index(long value) {
        return (value - base) >>> shift;
    }

    boolean isUsed(long i) {
        return (bitmaps[usedAt((int) (i >>> 6))] & (1L << i)) != 0;
    }

    boolean isStart(long i) {
        return (bitmaps[startsAt((int) (i >>> 6))] & (1L << i)) != 0;
    }

    /** The first free quantum at or after {@code i}, or {@link #quanta}. */
    long nextFree(long i) {
        if (i >= quanta) {
            return quanta;
        }
        int w = (int) (i >>> 6);
        long bits = ~bitmaps[usedAt(w)] & (-1L << i);
        if (bits == 0) {
            w = nextClear(full, fullTop, w + 1);
            if (w >= words) {
                return quanta;
            }
            bits = ~bitmaps[usedAt(w)];
        }
        return ((long) w << 6) + Long.numberOfTrailingZeros(bits);
    }

    /** The first allocated quantum at or after {@code i}, or {@link #quanta}. */
    long nextUsed(long i) {
        if (i >= quanta) {
            return quanta;
        }
        int w = (int) (i >>> 6);
        long bits = bitmaps[usedAt(w)] & (-1L << i);
        if (bits == 0) {
            w = nextClear(empty, emptyTop, w + 1);
            if (w >= words) {
                return quanta;
            }
            bits = bitmaps[usedAt(w)];
        }
        return Math.min(quanta, ((long) w << 6) + Long.numberOfTrailingZeros(bits));
    }

    /** The last allocated quantum at or before {@code i}, or -1. */
    long previousUsed(long i) {
        if (i < 0) {
            return -1;
        }
        int w = (int) (i >>> 6);
        long bits = bitmaps[usedAt(w)] & (-1L >>> (63 - (i & 63)));
        if (bits == 0) {
            w = previousClear(empty, emptyTop, w - 1);
            if (w < 0) {
                return -1;
            }
            bits = bitmaps[usedAt(w)];
        }
        return ((long) w << 6) + 63 - Long.numberOfLeadingZeros(bits);
    }

    /** The last word at or before {@code w} whose bit in {@code summary} (over {@code top}) is clear, or -1. */
    private static int previousClear(long[] summary, long[] top, int w) {
        if (w < 0) {
            return -1;
        }
        int s = w >>> 6;
        long bits = ~summary[s] & (-1L >>> (63 - (w & 63)));
        if (bits == 0) {
            s = previousClearBit(top, s - 1);
            if (s < 0) {
                return -1;
            }
            bits = ~summary[s];
        }
        return (s << 6) + 63 - Long.numberOfLeadingZeros(bits);
    }

    /** The last clear bit of {@code bitmap} at or before {@code i}, or -1. */
    private static int previousClearBit(long[] bitmap, int i) {
        if (i < 0) {
            return -1;
        }
        int t = i >>> 6;
        long bits = ~bitmap[t] & (-1L >>> (63 - (i & 63)));
        while (bits == 0) {
            if (--t < 0) {
                return -1;
            }
            bits = ~bitmap[t];
        }
        return (t << 6) + 63 - Long.numberOfLeadingZeros(bits);
    }

    /** The first clear bit of {@code bitmap} at or after {@code i}, or at least {@code 64 * bitmap.length}. */
    private static int nextClearBit(long[] bitmap, int i) {
        int t = i >>> 6;
        if (t >= bitmap.length) {
            return bitmap.length << 6;
        }
        long bits = ~bitmap[t] & (-1L << i);
        while (bits == 0) {
            if (++t == bitmap.length) {
                return bitmap.length << 6;
            }
            bits = ~bitmap[t];
        }
        return (t << 6) + Long.numberOfTrailingZeros(bits);
    }

    /** The first word at or after {@code w} whose bit in {@code summary} (over {@code top}) is clear, or at least {@link #words}. */
    private int nextClear(long[] summary, long[] top, int w) {
        int s = w >>> 6;
        if (s >= summary.length) {
            return words;
        }
        long bits = ~summary[s] & (-1L << w);
        if (bits == 0) {
            s = nextClearBit(top, s + 1);
            if (s >= summary.length) {
                return words;
            }
            bits = ~summary[s];
        }
        return (s << 6) + Long.numberOfTrailingZeros(bits);
    }

    /** The size in values of the allocation starting at {@code value}, or {@link Fit#NONE} if none does. */
    long sizeAt(long value) {
        if (value < base || value >= end() || ((value - base) & ((1L << shift) - 1)) != 0) {
            return Fit.NONE;
        }
        long i = index(value);
        if (!isStart(i)) {
            return Fit.NONE;
        }
        return (allocationEnd(i) - i) << shift;
    }

    /** The end of the allocation starting at {@code i}: the next start or free quantum. O(its length / 64). */
    private long allocationEnd(long i) {
        for (long j = i + 1; j < quanta; j = (j | 63) + 1) {
            int w = (int) (j >>> 6);
            long bits = (bitmaps[startsAt(w)] | ~bitmaps[usedAt(w)]) & (-1L << j);
            if (bits != 0) {
                return Math.min(quanta, ((long) w << 6) + Long.numberOfTrailingZeros(bits));
            }
        }
        return quanta;
    }

    /**
     * The lowest start at or above {@code from} (a value inside the span) of a block {@code r} admits
     * inside one free run, or {@link Fit#NONE}: what a walk of the free segments from {@code from} finds.
     */
    long lowest(Request r, long from) {
        long lo = Math.max(from, r.min());
        if (lo >= end()) {
            return Fit.NONE;
        }
        long i = lo <= base ? 0 : (lo - base + (1L << shift) - 1) >>> shift;
        if (r.size() == 1L << shift && r.align() == 1L << shift) {
            // A single quantum of no alignment fits in any free quantum: below max, no boundary can split it.
            long f = nextFree(i);
            return f < quanta && value(f) < r.max() ? value(f) : Fit.NONE;
        }
        while (i < quanta) {
            long runStart = nextFree(i);
            if (runStart >= quanta || value(runStart) >= r.max()) {
                return Fit.NONE;
            }
            long runEnd = nextUsed(runStart);
            long start = r.lowestWithin(Math.max(value(runStart), lo), value(runEnd));
            if (start != Fit.NONE) {
                return start;
            }
            i = runEnd;
        }
        return Fit.NONE;
    }

    /**
     * The block in the smallest free run that admits it, the lowest such run on a tie, at its lowest start;
     * {@link Fit#NONE} if none does. Leaves that run's size in {@link #bestRunSize}. Visits every free run.
     */
    long bestFit(Request r) {
        long best = Fit.NONE;
        bestRunSize = Long.MAX_VALUE;
        bestRunBase = Long.MAX_VALUE;
        for (long i = nextFree(0); i < quanta; i = nextFree(i)) {
            long runEnd = nextUsed(i);
            long size = (runEnd - i) << shift;
            if (size >= r.size() && size < bestRunSize) {
                long start = r.lowestWithin(value(i), value(runEnd));
                if (start != Fit.NONE) {
                    best = start;
                    bestRunSize = size;
                    bestRunBase = value(i);
                    if (size == r.size()) {
                        break; // nothing smaller can fit, and every later run lies higher
                    }
                }
            }
            i = runEnd;
        }
        return best;
    }

    /** Allocates {@code [start, start + size)} (values), which must be free. */
    void allocate(long start, long size) {
        long i = index(start);
        long k = size >>> shift;
        assert nextUsed(i) >= i + k : start + "+" + size;
        // The free run holding the block: its neighbours are usually in the same word, so look there first.
        long runStart = i == 0 || isUsed(i - 1) ? i : previousUsed(i - 1) + 1;
        long runEnd = i + k == quanta || isUsed(i + k) ? i + k : nextUsed(i + k);
        removeRun(runEnd - runStart);
        addRun(i - runStart);
        addRun(runEnd - i - k);
        setRange(i, i + k, true);
        bitmaps[startsAt((int) (i >>> 6))] |= 1L << i;
        allocations++;
        usedQuanta += k;
    }

    /** Frees the allocation {@code [start, start + size)} (values), which {@link #sizeAt} confirmed. */
    void free(long start, long size) {
        long i = index(start);
        long k = size >>> shift;
        long runStart = i == 0 || isUsed(i - 1) ? i : previousUsed(i - 1) + 1;
        long runEnd = i + k == quanta || isUsed(i + k) ? i + k : nextUsed(i + k);
        removeRun(i - runStart);
        removeRun(runEnd - i - k);
        addRun(runEnd - runStart);
        bitmaps[startsAt((int) (i >>> 6))] &= ~(1L << i);
        setRange(i, i + k, false);
        allocations--;
        usedQuanta -= k;
    }

    private void addRun(long length) {
        if (length > 0) {
            int c = 63 - Long.numberOfLeadingZeros(length);
            runs[c]++;
            runClasses |= 1L << c;
            freeRuns++;
        }
    }

    private void removeRun(long length) {
        if (length > 0) {
            int c = 63 - Long.numberOfLeadingZeros(length);
            if (--runs[c] == 0) {
                runClasses &= ~(1L << c);
            }
            freeRuns--;
        }
    }

    /** Size classes (of values, as {@link FreeLists} counts them) at or above {@code from} holding a free run. */
    long classesFrom(int from) {
        return from >= 64 ? 0 : (runClasses << shift) & (-1L << from);
    }

    /**
     * The lowest admissible start, for {@code r}, in some free run of size class {@code valueClass} (as
     * {@link FreeLists} counts values), or {@link Fit#NONE}: the runs are tried from just past the last
     * block this found, wrapping, so taking one after another costs a few runs each, not a walk from the
     * span's base.
     */
    long firstInClass(int valueClass, Request r) {
        int c = valueClass - shift;
        if (c < 0 || c >= 64 || runs[c] == 0) {
            return Fit.NONE;
        }
        long from = cursor < quanta ? cursor : 0;
        long first = isUsed(from) ? nextFree(from) : previousUsed(from) + 1;
        if (first >= quanta) {
            first = nextFree(0);
        }
        long seen = 0;
        long runStart = first;
        do {
            long runEnd = nextUsed(runStart);
            if (63 - Long.numberOfLeadingZeros(runEnd - runStart) == c) {
                long start = r.lowestWithin(value(runStart), value(runEnd));
                if (start != Fit.NONE) {
                    cursor = index(start) + (r.size() >>> shift);
                    return start;
                }
                if (++seen == runs[c]) {
                    return Fit.NONE;
                }
            }
            runStart = nextFree(runEnd);
            if (runStart >= quanta) {
                runStart = nextFree(0);
            }
        } while (runStart != first);
        return Fit.NONE;
    }

    private void setRange(long from, long to, boolean value) {
        int first = (int) (from >>> 6);
        int last = (int) ((to - 1) >>> 6);
        for (int w = first; w <= last; w++) {
            long mask = -1L;
            if (w == first) {
                mask &= -1L << from;
            }
            if (w == last) {
                mask &= -1L >>> (63 - ((to - 1) & 63));
            }
            long before = bitmaps[usedAt(w)];
            bitmaps[usedAt(w)] = value ? before | mask : before & ~mask;
            // The summaries change only when a word becomes, or stops being, all free or all used.
            if (before == 0 || before == -1L || bitmaps[usedAt(w)] == 0 || bitmaps[usedAt(w)] == -1L) {
                summarize(w);
            }
        }
    }

    private void summarize(int w) {
        long bit = 1L << w;
        int s = w >>> 6;
        long wasFull = full[s];
        long wasEmpty = empty[s];
        full[s] = bitmaps[usedAt(w)] == -1L ? wasFull | bit : wasFull & ~bit;
        empty[s] = bitmaps[usedAt(w)] == 0 ? wasEmpty | bit : wasEmpty & ~bit;
        if (wasFull == -1L || full[s] == -1L || wasEmpty == -1L || empty[s] == -1L) {
            long topBit = 1L << s;
            int t = s >>> 6;
            fullTop[t] = full[s] == -1L ? fullTop[t] | topBit : fullTop[t] & ~topBit;
            emptyTop[t] = empty[s] == -1L ? emptyTop[t] | topBit : emptyTop[t] & ~topBit;
        }
    }

    /** What {@link #visit} reports: one segment of the span, in address order. */
    interface Visitor {
        void segment(long base, long size, boolean allocated);
    }

    /** Reports every segment of the span in address order: allocations one by one, free runs whole. */
    void visit(Visitor v) {
        long i = 0;
        while (i < quanta) {
            long next;
            boolean allocated = isUsed(i);
            if (allocated) {
                next = allocationEnd(i);
            } else {
                next = nextUsed(i);
            }
            v.segment(value(i), (next - i) << shift, allocated);
            i = next;
        }
    }

    /** Adds to {@code problems} what is inconsistent: padding, start bits, summaries and counts. */
    void check(String where, List<String> problems) {
        int tail = (int) (quanta & 63);
        long padding = tail == 0 ? 0 : -1L << tail;
        if ((bitmaps[usedAt(words - 1)] & padding) != padding || (bitmaps[startsAt(words - 1)] & padding) != 0) {
            problems.add(where + ": the bits past the span's end are not used-and-unstarted");
        }
        long[] counted = new long[3];
        for (int w = 0; w < words; w++) {
            if ((bitmaps[startsAt(w)] & ~bitmaps[usedAt(w)]) != 0) {
                problems.add(where + ": a start bit on a free quantum in word " + w);
            }
            long firstOfRuns = bitmaps[usedAt(w)] & ~((bitmaps[usedAt(w)] << 1) | (w == 0 ? 0 : bitmaps[usedAt(w - 1)] >>> 63))
                    & (w == words - 1 ? ~padding : -1L);
            if ((firstOfRuns & ~bitmaps[startsAt(w)]) != 0) {
                problems.add(where + ": a run of allocated quanta without a start in word " + w);
            }
            int s = w >>> 6;
            if (((fullTop[s >>> 6] >>> s) & 1) != (full[s] == -1L ? 1 : 0)
                    || ((emptyTop[s >>> 6] >>> s) & 1) != (empty[s] == -1L ? 1 : 0)) {
                problems.add(where + ": the top summary bits over word " + w + " are wrong");
            }
            boolean isFull = (full[w >>> 6] & (1L << w)) != 0;
            boolean isEmpty = (empty[w >>> 6] & (1L << w)) != 0;
            if (isFull != (bitmaps[usedAt(w)] == -1L) || isEmpty != (bitmaps[usedAt(w)] == 0)) {
                problems.add(where + ": the summary bits of word " + w + " are wrong");
            }
        }
        visit((b, s, allocated) -> {
            counted[allocated ? 0 : 2]++;
            if (allocated) {
                counted[1] += s >>> shift;
            }
        });
        long[] perClass = new long[64];
        visit((b, s, allocated) -> {
            if (!allocated) {
                perClass[63 - Long.numberOfLeadingZeros(s >>> shift)]++;
            }
        });
        for (int c = 0; c < 64; c++) {
            if (perClass[c] != runs[c] || (perClass[c] > 0) != ((runClasses & (1L << c)) != 0)) {
                problems.add(where + ": " + runs[c] + " free runs counted in class " + c + ", the bitmaps hold "
                        + perClass[c]);
            }
        }
        if (counted[0] != allocations || counted[1] != usedQuanta || counted[2] != freeRuns) {
            problems.add(where + ": counts " + allocations + " allocations, " + usedQuanta + " quanta, " + freeRuns
                    + " free runs; the bitmaps hold " + counted[0] + ", " + counted[1] + ", " + counted[2]);
        }
    }

    /** Bytes held by the bitmaps and summaries. */
    long footprint() {
        return 8L * (2L * words + 2L * full.length + 2L * fullTop.length);
    }
}

package dev.vmem;

import java.util.Arrays;
import java.util.List;

/**
 * A span in dense form: two bits per quantum instead of a boundary tag per segment. Bit {@code i} of
 * {@code used} says quantum {@code i} is allocated; bit {@code i} of {@code starts} says an allocation
 * begins there. An allocation is a run of used bits from its start bit up to the next start bit or the
 * next free quantum, so the bitmaps describe exactly the segments a boundary-tag list would hold (free
 * runs are maximal, hence coalesced), and every search here answers what a walk of those segments would.
 *
 * <p>The bits, and the summaries that make searching them word operations, are {@link QuantumBitmaps}; this
 * class adds what the bits mean: allocations, free runs by size class, and the searches of the policies.
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
    private final QuantumBitmaps bits;

    /** Live allocations in the span. */
    long allocations;
    /** Allocated quanta. */
    long usedQuanta;
    /** Maximal free runs: with {@link #allocations}, the segments a boundary-tag list would hold. */
    long freeRuns;
    /**
     * Free runs by size class in quanta: {@code runs[c]} counts those of {@code [2^c, 2^(c+1))} quanta. Kept
     * only while INSTANT_FIT or BEST_FIT search the span (see {@link #classesKept}).
     */
    private final long[] runs = new long[64];
    /** Bit {@code c} set exactly when {@code runs[c] > 0}. */
    private long runClasses;
    /**
     * Whether {@link #runs} and {@link #runClasses} are up to date. Only the INSTANT_FIT and BEST_FIT searches
     * read them, and keeping them costs a free two searches for the ends of the runs around it (most of a
     * one-quantum free's time). So after {@link #idleAfter} allocations and frees with no such search they are
     * let go, and only {@link #freeRuns} is kept, from the neighbouring bits alone; the next search counts them
     * again, O(bitmap words + free runs), no more than those operations cost together.
     */
    private boolean classesKept = true;
    /** Allocations and frees left before the classes are let go; reset by every search that reads them. */
    private long untilIdle;
    private final long idleAfter;
    /** Where {@link #firstInClass} starts looking: just past the block it found last. */
    private long cursor;
    /**
     * The free run the last operation made, grew or left over: {@code [freshStart, freshEnd)}, valid while
     * {@link #mods} still equals {@code freshMods}. {@link #firstInClass} tries it first, as a freelist hands
     * out its newest member first, and the run-boundary lookups of the next operation need no search when it
     * falls in it: a free followed by an allocation of its size then costs no scan of a long free run.
     */
    private long freshStart;
    private long freshEnd;
    private long freshMods = -1;
    /** Allocations and frees so far: what {@code freshMods} is checked against. */
    private long mods;
    /** Output of {@link #bestFit}: the base and size (values) of the free run holding the block it chose. */
    long bestRunBase;
    long bestRunSize;

    /** A wholly free span of {@code size} values at {@code base}; {@code size / quantum <= MAX_QUANTA}. */
    DenseSpan(long base, long size, long quantum) {
        this(base, size, quantum, 0);
    }

    /**
     * As {@link #DenseSpan(long, long, long)}, letting the size classes go after {@code idleAfter} operations
     * with no search that reads them; 0 for {@code max(65,536, quanta)}, which bounds the recount's share.
     */
    DenseSpan(long base, long size, long quantum, long idleAfter) {
        this.base = base;
        this.shift = Long.numberOfTrailingZeros(quantum);
        this.quanta = size >>> shift;
        assert quanta > 0 && quanta <= MAX_QUANTA : quanta;
        this.bits = new QuantumBitmaps(quanta);
        this.idleAfter = idleAfter > 0 ? idleAfter : Math.max(1 << 16, quanta);
        this.untilIdle = this.idleAfter;
        addRun(quanta);
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
        return bits.isUsed(i);
    }

    /** Whether an allocation starts at quantum {@code i}. */
    boolean isStart(long i) {
        return bits.isStart(i);
    }

    long nextFree(long i) {
        return bits.nextFree(i);
    }

    long nextUsed(long i) {
        return bits.nextUsed(i);
    }

    long previousUsed(long i) {
        return bits.previousUsed(i);
    }

    /** The size in values of the allocation starting at {@code value}, or {@link Fit#NONE} if none does. */
    long sizeAt(long value) {
        if (value < base || value >= end() || ((value - base) & ((1L << shift) - 1)) != 0) {
            return Fit.NONE;
        }
        long i = index(value);
        if (!bits.isStart(i)) {
            return Fit.NONE;
        }
        return (bits.allocationEnd(i) - i) << shift;
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
        if (keepingClasses()) {
            countAllocation(i, k);
        } else {
            mods++;
            freeRuns += freeBefore(i) + freeAfter(i + k) - 1; // the run is split around the block
        }
        if (k == 1) {
            bits.takeOne(i);
        } else {
            bits.setRange(i, i + k, true);
            bits.start(i, true);
        }
        allocations++;
        usedQuanta += k;
    }

    /** Frees the allocation {@code [start, start + size)} (values), which {@link #sizeAt} confirmed. */
    void free(long start, long size) {
        long i = index(start);
        long k = size >>> shift;
        if (keepingClasses()) {
            countFree(i, k);
        } else {
            mods++;
            freeRuns += 1 - freeBefore(i) - freeAfter(i + k); // the block joins the free runs beside it
        }
        if (k == 1) {
            bits.releaseOne(i);
        } else {
            bits.start(i, false);
            bits.setRange(i, i + k, false);
        }
        allocations--;
        usedQuanta -= k;
    }

    /**
     * The classes' side of allocating quanta {@code [i, i + k)}: the free run holding them is split. Out of
     * {@link #allocate}, so that the path without classes stays small enough to be inlined.
     */
    private void countAllocation(long i, long k) {
        // The free run holding the block: its neighbours are usually in the same word, so look there first.
        long runStart = i == 0 || isUsed(i - 1) ? i : freeRunStart(i - 1);
        long runEnd = i + k == quanta || isUsed(i + k) ? i + k : freeRunEnd(i + k);
        mods++;
        removeRun(runEnd - runStart);
        addRun(i - runStart);
        addRun(runEnd - i - k);
        if (runEnd > i + k) {
            fresh(i + k, runEnd);
        } else if (i > runStart) {
            fresh(runStart, i);
        }
    }

    /** The classes' side of freeing quanta {@code [i, i + k)}: they join the free runs beside them. */
    private void countFree(long i, long k) {
        long runStart = i == 0 || isUsed(i - 1) ? i : freeRunStart(i - 1);
        long runEnd = i + k == quanta || isUsed(i + k) ? i + k : freeRunEnd(i + k);
        mods++;
        removeRun(i - runStart);
        removeRun(runEnd - i - k);
        addRun(runEnd - runStart);
        fresh(runStart, runEnd);
    }

    /** 1 if quantum {@code i - 1} is in the span and free, else 0. */
    private long freeBefore(long i) {
        return i > 0 ? 1 - bits.usedBit(i - 1) : 0;
    }

    /** 1 if quantum {@code j} is in the span and free, else 0. */
    private long freeAfter(long j) {
        return j < quanta ? 1 - bits.usedBit(j) : 0;
    }

    /** Whether this operation keeps the size classes: counts it towards letting them go. */
    private boolean keepingClasses() {
        if (classesKept && untilIdle-- <= 0) { // idleAfter operations keep them; the next lets them go
            classesKept = false;
        }
        return classesKept;
    }

    /** Counts the free runs by size class again if they were let go, and keeps them for another while. */
    private void keepClasses() {
        untilIdle = idleAfter;
        if (classesKept) {
            return;
        }
        Arrays.fill(runs, 0);
        runClasses = 0;
        long counted = freeRuns;
        freeRuns = 0;
        for (long i = nextFree(0); i < quanta; ) {
            long end = nextUsed(i);
            addRun(end - i);
            i = nextFree(end);
        }
        assert freeRuns == counted : freeRuns + " " + counted;
        classesKept = true;
    }

    private void fresh(long start, long end) {
        freshStart = start;
        freshEnd = end;
        freshMods = mods;
    }

    /** The start of the free run holding free quantum {@code j}. */
    private long freeRunStart(long j) {
        return freshMods == mods && j >= freshStart && j < freshEnd ? freshStart : previousUsed(j) + 1;
    }

    /** The end of the free run holding free quantum {@code j}. */
    private long freeRunEnd(long j) {
        return freshMods == mods && j >= freshStart && j < freshEnd ? freshEnd : nextUsed(j);
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
        keepClasses();
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
        keepClasses();
        if (c < 0 || c >= 64 || runs[c] == 0) {
            return Fit.NONE;
        }
        if (freshMods == mods && 63 - Long.numberOfLeadingZeros(freshEnd - freshStart) == c) {
            long start = r.lowestWithin(value(freshStart), value(freshEnd));
            if (start != Fit.NONE) {
                return start;
            }
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
                next = bits.allocationEnd(i);
            } else {
                next = nextUsed(i);
            }
            v.segment(value(i), (next - i) << shift, allocated);
            i = next;
        }
    }

    /** Adds to {@code problems} what is inconsistent: padding, start bits, summaries and counts. */
    void check(String where, List<String> problems) {
        bits.check(where, problems);
        long[] counted = new long[3];
        long[] perClass = new long[64];
        visit((b, s, allocated) -> {
            if (allocated) {
                counted[0]++;
                counted[1] += s >>> shift;
            } else {
                counted[2]++;
                perClass[63 - Long.numberOfLeadingZeros(s >>> shift)]++;
            }
        });
        for (int c = 0; c < 64 && classesKept; c++) {
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
        return bits.footprint();
    }
}

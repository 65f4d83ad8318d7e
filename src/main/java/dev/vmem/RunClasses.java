package dev.vmem;

import java.util.Arrays;
import java.util.List;

/**
 * The free runs of a dense span counted by size class: {@code runs[c]} counts those of {@code [2^c, 2^(c+1))}
 * quanta. INSTANT_FIT and BEST_FIT read them, as they read the freelists' classes; NEXT_FIT never does.
 *
 * <p>Kept lazily. Keeping them costs each allocation and free two searches for the ends of the free runs
 * beside the block, most of a one-quantum operation's time. So after {@code idleAfter} allocations and frees
 * with no search that reads them they are let go, and the next such search counts them again, in O(bitmap
 * words + free runs): no more than the operations since cost together.
 *
 * <p>Also keeps the <em>fresh</em> run: the free run the last counted operation made, grew or left over.
 * {@link DenseSearch#firstInClass} tries it first, as a freelist hands out its newest member first;
 * {@link DenseSearch#bestFit} takes it at once if it is the only run of the smallest class the block can use and
 * admits the block. The run-end lookups of the next operation need no search when it falls in it: a free
 * followed by an allocation of its size then costs no scan of a long free run.
 *
 * <p>Indices are quanta from the span's base. Not thread-safe: the arena's lock is held.
 */
final class RunClasses {
    private final QuantumBitmaps bits;
    private final long quanta;
    private final long[] runs = new long[64];
    /** Bit {@code c} set exactly when {@code runs[c] > 0}. */
    private long classes;
    /**
     * Whether {@link #runs} and {@link #classes} are up to date. Not at first: the first search that reads them
     * counts them, in O(bitmap words + free runs), no more than making the span dense and the operations since
     * cost together under the default rule (a span enters with at least one allocation per 256 quanta, so at
     * most 4 bitmap words each; an operation adds at most one run). Counted from the start, they cost every
     * allocation that builds the span and, where no search reads them (an ID pool's NEXT_FIT), took its next
     * {@code idleAfter} operations off the plain path: measured on a new pool of 1,000,000 IDs at 10% full, 40% of
     * its first million steps, and 110 to 215 ns a step over the first 500,000 against 43 to 61 ns now.
     */
    private boolean kept;
    /** Allocations and frees left before the classes are let go; reset by every search that reads them. */
    private long untilIdle;
    private final long idleAfter;
    private long freshStart;
    private long freshEnd;
    /**
     * Whether {@code [freshStart, freshEnd)} is a free run: only counted operations keep it so, and letting the
     * classes go forgets it.
     */
    private boolean freshValid;

    /** The classes of {@code bits}, not counted yet; once counted, let go after {@code idleAfter} operations unread. */
    RunClasses(QuantumBitmaps bits, long idleAfter) {
        this.bits = bits;
        this.quanta = bits.quanta;
        this.idleAfter = idleAfter;
    }

    /** Whether the classes are counted now; unlike {@link #keeping}, counts nothing. */
    boolean kept() {
        return kept;
    }

    /** Whether this allocation or free is to be counted: counts it towards letting the classes go. */
    boolean keeping() {
        if (kept && untilIdle-- <= 0) { // idleAfter operations keep them; the next lets them go
            kept = false;
            freshValid = false;
        }
        return kept;
    }

    /** Before quanta {@code [i, i + k)}, free, are allocated: the free run holding them is split. */
    void allocating(long i, long k) {
        // The free run holding the block: its neighbours are usually in the same word, so look there first.
        long runStart = i == 0 || bits.isUsed(i - 1) ? i : freeRunStart(i - 1);
        long runEnd = i + k == quanta || bits.isUsed(i + k) ? i + k : freeRunEnd(i + k);
        remove(runEnd - runStart);
        add(i - runStart);
        add(runEnd - i - k);
        if (runEnd > i + k) {
            fresh(i + k, runEnd);
        } else if (i > runStart) {
            fresh(runStart, i);
        } else {
            freshValid = false;
        }
    }

    /** Before the allocation {@code [i, i + k)} is freed: it joins the free runs beside it. */
    void freeing(long i, long k) {
        long runStart = i == 0 || bits.isUsed(i - 1) ? i : freeRunStart(i - 1);
        long runEnd = i + k == quanta || bits.isUsed(i + k) ? i + k : freeRunEnd(i + k);
        remove(i - runStart);
        remove(runEnd - i - k);
        add(runEnd - runStart);
        fresh(runStart, runEnd);
    }

    /** Counts the free runs again if they were let go, and keeps them for another while. */
    void keep() {
        untilIdle = idleAfter;
        if (kept) {
            return;
        }
        Arrays.fill(runs, 0);
        classes = 0;
        for (long i = bits.nextFree(0); i < quanta; ) {
            long end = bits.nextUsed(i);
            add(end - i);
            i = bits.nextFree(end);
        }
        kept = true;
    }

    /** Classes (in quanta) holding a free run, as bits; call {@link #keep} first. */
    long classes() {
        return classes;
    }

    /** Free runs in all; call {@link #keep} first. A sum over the classes that hold any. */
    long runCount() {
        long sum = 0;
        for (long left = classes; left != 0; left &= left - 1) {
            sum += runs[Long.numberOfTrailingZeros(left)];
        }
        return sum;
    }

    /** Free runs in class {@code c}; call {@link #keep} first. */
    long count(int c) {
        return runs[c];
    }

    /** Whether the fresh run is a free run of class {@code c}; call {@link #keep} first. */
    boolean freshIn(int c) {
        return freshValid && 63 - Long.numberOfLeadingZeros(freshEnd - freshStart) == c;
    }

    long freshStart() {
        return freshStart;
    }

    long freshEnd() {
        return freshEnd;
    }

    private void fresh(long start, long end) {
        freshStart = start;
        freshEnd = end;
        freshValid = true;
    }

    /** The start of the free run holding free quantum {@code j}. */
    private long freeRunStart(long j) {
        return freshValid && j >= freshStart && j < freshEnd ? freshStart : bits.previousUsed(j) + 1;
    }

    /** The end of the free run holding free quantum {@code j}. */
    private long freeRunEnd(long j) {
        return freshValid && j >= freshStart && j < freshEnd ? freshEnd : bits.nextUsed(j);
    }

    private void add(long length) {
        if (length > 0) {
            int c = 63 - Long.numberOfLeadingZeros(length);
            runs[c]++;
            classes |= 1L << c;
        }
    }

    private void remove(long length) {
        if (length > 0) {
            int c = 63 - Long.numberOfLeadingZeros(length);
            if (--runs[c] == 0) {
                classes &= ~(1L << c);
            }
        }
    }

    /** Adds to {@code problems} where the kept counts differ from {@code perClass}, the runs the bitmaps hold. */
    void check(String where, long[] perClass, List<String> problems) {
        for (int c = 0; c < 64 && kept; c++) {
            if (perClass[c] != runs[c] || (perClass[c] > 0) != ((classes & (1L << c)) != 0)) {
                problems.add(where + ": " + runs[c] + " free runs counted in class " + c + ", the bitmaps hold "
                        + perClass[c]);
            }
        }
        if (freshValid && kept && (freshStart >= freshEnd || bits.nextUsed(freshStart) != freshEnd
                || (freshStart > 0 && !bits.isUsed(freshStart - 1)))) {
            problems.add(where + ": the fresh run [" + freshStart + ", " + freshEnd + ") is not a free run");
        }
    }
}

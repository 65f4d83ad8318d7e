package dev.vmem;

import java.util.List;

/**
 * A span in dense form: bits per quantum instead of a boundary tag per segment. Bit {@code i} of {@code used}
 * says quantum {@code i} is allocated; bit {@code i} of {@code starts} says an allocation begins there (while
 * every allocation is one quantum, the starts are implied by the used bits and not kept: see
 * {@link QuantumBitmaps}). An allocation is a run of used bits from its start bit up to the next start bit or the
 * next free quantum, so the bitmaps describe exactly the segments a boundary-tag list would hold (free
 * runs are maximal, hence coalesced), and every search of them ({@link DenseSearch}) answers what a walk of those
 * segments would.
 *
 * <p>The bits, and the summaries that make searching them word operations, are {@link QuantumBitmaps}; this
 * class adds what the bits mean: allocations and free runs by size class. {@link DenseSearch} searches them.
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
    private final long end;
    private final int shift;
    private final QuantumBitmaps bits;

    /** Live allocations in the span. */
    long allocations;
    /**
     * Allocated quanta beyond the first of each allocation: {@link #usedQuanta()} less {@link #allocations}, so a
     * one-quantum operation changes one counter, not two.
     */
    private long longerQuanta;
    /** See {@link #plain()}; set again wherever the size classes or the starts bitmap are let go or taken up. */
    private boolean plain;
    /** The free runs by size class, for INSTANT_FIT and BEST_FIT; kept only while they search the span. */
    private final RunClasses classes;
    /** The policies' searches of the free runs. */
    final DenseSearch search;
    /** One-quantum allocations and frees since the starts bitmap was last rebuilt; see {@link #dropStartsIfDue}. */
    private long singlesSinceStarts;

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
        this.end = base + size;
        assert quanta > 0 && quanta <= MAX_QUANTA : quanta;
        this.bits = new QuantumBitmaps(quanta);
        this.classes = new RunClasses(bits, idleAfter > 0 ? idleAfter : Math.max(1 << 16, quanta));
        this.search = new DenseSearch(this, bits, shift);
        replain();
    }

    /** Allocated quanta. */
    long usedQuanta() {
        return allocations + longerQuanta;
    }

    /**
     * Whether a one-quantum operation needs nothing beyond the bits and the count of allocations: the size classes
     * are not counted and the starts bitmap is not kept, an ID pool's usual state.
     */
    boolean plain() {
        return plain;
    }

    /** After the size classes or the starts bitmap were let go or taken up: whether {@link #plain} holds. */
    private void replain() {
        plain = !classes.kept() && !bits.startsKept();
    }

    long end() {
        return end;
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

    /**
     * Maximal free runs: with {@link #allocations}, the segments a boundary-tag list would hold. Summed from the
     * size classes while they are kept, else counted when read ({@link FreeRunCount}). A packed span searched by
     * INSTANT_FIT asks the rule every 64 operations or so, and the count would read 8 bitmap words again for each
     * operation since: 7% of such a pool's step in a profile at 10% full.
     */
    long freeRuns() {
        return classes.kept() ? classes.runCount() : bits.freeRuns();
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

    /** Allocates {@code [start, start + size)} (values), which must be free. */
    void allocate(long start, long size) {
        long i = index(start);
        long k = size >>> shift;
        assert nextUsed(i) >= i + k : start + "+" + size;
        if (k == 1) {
            takeOne(i);
            return;
        }
        if (bits.keepStarts()) { // first: it may run out of memory, and nothing has changed yet
            singlesSinceStarts = 0;
        }
        if (classes.keeping()) {
            classes.allocating(i, k);
        }
        replain();
        bits.setRange(i, i + k, true);
        bits.start(i, true);
        allocations++;
        longerQuanta += k - 1;
    }

    /** Frees the allocation {@code [start, start + size)} (values), which {@link #sizeAt} confirmed. */
    void free(long start, long size) {
        long i = index(start);
        long k = size >>> shift;
        if (k == 1) {
            releaseOne(i);
            return;
        }
        if (classes.keeping()) {
            classes.freeing(i, k);
        }
        replain();
        bits.start(i, false);
        bits.setRange(i, i + k, false);
        allocations--;
        longerQuanta -= k - 1;
    }

    /**
     * NEXT_FIT of one quantum, whole: allocates the lowest free quantum at or after value {@code from} and
     * returns its value, or {@link Fit#NONE} with nothing changed if the span has none there. An ID pool's
     * allocation: one search and one word pair.
     */
    long takeOneFrom(long from) {
        long f = firstFreeFrom(from);
        if (f >= quanta) {
            return Fit.NONE;
        }
        takeOne(f);
        return value(f);
    }

    /**
     * {@link #takeOneFrom} in a {@link #plain()} span; {@link Fit#NONE} with nothing changed in any other. It does
     * none of the other states' bookkeeping, so that its compiled code stays small enough for the JIT to compile
     * it into its callers ({@link IdPath}).
     */
    long takePlainOneFrom(long from) {
        long f = plain ? firstFreeFrom(from) : quanta;
        if (f >= quanta) {
            return Fit.NONE;
        }
        bits.takeOne(f);
        allocations++;
        return value(f);
    }

    /**
     * INSTANT_FIT of one quantum where the answer is the fresh run ({@link RunClasses}): allocates its first quantum
     * and returns its value if the size classes are kept, the fresh run is in the lowest class holding a run, and
     * {@code listClasses} (the boundary-tag freelists' classes, of values) holds no class at or below it, which would
     * come first; else returns {@link Fit#NONE} with nothing changed. Where it applies, this is the block
     * {@link DenseSearch#firstInClass} would choose: a pool that frees an ID between two live ones and takes one
     * gets that ID back.
     */
    long takeFreshOne(long listClasses) {
        if (!freshComesFirst(listClasses)) {
            return Fit.NONE;
        }
        classes.keep(); // a search that reads the classes, as firstInClass's
        long i = classes.freshStart();
        takeOne(i);
        return value(i);
    }

    /** Whether {@link #takeFreshOne} applies, with the freelists' classes {@code listClasses}. */
    boolean freshComesFirst(long listClasses) {
        long kept = classes.kept() ? classes.classes() : 0;
        int c = Long.numberOfTrailingZeros(kept);
        return kept != 0 && classes.freshIn(c) && (listClasses & ((2L << (c + shift)) - 1)) == 0;
    }

    /** The first free quantum at or after value {@code from}, or {@link #quanta} if none is. */
    private long firstFreeFrom(long from) {
        return from >= end ? quanta : nextFree(from <= base ? 0 : (from - base + (1L << shift) - 1) >>> shift);
    }

    /**
     * Frees the allocation at {@code value} (inside the span) if it is one quantum, and returns true; else
     * returns false with nothing changed, for the general path ({@link #sizeAt}, then {@link #free}) to check
     * it and free it or say why not. An ID pool's free: one word pair.
     */
    boolean freeOne(long value) {
        long i = singleAt(value);
        if (i < 0) {
            return false;
        }
        releaseOne(i);
        return true;
    }

    /** {@link #freeOne} in a {@link #plain()} span; false with nothing changed in any other. Small, as the other is. */
    boolean freePlainOne(long value) {
        long i = plain ? singleAt(value) : -1;
        if (i < 0) {
            return false;
        }
        bits.releaseOne(i);
        allocations--;
        return true;
    }

    /** The quantum of the one-quantum allocation at {@code value} (inside the span), or -1 if none is there. */
    private long singleAt(long value) {
        long offset = value - base;
        return (offset & ((1L << shift) - 1)) == 0 && bits.isSingle(offset >>> shift) ? offset >>> shift : -1;
    }

    /** Allocates free quantum {@code i}. */
    private void takeOne(long i) {
        if (classes.keeping()) {
            classes.allocating(i, 1);
        }
        bits.takeOne(i);
        allocations++;
        if (bits.startsKept()) {
            dropStartsIfDue();
        }
        replain();
    }

    /** Frees quantum {@code i}, a one-quantum allocation: the reverse of {@link #takeOne}. */
    private void releaseOne(long i) {
        if (classes.keeping()) {
            classes.freeing(i, 1);
        }
        bits.releaseOne(i);
        allocations--;
        if (bits.startsKept()) {
            dropStartsIfDue();
        }
        replain();
    }

    /**
     * Lets the starts bitmap go once every allocation is one quantum again and one-quantum operations have
     * paid for its rebuild (one per bitmap word): a span that mixes sizes keeps it, rather than rebuilding it
     * at every larger allocation.
     */
    private void dropStartsIfDue() {
        if (++singlesSinceStarts >= bits.words() && longerQuanta == 0) {
            bits.dropStarts();
        }
    }

    /** Size classes (of values, as {@link FreeLists} counts them) at or above {@code from} holding a free run. */
    long classesFrom(int from) {
        return from >= 64 ? 0 : (keptClasses().classes() << shift) & (-1L << from);
    }

    /** The free runs by size class, counted again if they were let go, for a search that reads them. */
    RunClasses keptClasses() {
        classes.keep();
        plain = false;
        return classes;
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
        classes.check(where, perClass, problems);
        if (!bits.startsKept() && longerQuanta != 0) {
            problems.add(where + ": the starts bitmap is not kept, yet " + allocations + " allocations hold "
                    + usedQuanta() + " quanta");
        }
        if (plain != (!classes.kept() && !bits.startsKept())) {
            problems.add(where + ": the plain flag is " + plain + " with size classes kept " + classes.kept()
                    + " and starts kept " + bits.startsKept());
        }
        if (counted[0] != allocations || counted[1] != usedQuanta() || counted[2] != bits.freeRuns()) {
            problems.add(where + ": counts " + allocations + " allocations, " + usedQuanta() + " quanta, "
                    + bits.freeRuns() + " free runs; the bitmaps hold " + counted[0] + ", " + counted[1] + ", "
                    + counted[2]);
        }
    }

    /** Bytes held by the bitmaps and summaries. */
    long footprint() {
        return bits.footprint();
    }
}

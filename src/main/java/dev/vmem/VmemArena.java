package dev.vmem;

import java.util.List;

/**
 * The operations every vmem arena offers, in memory ({@link Arena}) or persistent (the store's arenas),
 * with one contract, stated here; {@link Arena} states what holds for every method (values, rounding,
 * failure tiers, the strong exception guarantee, thread safety).
 */
public interface VmemArena {

    /** The arena's name. */
    String label();

    /** The granularity of every allocation, a power of two. */
    long quantum();

    /**
     * Gives the arena the range {@code [base, base + size)}.
     *
     * @throws IllegalArgumentException if the span is empty, negative, not aligned to the quantum,
     *         runs past {@code Long.MAX_VALUE}, or overlaps a span the arena already has
     */
    void addSpan(long base, long size);

    /**
     * Allocates {@code size} values (rounded up to the quantum) under {@code policy}.
     *
     * @return the base of the block
     * @throws IllegalArgumentException if {@code size} is not positive or overflows when rounded
     * @throws ArenaExhaustedException if neither the arena nor its source has room
     */
    long alloc(long size, Policy policy);

    /** As {@link #alloc}, but returns {@link Arena#NONE} instead of throwing when space runs out. */
    long tryAlloc(long size, Policy policy);

    /**
     * Allocates a block that satisfies {@code constraints} under {@code policy}. The arena rounds the
     * request to its quantum first: the size up, {@code align} up to at least the quantum, {@code min}
     * up and {@code max} down to multiples of it; {@code phase} must be a multiple of the quantum.
     *
     * @throws IllegalArgumentException if the rounded request is malformed or over-constrained
     * @throws ArenaExhaustedException if neither the arena nor its source has a fitting range
     */
    long xalloc(Constraints constraints, Policy policy);

    /** As {@link #xalloc}, but returns {@link Arena#NONE} instead of throwing when space runs out. */
    long tryXalloc(Constraints constraints, Policy policy);

    /**
     * Frees the live allocation that starts at {@code base}.
     *
     * @throws InvalidFreeException if no live allocation starts at {@code base}
     */
    void free(long base);

    /**
     * Frees the live allocation that starts at {@code base}, checking that it was allocated with
     * {@code size} (compared after rounding up to the quantum).
     *
     * @throws InvalidFreeException if no live allocation starts at {@code base} or its size differs
     */
    void free(long base, long size);

    /**
     * Allocates exactly {@code [base, base + size)}, which must be wholly free: to restore an ID a process
     * had, re-mark blocks a log says are in use, or pin a fixed address. The claim counts and is reported
     * (and journalled) as an ordinary allocation, freed like any other; it neither imports nor moves the
     * NEXT_FIT rotor. In an arena with quantum caches, a range that is exactly one cached block no caller
     * holds is taken from its cache, and one over cache slabs no caller holds a block of takes them back
     * first. Cost: O(log n) and a walk of a few segments (see the package documentation), not of the span.
     *
     * @throws IllegalArgumentException naming the values if the size is not positive, the base is negative,
     *         either is not a multiple of the quantum, the range runs past {@code Long.MAX_VALUE}, or it lies
     *         outside every span or leaves its span
     * @throws RangeInUseException      naming the live allocation (or held cached block) it overlaps
     */
    void claim(long base, long size);

    /**
     * Makes the arena's live allocations exactly {@code live}, the ranges the caller knows to be in use
     * (from its own data: a block map, a process table), as one atomic change: an allocation of the arena
     * that is not exactly (same base, same size) one of the ranges is freed (leaked); a range that is not
     * exactly an allocation is claimed (lost). An allocation that only overlaps a range is therefore freed
     * and the range claimed. Imported spans left wholly free go back to the source, after the claims. In
     * an arena with quantum caches, every slab first becomes the blocks callers hold in it, each then an
     * ordinary allocation. The ranges may come in any order; counters record each free and claim, and the
     * NEXT_FIT rotor does not move. A persistent arena journals the whole change as one unit.
     *
     * <p>Cost: O(n + m) for n segments and m ranges given in address order (O(m log m) to sort them
     * otherwise), plus O(log n) for each lost range.
     *
     * @return what was freed and what was claimed
     * @throws IllegalArgumentException naming the range when one is not a multiple of the quantum, lies
     *         outside every span or leaves its span, or two overlap; nothing changes
     */
    ReconcileReport reconcile(Iterable<Allocation> live);

    /** Whether {@code value} lies in one of the arena's spans. */
    boolean contains(long value);

    /** Space figures and counters, read in O(1). */
    ArenaStats stats();

    /** The NEXT_FIT rotor: the end of the previous next-fit allocation (0 before the first). */
    long nextFitCursor();

    /** Every span marker and segment in address order; each span marker precedes the segments tiling it. */
    List<Segment> segments();

    /**
     * A readable picture of the arena's state: its definition, space figures, rotor, and every span and
     * segment in address order. Two dumps are equal exactly when the arenas' states are.
     */
    String dump();

    /**
     * Runs the full invariant check of the package documentation.
     *
     * @return a description of each violation; empty when the arena is sound
     */
    List<String> checkInvariants();
}

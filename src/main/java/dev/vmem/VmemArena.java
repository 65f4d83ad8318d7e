package dev.vmem;

import java.util.List;

/**
 * The operations every vmem arena offers, in memory ({@link Arena}) or persistent (the store's arenas),
 * with one contract, stated here for every method; each implementation states its thread safety.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Values are {@code long}s in {@code [0, 2^63)}; a span's end {@code base + size} never exceeds
 *       {@code Long.MAX_VALUE}. {@code 0} is a valid value; {@link Arena#NONE} (-1) never is.</li>
 *   <li>Sizes are rounded up to the quantum; every base handed out is a multiple of it.</li>
 *   <li>Bad arguments throw {@link IllegalArgumentException} naming the values; running out of space
 *       throws {@link ArenaExhaustedException} (or returns {@link Arena#NONE} from the {@code try} forms); a
 *       free that names no live allocation throws {@link InvalidFreeException}.</li>
 *   <li>Strong exception guarantee: a call that throws leaves the arena exactly as it was (only the
 *       {@code failures} counter records a failed allocation). With quantum caches, an allocation that
 *       finds no room first gives wholly idle slabs back (as {@link Arena#reapCaches()} does) and keeps that
 *       even if it then fails (a source's refusal included): no caller's allocation changes, but idle cached
 *       space becomes free and an imported span it leaves wholly free goes back to the source. With a reuse quarantine, a free
 *       or an allocation that finds no room first releases the quarantined blocks that are due (as
 *       {@link Arena#reapQuarantine()} does) and keeps that likewise.</li>
 * </ul>
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
     * first. A quarantined block is not free: a claim over one is refused, naming it as quarantined. Cost:
     * O(log n) and a walk of a few segments (see the package documentation), not of the span.
     *
     * @throws IllegalArgumentException naming the values if the size is not positive, the base is negative,
     *         either is not a multiple of the quantum, the range runs past {@code Long.MAX_VALUE}, or it lies
     *         outside every span or leaves its span
     * @throws RangeInUseException      naming the live allocation (or held cached block, or quarantined block)
     *                                  it overlaps
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
     * NEXT_FIT rotor does not move. A persistent arena journals the whole change as one unit. Quarantined
     * blocks are neither allocations nor free: they stay quarantined, and a range that overlaps one is
     * refused.
     *
     * <p>Cost: O(n + m) for n segments and m ranges given in address order (O(m log m) to sort them
     * otherwise), plus O(log n) for each lost range.
     *
     * @return what was freed and what was claimed
     * @throws IllegalArgumentException naming the range when one is not a multiple of the quantum, lies
     *         outside every span or leaves its span, two overlap, or one overlaps a quarantined block;
     *         nothing changes
     */
    ReconcileReport reconcile(Iterable<Allocation> live);

    /** Whether {@code value} lies in one of the arena's spans. */
    boolean contains(long value);

    /**
     * Space figures and counters, read in O(1) (the segments of a dense span: amortized O(1), see
     * {@link ArenaStats}).
     */
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

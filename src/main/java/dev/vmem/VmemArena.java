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
 *       even if it then fails: no caller's allocation changes, but idle cached space becomes free and
 *       an imported span it leaves wholly free goes back to the source. With a reuse quarantine, a free
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

package dev.vmem;

import java.util.Objects;

/**
 * An arena that reports every change it makes, and can take changes back and hand its state over: the
 * handle a persistent store holds. The {@link #arena()} itself is a plain {@link Arena}; what only a
 * store needs lives here, so the plain arena's surface is what its users need.
 *
 * <p>An observed arena has no quantum caches: a cached block is not a change of the arena, so it could
 * be neither journalled nor reverted.
 *
 * <p>Thread safety: as {@link Arena}; {@link #revert} and {@link #exportState} take the arena's lock.
 */
public final class ObservedArena {
    private final Arena arena;

    /** The handle on {@code arena}; the factories below make the only arenas a store may observe. */
    ObservedArena(Arena arena) {
        this.arena = arena;
    }

    /**
     * A new, empty arena of {@code definition} that reports every change to {@code observer} (the
     * builder's spans included).
     *
     * @throws IllegalArgumentException naming the value when the definition is invalid or has caches
     */
    public static ObservedArena create(Arena.Builder definition, ArenaObserver observer) {
        return new ObservedArena(definition.buildObserved(Objects.requireNonNull(observer, "observer"), null));
    }

    /**
     * An arena of {@code definition} rebuilt from {@code state} (as {@link #exportState()} gave it) in
     * one pass, O(n). Imported spans are taken as already imported: the source is not called. The
     * restore itself is not reported; the builder's spans, added afterwards, are.
     *
     * @throws IllegalArgumentException naming what does not fit when the definition is invalid or the
     *         state is inconsistent (out of order, overlapping, unaligned, counters that do not match)
     */
    public static ObservedArena restore(Arena.Builder definition, ArenaState state, ArenaObserver observer) {
        return new ObservedArena(definition.buildObserved(Objects.requireNonNull(observer, "observer"),
                Objects.requireNonNull(state, "state")));
    }

    /** The arena, for everything a user of it does. */
    public Arena arena() {
        return arena;
    }

    /**
     * Undoes one change this arena reported, counters included, without calling the source (the
     * source's own changes are undone on the source) and without reporting anything. Changes must be
     * reverted newest first; one whose undoing the arena's state does not allow is rejected with nothing
     * changed. A store uses this to take back an operation whose journal record could not be written,
     * or a batch that failed part-way.
     *
     * @throws IllegalArgumentException if the change does not match the arena's state
     * @throws IllegalStateException    if the arena is closed
     */
    public void revert(ArenaChange change) {
        Objects.requireNonNull(change, "change");
        arena.lockedOpen(() -> {
            StateTransfer.revert(arena.engine, change);
            return null;
        });
    }

    /**
     * The arena's spans, live allocations, rotor and counters: what {@link #restore} needs to rebuild
     * it. O(n).
     *
     * @throws IllegalStateException if the arena is closed
     */
    public ArenaState exportState() {
        return arena.lockedOpen(() -> StateTransfer.export(arena.engine));
    }

    @Override
    public String toString() {
        return "Observed" + arena;
    }
}

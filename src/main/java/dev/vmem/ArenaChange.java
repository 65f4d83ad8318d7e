package dev.vmem;

/**
 * One change an arena made, described by its result rather than by the request that caused it, so
 * that replaying a change never re-runs a policy. An {@link ArenaObserver} sees every change in the
 * order it happened; {@link ObservedArena#revert} undoes the newest ones.
 */
public sealed interface ArenaChange {

    /** A span joined the arena: added explicitly, or imported from the source. */
    record SpanAdded(long base, long size, boolean imported) implements ArenaChange {
    }

    /** An imported span left the arena: given back to the source. */
    record SpanRemoved(long base, long size) implements ArenaChange {
    }

    /** {@code [base, base + size)} became a live allocation. */
    record Allocated(long base, long size) implements ArenaChange {
    }

    /** The live allocation {@code [base, base + size)} was freed. */
    record Freed(long base, long size) implements ArenaChange {
    }

    /** The NEXT_FIT rotor moved from {@code from} to {@code to}. */
    record CursorMoved(long from, long to) implements ArenaChange {
    }
}

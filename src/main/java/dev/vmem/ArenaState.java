package dev.vmem;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Everything that distinguishes one arena from another of the same definition: its spans, its live
 * allocations, its NEXT_FIT rotor and its counters. Free segments are not listed: coalescing makes
 * them a function of the spans and allocations. Exported by {@link ObservedArena#exportState()} and turned back
 * into an arena by {@link ObservedArena#restore}; a persistent store checkpoints it, and replays its
 * journal onto it with {@link ArenaReplay}.
 *
 * @param spans       span markers in address order, kinds {@code SPAN} or {@code IMPORTED_SPAN}
 * @param allocations live allocations in address order as pairs {@code base0, size0, base1, size1, ...}
 * @param cursor      the NEXT_FIT rotor
 * @param counters    the counters (space figures in it are ignored by restore and recomputed)
 */
public record ArenaState(List<Segment> spans, long[] allocations, long cursor, ArenaStats counters) {

    public ArenaState {
        spans = List.copyOf(spans);
        Objects.requireNonNull(allocations, "allocations");
        Objects.requireNonNull(counters, "counters");
        if ((allocations.length & 1) != 0) {
            throw new IllegalArgumentException("allocations holds " + allocations.length
                    + " longs, not base/size pairs");
        }
    }

    /** Number of live allocations. */
    public int allocationCount() {
        return allocations.length / 2;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ArenaState s && spans.equals(s.spans) && Arrays.equals(allocations, s.allocations)
                && cursor == s.cursor && counters.equals(s.counters);
    }

    @Override
    public int hashCode() {
        return Objects.hash(spans, Arrays.hashCode(allocations), cursor, counters);
    }

    @Override
    public String toString() {
        return "ArenaState[spans=" + spans.size() + ", allocations=" + allocationCount() + ", cursor=" + cursor
                + ", counters=" + counters + "]";
    }
}

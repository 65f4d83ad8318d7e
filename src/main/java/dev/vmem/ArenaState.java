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
 * @param quarantine  the quarantined blocks, oldest first, as triples {@code base0, size0, due0, ...}: free
 *                    in every other respect (they are not in {@code allocations}, and their frees are
 *                    counted), held back from reuse until the due time, in milliseconds of the arena's
 *                    quarantine clock ({@link Arena.Builder#quarantineClock}), or
 *                    {@link #DUE_UNKNOWN} for "the whole delay from the restore"
 */
public record ArenaState(List<Segment> spans, long[] allocations, long cursor, ArenaStats counters,
        long[] quarantine) {
    /** The due time of a quarantined block whose free time is not known: its whole delay starts at the restore. */
    public static final long DUE_UNKNOWN = QuarantineQueue.DUE_UNKNOWN;

    public ArenaState {
        spans = List.copyOf(spans);
        Objects.requireNonNull(allocations, "allocations");
        Objects.requireNonNull(counters, "counters");
        Objects.requireNonNull(quarantine, "quarantine");
        if ((allocations.length & 1) != 0) {
            throw new IllegalArgumentException("allocations holds " + allocations.length
                    + " longs, not base/size pairs");
        }
        if (quarantine.length % 3 != 0) {
            throw new IllegalArgumentException("quarantine holds " + quarantine.length
                    + " longs, not base/size/due triples");
        }
    }

    /** The state of an arena without quarantined blocks. */
    public ArenaState(List<Segment> spans, long[] allocations, long cursor, ArenaStats counters) {
        this(spans, allocations, cursor, counters, new long[0]);
    }

    /** Number of live allocations. */
    public int allocationCount() {
        return allocations.length / 2;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ArenaState s && spans.equals(s.spans) && Arrays.equals(allocations, s.allocations)
                && cursor == s.cursor && counters.equals(s.counters) && Arrays.equals(quarantine, s.quarantine);
    }

    @Override
    public int hashCode() {
        return Objects.hash(spans, Arrays.hashCode(allocations), cursor, counters, Arrays.hashCode(quarantine));
    }

    @Override
    public String toString() {
        return "ArenaState[spans=" + spans.size() + ", allocations=" + allocationCount() + ", cursor=" + cursor
                + ", counters=" + counters + (quarantine.length == 0 ? "" : ", quarantined=" + quarantine.length / 3) + "]";
    }
}

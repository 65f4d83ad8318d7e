package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.testing.Observers;
import dev.vmem.testing.Stats;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Replaying a journal onto a state: each kind of change is applied when it fits and refused, with the
 * reason and nothing changed, when it does not; and a replayed state is what the arena it describes
 * would export. The rules are the ones revert and restore ask ({@code ChangeRules}).
 */
class ArenaReplayTest {
    private static final long Q = 8;
    /** A plain span [0, 64) holding [8, 16); an imported span [128, 192) holding [136, 144); cursor 16. */
    private static final ArenaState START = new ArenaState(
            List.of(new Segment(0, 64, Segment.Kind.SPAN), new Segment(128, 64, Segment.Kind.IMPORTED_SPAN)),
            new long[] {8, 8, 136, 8}, 16, Stats.counters(2, 0, 0, 1, 0));

    private static void assertRefused(ArenaChange change, String why, boolean hasSource) {
        ArenaReplay replay = new ArenaReplay(START, Q, hasSource);
        String reason = replay.apply(change);
        assertTrue(reason != null && reason.contains(why), change + " refused for '" + why + "', got: " + reason);
        assertEquals(START, replay.state(), change + " changed nothing");
    }

    private static void assertRefused(ArenaChange change, String why) {
        assertRefused(change, why, true);
    }

    @Test
    void changesThatDoNotFit_areRefusedWithTheReason_andChangeNothing() {
        assertRefused(new ArenaChange.SpanAdded(32, 64, false), "overlaps another");
        assertRefused(new ArenaChange.SpanAdded(64, 72, false), "overlaps another");
        assertRefused(new ArenaChange.SpanAdded(256, 0, false), "empty");
        assertRefused(new ArenaChange.SpanAdded(-8, 8, false), "negative");
        assertRefused(new ArenaChange.SpanAdded(256, 12, false), "unaligned");
        assertRefused(new ArenaChange.SpanAdded(Long.MAX_VALUE - 7, 16, false), "Long.MAX_VALUE");
        assertRefused(new ArenaChange.SpanAdded(256, 64, true), "without a source", false);
        assertRefused(new ArenaChange.SpanRemoved(128, 64), "still holds the allocation at 136");
        assertRefused(new ArenaChange.SpanRemoved(0, 64), "no imported span");
        assertRefused(new ArenaChange.SpanRemoved(128, 32), "no imported span");
        assertRefused(new ArenaChange.Allocated(64, 8), "outside every span");
        assertRefused(new ArenaChange.Allocated(56, 16), "outside every span");
        assertRefused(new ArenaChange.Allocated(24, 4), "unaligned");
        assertRefused(new ArenaChange.Allocated(24, 0), "outside every span or is unaligned");
        assertRefused(new ArenaChange.Allocated(0, 16), "overlaps a live allocation");
        assertRefused(new ArenaChange.Allocated(8, 8), "overlaps a live allocation");
        assertRefused(new ArenaChange.Allocated(144 - 8, 16), "overlaps a live allocation");
        assertRefused(new ArenaChange.Freed(8, 16), "no live allocation of that size");
        assertRefused(new ArenaChange.Freed(16, 8), "no live allocation of that size");
        assertRefused(new ArenaChange.Freed(8, 0), "no live allocation of that size");
        assertRefused(new ArenaChange.CursorMoved(0, 24), "the cursor is at 16");
        assertRefused(new ArenaChange.CursorMoved(16, -8), "negative or not a multiple of quantum=8");
        assertRefused(new ArenaChange.CursorMoved(16, 20), "negative or not a multiple of quantum=8");
    }

    @Test
    void changesThatFit_areApplied_andTheStateIsWhatTheArenaWouldExport() {
        ArenaReplay replay = new ArenaReplay(START, Q, true);
        // The edges: a block ending exactly at its span's end, one touching a live allocation on each side.
        for (ArenaChange c : List.of(new ArenaChange.Allocated(56, 8), new ArenaChange.Allocated(0, 8),
                new ArenaChange.Allocated(16, 8), new ArenaChange.Freed(136, 8), new ArenaChange.SpanRemoved(128, 64),
                new ArenaChange.SpanAdded(64, 64, false), new ArenaChange.SpanAdded(192, 8, true),
                new ArenaChange.CursorMoved(16, 24))) {
            assertNull(replay.apply(c), c.toString());
        }
        ArenaState replayed = replay.state();
        assertEquals(List.of(new Segment(0, 64, Segment.Kind.SPAN), new Segment(64, 64, Segment.Kind.SPAN),
                new Segment(192, 8, Segment.Kind.IMPORTED_SPAN)), replayed.spans());
        assertEquals(List.of(0L, 8L, 8L, 8L, 16L, 8L, 56L, 8L), toList(replayed.allocations()));
        assertEquals(24, replayed.cursor());
        assertEquals(5, replayed.counters().allocations());
        assertEquals(1, replayed.counters().frees());
        assertEquals(2, replayed.counters().imports());
        assertEquals(1, replayed.counters().releases());

        // An arena restored from the replayed state exports it again, and is sound.
        Arena parent = Arena.builder("parent").quantum(Q).span(1 << 20, 1 << 10).build();
        ObservedArena restored = ObservedArena.restore(Arena.builder("replayed").quantum(Q).source(parent),
                replayed, Observers.IGNORE);
        assertEquals(replayed.spans(), restored.exportState().spans());
        assertEquals(toList(replayed.allocations()), toList(restored.exportState().allocations()));
        Invariants.assertSound(restored.arena(), parent);
    }

    @Test
    void revertAndReplay_askTheSameRules() {
        // Every refusal above is one revert gives too, for the inverse change: freeing 8..16 twice, say.
        Arena a = Arena.builder("a").quantum(Q).span(0, 64).build();
        long b = a.alloc(8, Policy.INSTANT_FIT);
        ObservedArena handle = new ObservedArena(a);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> handle.revert(new ArenaChange.Allocated(b, 16)));
        assertTrue(e.getMessage().contains("no live allocation of that size"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> handle.revert(new ArenaChange.Freed(b, 8)));
        assertTrue(e.getMessage().contains("no free to take back"), e.getMessage());
        a.free(b);
        handle.revert(new ArenaChange.Freed(b, 8));
        assertEquals(8, a.stats().allocated(), "the free was taken back");
        e = assertThrows(IllegalArgumentException.class, () -> handle.revert(new ArenaChange.SpanAdded(0, 64, false)));
        assertTrue(e.getMessage().contains("still holds the allocation at " + b), e.getMessage());
        assertTrue(handle.toString().contains("Arena[a"), handle.toString());
        assertTrue(a.asSource().toString().contains("Arena[a"), a.asSource().toString());
        Invariants.assertSound(a);
    }

    @Test
    void validate_refusesWhatBuildRefuses_withoutBuilding() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Arena.builder("v").quantum(24).validate());
        assertTrue(e.getMessage().contains("quantum=24"), e.getMessage());
        Arena.builder("v").quantum(16).importQuantum(64).qcacheMax(32).validate();
        Arena ok = Arena.builder("v").quantum(16).importQuantum(64).qcacheMax(32).build();
        assertEquals(64, ok.importQuantum());
        Invariants.assertSound(ok);
    }

    private static List<Long> toList(long[] a) {
        return java.util.Arrays.stream(a).boxed().toList();
    }
}

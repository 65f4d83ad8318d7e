package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.testing.ChangeLog;
import dev.vmem.testing.RecordingSource;
import dev.vmem.testing.Stats;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A futile import: a child whose quantum is finer than its source's may have to ask for a span at the
 * grain below {@code min} (a shifted request) and find that the block does not fit in it. Such a span
 * goes straight back; it is neither reported nor counted, a revert of what was reported restores both
 * arenas, and the shifted request names the only span it can be, so an arena source cannot pick a
 * higher, futile one.
 */
class FutileImportTest {

    @Test
    void revert_ofAllocationWhoseFirstImportWasFutile_restoresBothArenas() {
        // Guards against: reverting an allocation whose first import was futile driving the imports counter negative.
        ChangeLog log = new ChangeLog();
        Arena parent = ObservedArena.create(Arena.builder("parent").quantum(16).span(0, 64), log).arena();
        Arena child = ObservedArena.create(Arena.builder("child").quantum(1).source(parent), log).arena();
        log.clear(); // the parent's span
        String parentDump = parent.dump();
        ArenaStats parentStats = parent.stats();
        String childDump = child.dump();
        ArenaStats childStats = child.stats();

        // [12, 20) straddles the grain boundary 16: the shifted request for [0, 16) is futile, [0, 32) holds it.
        long base = child.xalloc(Constraints.builder(8).min(12).max(20).build(), Policy.INSTANT_FIT);

        assertEquals(12, base);
        assertEquals(List.of(new ArenaChange.Allocated(0, 16), new ArenaChange.Freed(0, 16),
                new ArenaChange.Allocated(0, 32)), log.changesOf(parent), "the parent lent [0, 16) first");
        assertEquals(List.of(new ArenaChange.SpanAdded(0, 32, true), new ArenaChange.Allocated(12, 8)),
                log.changesOf(child), "the futile import is not reported");
        assertEquals(1, child.stats().imports());
        assertEquals(0, child.stats().releases());

        for (ChangeLog.Event e : log.newestFirst()) {
            new ObservedArena(e.arena()).revert(e.change());
        }
        assertEquals(childDump, child.dump());
        assertEquals(childStats, child.stats());
        assertEquals(parentDump, parent.dump());
        assertEquals(parentStats, parent.stats());
        Invariants.assertSound(parent, child);
    }

    @Test
    void failedAllocation_withFutileImport_leavesNoTraceInTheChild() {
        // Guards against: reporting a futile import to the observer although it left no span behind.
        ChangeLog log = new ChangeLog();
        Arena parent = ObservedArena.create(Arena.builder("parent").quantum(16).span(0, 16), log).arena();
        Arena child = ObservedArena.create(Arena.builder("child").quantum(1).source(parent), log).arena();
        log.clear(); // the parent's span
        String parentDump = parent.dump();
        String childDump = child.dump();
        ArenaStats childStats = child.stats();

        long base = child.tryXalloc(Constraints.builder(8).min(12).max(20).build(), Policy.INSTANT_FIT);

        assertEquals(Arena.NONE, base);
        assertEquals(List.of(), log.changesOf(child));
        assertEquals(childDump, child.dump());
        assertEquals(Stats.withOneMoreFailure(childStats), child.stats(),
                "only the failures counter moves");
        assertEquals(parentDump, parent.dump(), "the futile span went back to the parent");
        Invariants.assertSound(parent, child);
    }

    @Test
    void shiftedImport_asksForTheGrainHoldingMin_soAnArenaSourceCannotPickAFutileSpan() {
        // Guards against: a shifted request letting an arena source lend a higher, futile span while [0, 16) is free.
        Arena parent = Arena.builder("parent").quantum(16).span(0, 16).span(16, 16).build();
        Arena child = Arena.builder("child").quantum(1).source(parent).build();

        long base = child.tryXalloc(Constraints.builder(4).min(4).max(18).build(), Policy.INSTANT_FIT);

        assertEquals(4, base, "the parent's span [0, 16) holds the block [4, 8)");
        assertEquals(List.of(new Segment(0, 16, Segment.Kind.IMPORTED_SPAN), new Segment(0, 4, Segment.Kind.FREE),
                new Segment(4, 4, Segment.Kind.ALLOCATED), new Segment(8, 8, Segment.Kind.FREE)), child.segments());
        // The plan itself: every request that can lend a futile span admits exactly one base, the grain of min.
        List<Constraints> requests = ImportPlan.requests(1, 16, 1, new Request(4, 1, 0, 0, 4, 18, Policy.INSTANT_FIT));
        assertFalse(requests.isEmpty());
        for (Constraints r : requests) {
            assertEquals(0, Fit.lowest(r.min(), r.max(), r.size(), r.align(), r.phase(), r.nocross()), r.toString());
            assertEquals(r.size(), r.max() - r.min(), "a shifted request admits a single base: " + r);
        }
        child.free(base);
        assertEquals(0, parent.stats().allocated(), "the span went back when its last block was freed");
        Invariants.assertSound(parent, child);
    }

    @Test
    void shiftedImport_nearLongMaxValue_isStillRequested() {
        // Guards against: the shifted-request loop overflowing near Long.MAX_VALUE and never asking for the span that
        // fits.
        long g = 1L << 61;
        Arena parent = Arena.builder("parent").quantum(g).span(0, 3 * g).build();
        Arena child = Arena.builder("child").quantum(1).source(parent).build();

        long base = child.tryXalloc(Constraints.builder((1L << 62) + 1).min(1).build(), Policy.INSTANT_FIT);

        assertEquals(1, base, "the parent's span [0, 3 * 2^61) holds [1, 2^62 + 2)");
        assertTrue(child.segments().contains(new Segment(0, 3 * g, Segment.Kind.IMPORTED_SPAN)), child.dump());
        child.free(base);
        assertEquals(0, parent.stats().allocated());
        Invariants.assertSound(parent, child);
    }

    @Test
    void sourceThrowingAfterAFutileImport_leavesTheChildExactlyAsItWas() {
        // Guards against: a source that fails after a futile import leaving a trace in the child, or a report.
        int[] imports = {0};
        RecordingSource source = RecordingSource.scripted(16, r -> {
            if (imports[0]++ == 0) {
                return Fit.lowest(r.min(), r.max(), r.size(), r.align(), r.phase(), r.nocross());
            }
            throw new IllegalStateException("source broken by test");
        });
        ChangeLog log = new ChangeLog();
        Arena child = ObservedArena.create(Arena.builder("child").quantum(1).source(source).span(1000, 8), log)
                .arena();
        log.clear(); // the child's own span
        String dump = child.dump();
        ArenaStats stats = child.stats();

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> child.xalloc(Constraints.builder(8).min(12).max(20).build(), Policy.NEXT_FIT));

        assertEquals("source broken by test", e.getMessage());
        assertEquals(3, source.calls().size(), source.calls().toString());
        assertEquals("release 0+16", source.calls().get(1), "the futile span [0, 16) went back first");
        assertEquals(List.of(), log.events());
        assertEquals(dump, child.dump());
        assertEquals(stats, child.stats());
        Invariants.assertSound(child);
    }
}

package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.testing.ChangeLog;
import dev.vmem.testing.Observers;
import dev.vmem.testing.Stats;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Observed changes, their reversal, and export/restore: the hooks a persistent store is built on. */
class ArenaChangeTest {

    /** A parent and a child that imports from it, both observed into one shared log. */
    private static final class Pair {
        final ChangeLog log = new ChangeLog();
        final Arena parent;
        final Arena child;

        Pair(long quantum) {
            parent = ObservedArena.create(Arena.builder("parent").quantum(quantum).span(0, 1 << 20 | quantum * 4096), log)
                    .arena();
            child = ObservedArena.create(Arena.builder("child").quantum(quantum).source(parent)
                    .importQuantum(quantum * 16), log).arena();
        }
    }

    /** Runs seeded random work: allocations (some constrained), frees, an explicit span. */
    private static void churn(Pair p, Policy policy, long quantum, long seed, int steps) {
        Random rnd = new Random(seed);
        List<long[]> live = new ArrayList<>();
        p.child.addSpan(1L << 40, quantum * 64);
        for (int i = 0; i < steps; i++) {
            if (live.isEmpty() || rnd.nextInt(3) > 0) {
                long size = quantum * (1 + rnd.nextInt(40));
                long base = rnd.nextBoolean()
                        ? p.child.tryAlloc(size, policy)
                        : p.child.tryXalloc(Constraints.builder(size).align(quantum << rnd.nextInt(4)).build(), policy);
                if (base != Arena.NONE) {
                    live.add(new long[] {base, size});
                }
            } else {
                long[] b = live.remove(rnd.nextInt(live.size()));
                p.child.free(b[0], b[1]);
            }
        }
    }

    /**
     * {@link ObservedArena#revert}: every reported change, undone newest first, gives back the state
     * before it; a change the state cannot have come from is rejected with nothing changed.
     */
    @Nested
    class Revert {

        @ParameterizedTest(name = "{0} quantum={1}")
        @MethodSource("dev.vmem.testing.Configurations#policiesAndQuanta")
        void revert_everyChangeNewestFirst_restoresTheInitialState(Policy policy, long quantum) {
            long seed = 42 + quantum + policy.ordinal();
            Pair p = new Pair(quantum);
            String parentBefore = p.parent.dump();
            ArenaStats parentStats = p.parent.stats();
            String childBefore = p.child.dump();
            ArenaStats childStats = p.child.stats();
            p.log.clear();

            churn(p, policy, quantum, seed, 400);
            assertTrue(p.log.events().size() > 400, "seed=" + seed + ": the work made changes");
            for (ChangeLog.Event e : p.log.newestFirst()) {
                new ObservedArena(e.arena()).revert(e.change());
                Invariants.assertSound(p.parent, p.child);
            }

            assertEquals(parentBefore, p.parent.dump(), "seed=" + seed);
            assertEquals(parentStats, p.parent.stats(), "seed=" + seed);
            assertEquals(childBefore, p.child.dump(), "seed=" + seed);
            assertEquals(childStats, p.child.stats(), "seed=" + seed);
            Invariants.assertSound(p.parent, p.child);
        }

        @ParameterizedTest(name = "{0} quantum={1}")
        @MethodSource("dev.vmem.testing.Configurations#policiesAndQuanta")
        void revert_ofAChangeThatDoesNotMatch_isRejectedAndChangesNothing(Policy policy, long quantum) {
            Arena a = Arena.builder("a").quantum(quantum).span(0, quantum * 64).build();
            long b = a.alloc(quantum * 2, policy);
            String before = a.dump();
            ArenaStats stats = a.stats();
            List<ArenaChange> wrong = List.of(
                    new ArenaChange.Allocated(b, quantum),                 // wrong size
                    new ArenaChange.Allocated(b + quantum * 8, quantum),   // not allocated
                    new ArenaChange.Freed(b, quantum * 2),                 // still allocated, not free
                    new ArenaChange.SpanAdded(0, quantum * 64, false),     // span not wholly free
                    new ArenaChange.SpanAdded(0, quantum * 64, true),      // wrong kind
                    new ArenaChange.SpanRemoved(quantum * 8, quantum),     // overlaps a span
                    new ArenaChange.CursorMoved(0, 12345));                // rotor is elsewhere
            for (ArenaChange c : wrong) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> new ObservedArena(a).revert(c));
                assertTrue(e.getMessage().contains(c.toString()), e.getMessage());
                assertEquals(before, a.dump(), c.toString());
                assertEquals(stats, a.stats(), c.toString());
            }
            Invariants.assertSound(a);
        }

        @Test
        void revert_ofAnUnalignedFreed_isRejected() {
            // Guards against: revert(Freed) of a range off the quantum carving it and corrupting the arena.
            Arena a = Arena.builder("q8").quantum(8).span(0, 64).build();
            String dump = a.dump();
            ArenaStats stats = a.stats();

            assertThrows(IllegalArgumentException.class,
                    () -> new ObservedArena(a).revert(new ArenaChange.Freed(3, 5)));
            assertThrows(IllegalArgumentException.class,
                    () -> new ObservedArena(a).revert(new ArenaChange.Freed(8, 5)));
            assertThrows(IllegalArgumentException.class,
                    () -> new ObservedArena(a).revert(new ArenaChange.Freed(4, 8)));

            assertEquals(dump, a.dump());
            assertEquals(stats, a.stats());
            Invariants.assertSound(a);
        }

        @Test
        void revert_ofAnUnalignedSpanRemoved_isRejected() {
            // Guards against: revert(SpanRemoved) of a span off the quantum inserting it and corrupting the arena.
            Arena parent = Arena.builder("parent").quantum(8).span(0, 1024).build();
            Arena a = Arena.builder("q8").quantum(8).source(parent).span(2048, 64).build();
            String dump = a.dump();
            ArenaStats stats = a.stats();

            assertThrows(IllegalArgumentException.class,
                    () -> new ObservedArena(a).revert(new ArenaChange.SpanRemoved(100, 5)));
            assertThrows(IllegalArgumentException.class,
                    () -> new ObservedArena(a).revert(new ArenaChange.SpanRemoved(100, 8)));
            assertThrows(IllegalArgumentException.class,
                    () -> new ObservedArena(a).revert(new ArenaChange.SpanRemoved(96, 12)));

            assertEquals(dump, a.dump());
            assertEquals(stats, a.stats());
            Invariants.assertSound(parent, a);
        }

        @Test
        void revert_ofSpanRemoved_inAnArenaWithoutSource_isRejected() {
            // Guards against: revert(SpanRemoved) giving an arena without a source an imported span it can never give
            // back.
            Arena a = Arena.builder("nosource").quantum(8).span(0, 64).build();
            String dump = a.dump();
            ArenaStats stats = a.stats();

            assertThrows(IllegalArgumentException.class,
                    () -> new ObservedArena(a).revert(new ArenaChange.SpanRemoved(128, 64)));

            assertEquals(dump, a.dump());
            assertEquals(stats, a.stats());
            Invariants.assertSound(a);
        }

        @Test
        void revert_ofAFreedThatNeverHappenedOrToAnUnalignedCursor_isRejected() {
            // Guards against: revert of a Freed that never happened driving frees negative, and a revert to a
            // cursor that is not a multiple of the quantum.
            Arena a = Arena.builder("gaps").quantum(8).span(0, 64).build();
            String before = a.dump();
            ArenaStats stats = a.stats();
            assertThrows(IllegalArgumentException.class,
                    () -> new ObservedArena(a).revert(new ArenaChange.Freed(0, 8)));
            assertThrows(IllegalArgumentException.class,
                    () -> new ObservedArena(a).revert(new ArenaChange.CursorMoved(3, 0)));
            assertEquals(before, a.dump());
            assertEquals(stats, a.stats());
            Invariants.assertSound(a);
        }
    }

    /**
     * {@link ObservedArena#restore}: an exported state rebuilds an equal arena; a state no history
     * produces (inconsistent segments, counters or cursor) is rejected.
     */
    @Nested
    class Restore {

        @ParameterizedTest(name = "{0} quantum={1}")
        @MethodSource("dev.vmem.testing.Configurations#policiesAndQuanta")
        void restore_ofAnExportedState_rebuildsAnEqualArena(Policy policy, long quantum) {
            long seed = 7 + quantum + policy.ordinal();
            Pair p = new Pair(quantum);
            churn(p, policy, quantum, seed, 600);

            Arena parentCopy = ObservedArena.restore(Arena.builder("parent").quantum(quantum),
                    new ObservedArena(p.parent).exportState(), Observers.IGNORE).arena();
            Arena childCopy = ObservedArena.restore(Arena.builder("child").quantum(quantum).source(parentCopy)
                    .importQuantum(quantum * 16), new ObservedArena(p.child).exportState(), Observers.IGNORE).arena();
            for (Arena[] pair : List.of(new Arena[] {p.parent, parentCopy}, new Arena[] {p.child, childCopy})) {
                Arena original = pair[0];
                Arena copy = pair[1];
                assertEquals(original.dump(), copy.dump(), "seed=" + seed);
                assertEquals(original.stats(), copy.stats(), "seed=" + seed);
                assertEquals(new ObservedArena(original).exportState(), new ObservedArena(copy).exportState(),
                        "seed=" + seed);
                // The copy allocates like an arena that was never restored.
                long base = copy.alloc(quantum, policy);
                assertTrue(copy.contains(base), "seed=" + seed);
                copy.free(base);
                Invariants.assertSound(copy);
            }
            // An imported span needs a source to go back to.
            assertThrows(IllegalArgumentException.class,
                    () -> ObservedArena.restore(Arena.builder("orphan").quantum(quantum),
                            new ObservedArena(p.child).exportState(), Observers.IGNORE));
            Invariants.assertSound(p.parent, p.child);
        }

        @ParameterizedTest(name = "{0} quantum={1}")
        @MethodSource("dev.vmem.testing.Configurations#policiesAndQuanta")
        void restore_ofAnInconsistentState_isRejected(Policy policy, long quantum) {
            Arena a = Arena.builder("a").quantum(quantum).span(0, quantum * 64).build();
            a.alloc(quantum * 2, policy);
            ArenaState good = new ObservedArena(a).exportState();
            List<Segment> spans = good.spans();
            List<ArenaState> bad = List.of(
                    new ArenaState(spans, new long[] {quantum * 63, quantum * 2}, 0, good.counters()), // past span end
                    new ArenaState(spans, new long[] {0, quantum * 2, quantum, quantum}, 0, good.counters()), // overlap
                    new ArenaState(spans, new long[] {quantum * 100, quantum}, 0, good.counters()),   // in no span
                    new ArenaState(List.of(new Segment(0, quantum, Segment.Kind.FREE)), new long[0], 0, good.counters()),
                    new ArenaState(List.of(spans.get(0), spans.get(0)), new long[0], 0, good.counters()));
            for (ArenaState s : bad) {
                assertThrows(IllegalArgumentException.class,
                        () -> ObservedArena.restore(Arena.builder("b").quantum(quantum), s, Observers.IGNORE),
                        s.toString());
            }
            Invariants.assertSound(a);
        }

        @Test
        void restore_ofAnImportedSpan_withoutSource_isRejected() {
            // Guards against: restore accepting an imported span in an arena without a source (freeing its last block
            // then fails).
            ArenaState state = new ArenaState(List.of(new Segment(0, 64, Segment.Kind.IMPORTED_SPAN)), new long[] {0, 8},
                    0, Stats.counters(1, 0, 0, 1, 0));

            assertThrows(IllegalArgumentException.class,
                    () -> ObservedArena.restore(Arena.builder("nosource"), state, Observers.IGNORE));

            // The same state restores into an arena that has a source, and its last free gives the span back.
            Arena parent = Arena.builder("parent").span(0, 1024).build();
            long lent = parent.xalloc(new Constraints(64, 1, 0, 0, 0, 64), Policy.INSTANT_FIT);
            assertEquals(0, lent);
            Arena child = ObservedArena.restore(Arena.builder("child").source(parent), state, Observers.IGNORE).arena();
            ArenaState restored = new ObservedArena(child).exportState();
            assertEquals(state.spans(), restored.spans());
            assertArrayEquals(state.allocations(), restored.allocations());
            child.free(0, 8);
            assertEquals(0, parent.stats().allocated());
            assertEquals(0, child.stats().spans());
            Invariants.assertSound(parent, child);
        }

        @Test
        void restore_ofCountersThatDoNotMatchTheContents_isRejected() {
            // Guards against: restore accepting negative counters, or counters that do not match the contents.
            List<Segment> spans = List.of(new Segment(0, 64, Segment.Kind.SPAN));
            long[] oneBlock = {0, 8};
            List<ArenaStats> bad = List.of(
                    Stats.counters(-5, -7, -1, -2, -3), // the review's: all negative
                    Stats.counters(2, 0, 0, 0, 0), // allocations - frees = 2, one live allocation
                    Stats.counters(0, 0, 0, 0, 0), // allocations - frees = 0, one live allocation
                    Stats.counters(0, -1, 0, 0, 0), // difference right, frees negative
                    Stats.counters(1, 0, -1, 0, 0), // failures negative
                    Stats.counters(1, 0, 0, 1, 0)); // one import held, no imported span
            for (ArenaStats c : bad) {
                ArenaState state = new ArenaState(spans, oneBlock, 0, c);
                assertThrows(IllegalArgumentException.class,
                        () -> ObservedArena.restore(Arena.builder("bad").quantum(8), state, Observers.IGNORE),
                        c.toString());
            }
            // Imported spans held must equal imports - releases.
            Arena parent = Arena.builder("parent").quantum(8).span(1 << 20, 1 << 20).build();
            ArenaState unmatchedImport = new ArenaState(List.of(new Segment(0, 64, Segment.Kind.IMPORTED_SPAN)), oneBlock,
                    0, Stats.counters(1, 0, 0, 2, 0));
            assertThrows(IllegalArgumentException.class,
                    () -> ObservedArena.restore(Arena.builder("bad").quantum(8).source(parent), unmatchedImport,
                            Observers.IGNORE));

            // Consistent counters, however large, are accepted and kept.
            ArenaStats good = Stats.counters(10, 9, 3, 0, 0);
            Arena a = ObservedArena.restore(Arena.builder("good").quantum(8), new ArenaState(spans, oneBlock, 0, good),
                    Observers.IGNORE).arena();
            ArenaStats s = a.stats();
            assertEquals(List.of(10L, 9L, 3L, 0L, 0L),
                    List.of(s.allocations(), s.frees(), s.failures(), s.imports(), s.releases()));
            Invariants.assertSound(parent, a);
        }

        @Test
        void restore_ofAnUnalignedOrNegativeCursor_isRejected() {
            // Guards against: restore accepting a cursor that is negative or not a multiple of the quantum.
            List<Segment> spans = List.of(new Segment(0, 64, Segment.Kind.SPAN));
            for (long cursor : new long[] {-8, -1, 3, 12}) {
                ArenaState state = new ArenaState(spans, new long[0], cursor, Stats.counters(0, 0, 0, 0, 0));
                assertThrows(IllegalArgumentException.class,
                        () -> ObservedArena.restore(Arena.builder("c").quantum(8), state, Observers.IGNORE),
                        "cursor=" + cursor);
            }
            Arena a = ObservedArena.restore(Arena.builder("c").quantum(8),
                    new ArenaState(spans, new long[0], 16, Stats.counters(0, 0, 0, 0, 0)), Observers.IGNORE).arena();
            assertEquals(16, a.nextFitCursor());
            Invariants.assertSound(a);
        }

        @Test
        void restore_ofNegativeImportsAndReleases_isRejectedThoughTheirDifferenceIsRight() {
            // Guards against: restore taking negative imports and releases because their difference was right.
            Arena a = Arena.builder("gaps").quantum(8).span(0, 64).build();
            ArenaState negative = new ArenaState(new ObservedArena(a).exportState().spans(), new long[0], 0,
                    Stats.counters(0, 0, 0, -1, -1));
            assertThrows(IllegalArgumentException.class,
                    () -> ObservedArena.restore(Arena.builder("gaps2").quantum(8), negative, Observers.IGNORE).arena());
            Invariants.assertSound(a);
        }
    }
}

package dev.vmem;

import dev.vmem.testing.Observers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Observed changes, their reversal, and export/restore: the hooks a persistent store is built on. */
class ArenaChangeTest {

    static Stream<Arguments> policiesAndQuanta() {
        List<Arguments> out = new ArrayList<>();
        for (Policy p : Policy.values()) {
            for (long q : new long[] {1, 8, 4096}) {
                out.add(Arguments.of(p, q));
            }
        }
        return out.stream();
    }

    /** A parent and a child that imports from it, both observed into one shared log. */
    private static final class Pair {
        final List<Object[]> log = new ArrayList<>();
        final Arena parent;
        final Arena child;

        Pair(long quantum) {
            ArenaObserver o = (arena, change) -> log.add(new Object[] {arena, change});
            parent = ObservedArena.create(Arena.builder("parent").quantum(quantum).span(0, 1 << 20 | quantum * 4096), o)
                    .arena();
            child = ObservedArena.create(Arena.builder("child").quantum(quantum).source(parent)
                    .importQuantum(quantum * 16), o).arena();
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

    @ParameterizedTest(name = "{0} quantum={1}")
    @MethodSource("policiesAndQuanta")
    void revert_everyChangeNewestFirst_restoresTheInitialState(Policy policy, long quantum) {
        long seed = 42 + quantum + policy.ordinal();
        Pair p = new Pair(quantum);
        String parentBefore = p.parent.dump();
        ArenaStats parentStats = p.parent.stats();
        String childBefore = p.child.dump();
        ArenaStats childStats = p.child.stats();
        p.log.clear();

        churn(p, policy, quantum, seed, 400);
        assertTrue(p.log.size() > 400, "seed=" + seed + ": the work made changes");
        for (int i = p.log.size() - 1; i >= 0; i--) {
            new ObservedArena((Arena) p.log.get(i)[0]).revert((ArenaChange) p.log.get(i)[1]);
            Invariants.assertSound(p.parent, p.child);
        }

        assertEquals(parentBefore, p.parent.dump(), "seed=" + seed);
        assertEquals(parentStats, p.parent.stats(), "seed=" + seed);
        assertEquals(childBefore, p.child.dump(), "seed=" + seed);
        assertEquals(childStats, p.child.stats(), "seed=" + seed);
        Invariants.assertSound(p.parent, p.child);
    }

    @ParameterizedTest(name = "{0} quantum={1}")
    @MethodSource("policiesAndQuanta")
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
    @MethodSource("policiesAndQuanta")
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

    @ParameterizedTest(name = "{0} quantum={1}")
    @MethodSource("policiesAndQuanta")
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
}

package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Source#admit}: an arena asks its source, under its lock, before every call that hands out values, and a
 * refusal fails the call with nothing changed; frees, reads and give-backs are never refused. A child asks its
 * parent's source.
 */
class SourceAdmitTest {
    /** Hands out spans of a parent arena; refuses to admit while {@link #refusing}. */
    static class GatedSource implements Source {
        final Arena parent = Arena.builder("parent").span(0, 1 << 20).build();
        final Source spans = parent.asSource();
        volatile boolean refusing;
        int asked;

        @Override
        public long importSpan(Constraints request) {
            return spans.importSpan(request);
        }

        @Override
        public void releaseSpan(long base, long size) {
            spans.releaseSpan(base, size);
        }

        @Override
        public void admit() {
            asked++;
            if (refusing) {
                throw new IllegalStateException("gate closed");
            }
        }
    }

    private static void assertRefusedUnchanged(Arena a, GatedSource source, Consumer<Arena> call) {
        List<Segment> before = a.segments();
        ArenaStats stats = a.stats();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> call.accept(a));
        assertEquals("gate closed", e.getMessage());
        assertEquals(before, a.segments(), "nothing changed");
        assertEquals(stats.allocated(), a.stats().allocated());
        Invariants.assertSound(a, source.parent);
    }

    @ParameterizedTest(name = "qcacheMax={0}")
    @ValueSource(longs = {0, 4})
    void everyCallThatHandsOutValues_isRefusedWhileTheSourceSaysNo_andChangesNothing(long qcacheMax) {
        GatedSource source = new GatedSource();
        Arena a = Arena.builder("child").source(source).importQuantum(64).qcacheMax(qcacheMax).build();
        long held = a.alloc(1, Policy.INSTANT_FIT);
        long big = a.alloc(16, Policy.BEST_FIT);
        int asked = source.asked;
        source.refusing = true;
        assertRefusedUnchanged(a, source, x -> x.alloc(1, Policy.INSTANT_FIT));
        assertRefusedUnchanged(a, source, x -> x.alloc(8, Policy.NEXT_FIT));
        assertRefusedUnchanged(a, source, x -> x.tryAlloc(1, Policy.INSTANT_FIT));
        assertRefusedUnchanged(a, source, x -> x.xalloc(Constraints.of(2), Policy.BEST_FIT));
        assertRefusedUnchanged(a, source, x -> x.tryXalloc(Constraints.of(2), Policy.INSTANT_FIT));
        assertRefusedUnchanged(a, source, x -> x.claim(big + 16, 1));
        assertRefusedUnchanged(a, source, x -> x.reconcile(List.of()));
        assertEquals(asked + 7, source.asked, "each refused call asked once");
        // giving back and looking are never refused
        a.free(big, 16);
        assertEquals(1, a.stats().allocated(), a.dump());
        a.stats();
        a.segments();
        source.refusing = false;
        long again = a.alloc(1, Policy.INSTANT_FIT);
        a.free(again);
        a.free(held);
        Invariants.assertSound(a, source.parent);
    }

    @Test
    void aChild_asksItsParentsSource() {
        GatedSource source = new GatedSource();
        Arena middle = Arena.builder("middle").source(source).importQuantum(1024).build();
        Arena leaf = Arena.builder("leaf").source(middle).importQuantum(64).build();
        long v = leaf.alloc(1, Policy.INSTANT_FIT);
        source.refusing = true;
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> leaf.alloc(1, Policy.INSTANT_FIT));
        assertEquals("gate closed", e.getMessage());
        assertEquals(1, leaf.stats().allocated());
        leaf.free(v);
        source.refusing = false;
        leaf.free(leaf.alloc(1, Policy.INSTANT_FIT));
        Invariants.assertSound(leaf, middle, source.parent);
    }

    @Test
    void anArenaWithoutASource_isNeverAsked_andTheDefaultAdmitsEverything() {
        Source plain = new Source() {
            @Override
            public long importSpan(Constraints request) {
                throw new ArenaExhaustedException("none");
            }

            @Override
            public void releaseSpan(long base, long size) {
            }
        };
        plain.admit(); // the default: no exception
        Arena a = Arena.builder("plain").span(0, 64).build();
        assertSame(null, a.source());
        a.free(a.alloc(1, Policy.INSTANT_FIT));
        Invariants.assertSound(a);
    }

    /**
     * Review finding: on the lock-free cached path the source was asked only before the block was taken; a caller
     * that waited for a slab to be made was served without a second look. It is asked again, and a refusal puts
     * the block back.
     */
    @Test
    void aCachedAllocation_isAskedAgainOnceTheBlockIsTaken_andARefusalPutsItBack() {
        GatedSource source = new GatedSource() {
            @Override
            public void admit() {
                asked++;
                if (refusing && asked % 2 == 0) {
                    throw new IllegalStateException("gate closed");
                }
            }
        };
        Arena a = Arena.builder("cached").source(source).importQuantum(64).qcacheMax(4).build();
        long held = a.alloc(1, Policy.INSTANT_FIT);
        ArenaStats before = a.stats();
        List<Segment> segments = a.segments();
        source.asked = 0;
        source.refusing = true; // the first question admits, the second (once the block is taken) refuses
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.alloc(1, Policy.INSTANT_FIT));
        assertEquals("gate closed", e.getMessage());
        assertEquals(2, source.asked, "asked before and after taking the block");
        assertEquals(before.allocated(), a.stats().allocated(), "the block went back");
        assertEquals(segments, a.segments());
        source.refusing = false;
        a.free(held);
        Invariants.assertSound(a, source.parent);
    }
}

package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The one-quantum path of a dense span (an ID pool's NEXT_FIT allocation and its free, each served whole by
 * the span) against the general path: the same values, the same reported changes, the same figures; and the
 * cases it must leave to the general path (quarantine, the free that gives an imported span back, bad frees).
 * Also a quarantined free whose release of an older block moves the span back to boundary tags.
 */
class OneQuantumPathTest {

    /** An arena kept in boundary tags and one whose span goes dense at once, both reporting their changes. */
    private static Arena observed(String label, long quantum, long size, DenseRule rule, List<String> changes) {
        Arena a = Arena.builder(label).quantum(quantum).span(0, size)
                .buildObserved((arena, change) -> changes.add(change.toString()), null);
        a.engine.forms.use(rule);
        return a;
    }

    /**
     * Single IDs and some pairs, by NEXT_FIT, freed with and without their size, in a span small enough that
     * the rotor wraps and word edges (bits 0 and 63, the last quantum) are hit all the time.
     */
    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8})
    void idChurn_givesWhatTheListGives_andReportsTheSameChanges(long quantum) {
        long seed = 0x1D_0000L + quantum;
        System.out.println("one-quantum path seed=" + seed + " quantum=" + quantum);
        SplittableRandom rnd = new SplittableRandom(seed);
        List<String> tagChanges = new ArrayList<>();
        List<String> denseChanges = new ArrayList<>();
        Arena tags = observed("tags", quantum, 200 * quantum, DenseRule.NEVER, tagChanges);
        Arena dense = observed("dense", quantum, 200 * quantum, DenseFormTest.STICKY, denseChanges);
        List<long[]> live = new ArrayList<>();
        for (int step = 0; step < 20_000; step++) {
            String where = "seed=" + seed + " step=" + step;
            if (live.isEmpty() || rnd.nextInt(100) < (live.size() < 180 ? 60 : 40)) {
                long size = rnd.nextInt(10) == 0 ? 2 * quantum : 1 + rnd.nextLong(quantum);
                long expected = tags.tryAlloc(size, Policy.NEXT_FIT);
                assertEquals(expected, dense.tryAlloc(size, Policy.NEXT_FIT), where + ": NEXT_FIT size=" + size);
                if (expected != Arena.NONE) {
                    live.add(new long[] {expected, size});
                }
            } else {
                long[] block = live.remove(rnd.nextInt(live.size()));
                if (rnd.nextBoolean()) {
                    tags.free(block[0], block[1]);
                    dense.free(block[0], block[1]);
                } else {
                    tags.free(block[0]);
                    dense.free(block[0]);
                }
            }
            if (step % 100 == 0) {
                assertEquals(tags.segments(), dense.segments(), where);
                assertEquals(tags.stats(), dense.stats(), where);
                assertEquals(tags.nextFitCursor(), dense.nextFitCursor(), where);
            }
        }
        assertNotNull(dense.engine.forms.holding(0), "the span is dense");
        assertEquals(tagChanges, denseChanges);
        assertEquals(List.of(), tags.checkInvariants());
        assertEquals(List.of(), dense.checkInvariants());
    }

    @Test
    void aQuarantinedFree_isHeldBack_andItsDoubleFreeRefused() {
        Arena a = Arena.builder("ids").quantum(1).span(0, 1000).quarantine(3).build();
        a.engine.forms.use(DenseFormTest.STICKY);
        long[] ids = new long[10];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = a.alloc(1, Policy.NEXT_FIT);
        }
        assertNotNull(a.engine.forms.holding(ids[0]), "the span is dense");
        a.free(ids[4]);
        assertEquals(1, a.stats().quarantined());
        assertEquals(10, a.stats().liveAllocations() + a.stats().quarantined());
        List<Segment> before = a.segments();
        InvalidFreeException twice = assertThrows(InvalidFreeException.class, () -> a.free(ids[4]));
        assertTrue(twice.getMessage().contains("base=" + ids[4]) && twice.getMessage().contains("quarantine"),
                twice.getMessage());
        assertEquals(before, a.segments());
        assertEquals(10, a.alloc(1, Policy.NEXT_FIT), "the held value is not handed out; the rotor goes on");
        assertEquals(List.of(), a.checkInvariants());
    }

    @Test
    void theLastFreeOfAnImportedDenseSpan_givesTheSpanBack() {
        Arena parent = Arena.builder("parent").quantum(1).span(0, 1 << 16).build();
        Arena ids = Arena.builder("ids").quantum(1).source(parent).importQuantum(4096).build();
        ids.engine.forms.use(DenseFormTest.STICKY);
        long first = ids.alloc(1, Policy.NEXT_FIT);
        long second = ids.alloc(1, Policy.NEXT_FIT);
        assertNotNull(ids.engine.forms.holding(first), "the imported span is dense");
        ids.free(first);
        assertEquals(1, ids.stats().spans(), "one allocation left: the span stays");
        ids.free(second);
        assertEquals(0, ids.stats().spans(), "the last free gave the span back");
        assertEquals(1, ids.stats().releases());
        assertEquals(0, parent.stats().allocated());
        assertEquals(List.of(), ids.checkInvariants());
        assertEquals(List.of(), parent.checkInvariants());
    }

    /** Bad frees that reach the one-quantum path first: each refused, naming the value, the arena unchanged. */
    @Test
    void badFreesInADenseSpan_areRefusedWithTheArenaUnchanged() {
        long q = 8;
        Arena a = Arena.builder("ids").quantum(q).span(0, 1000 * q).build();
        a.engine.forms.use(DenseFormTest.STICKY);
        long[] ids = new long[64];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = a.alloc(1, Policy.NEXT_FIT);
        }
        long pair = a.alloc(2 * q, Policy.NEXT_FIT);
        a.free(ids[63]);
        assertNotNull(a.engine.forms.holding(ids[0]), "the span is dense");
        List<Segment> before = a.segments();
        ArenaStats stats = a.stats();
        String[][] refusals = {
            {"double", "base=" + ids[63]},
            {"unaligned", "base=" + (ids[5] + 1)},
            {"wrong size", "has size=" + q},
            {"inside a pair", "not the base of a live allocation"},
            {"pair freed as one quantum", "has size=" + 2 * q},
        };
        Runnable[] frees = {
            () -> a.free(ids[63]),
            () -> a.free(ids[5] + 1),
            () -> a.free(ids[5], 2 * q),
            () -> a.free(pair + q),
            () -> a.free(pair, q),
        };
        for (int i = 0; i < frees.length; i++) {
            InvalidFreeException e = assertThrows(InvalidFreeException.class, frees[i]::run, refusals[i][0]);
            assertTrue(e.getMessage().contains(refusals[i][1]), refusals[i][0] + ": " + e.getMessage());
            assertEquals(before, a.segments(), refusals[i][0]);
            assertEquals(stats, a.stats(), refusals[i][0]);
        }
        assertEquals(List.of(), a.checkInvariants());
    }

    /**
     * A quarantined free first releases the block that falls due; when that release moves the span back to
     * boundary tags, the freed block must be held on its tag, not in the dense set: else it shows as allocated,
     * and a second free of it is taken.
     */
    @Test
    void aFreeWhoseReleaseMovesTheSpanToTags_isHeldOnItsTag() {
        Arena a = Arena.builder("q").quantum(1).span(0, 8).quarantine(1).build();
        a.engine.forms.use(DenseFormTest.RESTLESS); // leaves dense form below 8 / 4 = 2 allocations
        long x = a.alloc(1, Policy.NEXT_FIT);
        long y = a.alloc(1, Policy.NEXT_FIT);
        assertNotNull(a.engine.forms.holding(x), "the span is dense");
        a.free(x); // held
        a.free(y); // releases x: one allocation left, the span leaves dense form; y is held
        assertEquals(null, a.engine.forms.holding(y), "the span left dense form");
        assertEquals(1, a.stats().quarantined());
        assertEquals(List.of(), a.checkInvariants());
        InvalidFreeException twice = assertThrows(InvalidFreeException.class, () -> a.free(y));
        assertTrue(twice.getMessage().contains("quarantine"), twice.getMessage());
        assertEquals(List.of(), a.checkInvariants());
    }
}

package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link VmemArena#reconcile}: the arena's allocations become exactly the caller's ranges, or nothing changes. */
class ReconcileTest {

    private static List<Allocation> ranges(long... pairs) {
        List<Allocation> out = new ArrayList<>();
        for (int i = 0; i < pairs.length; i += 2) {
            out.add(new Allocation(pairs[i], pairs[i + 1]));
        }
        return out;
    }

    private static List<Allocation> allocations(VmemArena a) {
        return a.segments().stream().filter(s -> s.kind() == Segment.Kind.ALLOCATED)
                .map(s -> new Allocation(s.base(), s.size())).toList();
    }

    private static void assertRefused(Arena a, List<Allocation> live, String... inMessage) {
        String before = a.dump();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.reconcile(live));
        for (String s : inMessage) {
            assertTrue(e.getMessage().contains(s), "message '" + e.getMessage() + "' lacks '" + s + "'");
        }
        assertEquals(before, a.dump(), "a refused reconcile changed the arena");
        Invariants.assertSound(a);
    }

    @Test
    void reconcile_freesTheLeaked_claimsTheLost_keepsTheRest_andReportsEach() {
        Arena a = Arena.builder("r").quantum(4).span(0, 4000).build();
        a.claim(0, 8);
        a.claim(100, 20);
        a.claim(200, 4);
        a.claim(300, 40);
        // Kept [100, 120); leaked [200, 204); [0, 8) held but [0, 4) named: freed and claimed; [300, 340) held,
        // [320, 340) named: likewise; [500, 508) and [3996, 4000) lost.
        ReconcileReport r = a.reconcile(ranges(3996, 4, 100, 20, 0, 4, 500, 8, 320, 20));
        assertEquals(ranges(0, 4, 100, 20, 320, 20, 500, 8, 3996, 4), allocations(a));
        assertEquals(3, r.leaked());
        assertEquals(8 + 4 + 40, r.leakedValues());
        assertEquals(ranges(0, 8, 200, 4, 300, 40), r.firstLeaked());
        assertEquals(4, r.lost());
        assertEquals(4 + 20 + 8 + 4, r.lostValues());
        assertEquals(ranges(0, 4, 320, 20, 500, 8, 3996, 4), r.firstLost());
        assertEquals(4 + 4, a.stats().allocations());
        assertEquals(3, a.stats().frees());
        assertTrue(a.reconcile(allocations(a)).unchanged(), "a second reconcile with the same ranges changes nothing");
        Invariants.assertSound(a);
    }

    @Test
    void reconcile_withNothing_freesEverything_andTheReportListsTheFirstFew() {
        Arena a = Arena.builder("all").span(0, 1000).build();
        for (int i = 0; i < 25; i++) {
            a.alloc(3, Policy.INSTANT_FIT);
        }
        ReconcileReport r = a.reconcile(List.of());
        assertEquals(25, r.leaked());
        assertEquals(ReconcileReport.SAMPLE, r.firstLeaked().size());
        assertEquals(new Allocation(0, 3), r.firstLeaked().get(0));
        assertEquals(0, a.stats().allocated());
        assertTrue(r.toString().contains("leaked 25 (75 values)"), r.toString());
        Invariants.assertSound(a);
    }

    @Test
    void reconcile_withBadInput_namesIt_andChangesNothing() {
        Arena a = Arena.builder("bad").quantum(8).span(0, 800).span(800, 80).span(4096, 64).build();
        a.claim(16, 8);
        assertRefused(a, ranges(0, 16, 8, 8), "ranges [0, 16) and [8, 16) overlap");
        assertRefused(a, ranges(64, 8, 0, 72), "overlap");
        assertRefused(a, ranges(16, 8, 904, 8), "[904, 912) lies outside every span");
        assertRefused(a, ranges(792, 16), "runs past the end of span [0, 800)");
        assertRefused(a, ranges(4096, 8, 4120, 48), "runs past the end of span [4096, 4160)");
        assertRefused(a, ranges(12, 8), "base=12", "quantum=8");
        assertRefused(a, ranges(16, 12), "size=12");
        List<Allocation> withNull = new ArrayList<>(ranges(16, 8));
        withNull.add(null);
        String before = a.dump();
        assertThrows(NullPointerException.class, () -> a.reconcile(withNull));
        assertEquals(before, a.dump());
        assertThrows(IllegalArgumentException.class, () -> new Allocation(5, 0));
        assertThrows(IllegalArgumentException.class, () -> new Allocation(-1, 4));
        assertThrows(IllegalArgumentException.class, () -> new Allocation(Long.MAX_VALUE, 1));
        assertEquals(1, a.stats().allocations());
    }

    @Test
    void reconcile_withASource_givesBackSpansItEmpties_butNotOneALostRangeLiesIn() {
        Arena parent = Arena.builder("parent").quantum(64).span(1 << 20, 1 << 16).build();
        Arena child = Arena.builder("child").quantum(64).source(parent).importQuantum(4096).build();
        long x = child.alloc(64, Policy.INSTANT_FIT);
        long y = child.xalloc(Constraints.builder(64).min(x + 8192).build(), Policy.INSTANT_FIT);
        assertEquals(2, child.stats().spans());
        ReconcileReport r = child.reconcile(ranges(x + 64, 64)); // x's span stays (a lost range lies in it)
        assertEquals(2, r.leaked());
        assertEquals(1, child.stats().spans(), "y's span, wholly free now, went back to the parent");
        assertEquals(ranges(x + 64, 64), allocations(child));
        assertEquals(4096, parent.stats().allocated());
        assertTrue(y > x);
        child.reconcile(List.of());
        assertEquals(0, child.stats().total());
        assertEquals(0, parent.stats().allocated());
        Invariants.assertSound(child, parent);
    }

    @Test
    void reconcile_inADenseSpan_andUnsortedInput_isTheSameAsInTheList() {
        for (DenseRule rule : new DenseRule[] {DenseRule.DEFAULT, DenseFormTest.STICKY}) {
            Arena a = Arena.builder("d").quantum(4).span(0, 4 << 14).build();
            a.engine.forms.use(rule);
            for (int i = 0; i < 300; i++) {
                a.alloc(4 * (1 + i % 5), Policy.NEXT_FIT);
            }
            a.engine.forms.review();
            List<Allocation> want = new ArrayList<>(allocations(a).subList(100, 300));
            want.add(new Allocation(40_000, 400));
            java.util.Collections.reverse(want);
            ReconcileReport r = a.reconcile(want);
            assertEquals(100, r.leaked());
            assertEquals(1, r.lost());
            want.sort(java.util.Comparator.comparingLong(Allocation::base));
            assertEquals(want, allocations(a), "rule " + rule);
            Invariants.assertSound(a);
        }
    }

    @Test
    void reconcile_withQuantumCaches_keepsTheHeldBlocks_asOrdinaryAllocations() {
        Arena a = Arena.builder("cached").quantum(8).qcacheMax(32).span(0, 1 << 20).build();
        long b1 = a.alloc(8, Policy.INSTANT_FIT);
        long b2 = a.alloc(8, Policy.INSTANT_FIT);
        long b3 = a.alloc(24, Policy.INSTANT_FIT);
        long big = a.alloc(4096, Policy.INSTANT_FIT);
        ReconcileReport r = a.reconcile(ranges(b1, 8, b3, 24, big, 4096, 500_000, 16));
        assertEquals(ranges(b2, 8), r.firstLeaked());
        assertEquals(ranges(500_000, 16), r.firstLost());
        assertEquals(0, a.stats().cached(), "the slabs became ordinary allocations");
        assertEquals(4, a.stats().liveAllocations());
        assertEquals(a.stats().allocations() - a.stats().frees(), a.stats().liveAllocations());
        a.free(b1, 8);
        a.free(b3);
        a.free(big);
        a.free(500_000, 16);
        long again = a.alloc(8, Policy.INSTANT_FIT); // the caches start again
        a.free(again);
        assertEquals(0, a.stats().allocated());
        Invariants.assertSound(a);
    }

    @Test
    void reconcile_ofAMillionRanges_isLinear() {
        int n = 1_000_000;
        Arena a = Arena.builder("big").span(0, 4L * n).build();
        List<Allocation> want = new ArrayList<>(n);
        for (long i = 0; i < n; i++) {
            want.add(new Allocation(4 * i, 1 + (i & 1)));
        }
        long t0 = System.nanoTime();
        ReconcileReport r = a.reconcile(want);
        long t1 = System.nanoTime();
        assertEquals(n, r.lost());
        for (int i = 0; i < n; i += 2) {
            want.set(i, new Allocation(4L * i, 3)); // half the ranges change size: freed and claimed again
        }
        ReconcileReport r2 = a.reconcile(want);
        long t2 = System.nanoTime();
        assertEquals(n / 2, r2.leaked());
        assertEquals(n / 2, r2.lost());
        System.out.printf("reconcile of %,d ranges: %,d ms into an empty arena, %,d ms with half of them changed%n", n,
                (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000);
        assertEquals(n, a.stats().liveAllocations());
        assertTrue(t2 - t0 < 20_000_000_000L, "two reconciles of 1M ranges took " + (t2 - t0) / 1_000_000 + " ms");
        Invariants.assertSound(a);
    }
}

package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Claim and reconcile in an arena with a reuse quarantine, in both span forms: a quarantined block is neither
 * a caller's allocation nor free, so a claim over it is refused naming it as quarantined, a reconcile leaves it
 * quarantined (not leaked), and a reconcile that names it is refused; nothing changes on a refusal.
 */
class QuarantineClaimReconcileTest {
    private static Arena arena(String form) {
        Arena a = Arena.builder("q").quantum(1).span(0, 4096).quarantine(1000).build();
        a.engine.forms.use(form.equals("dense") ? DenseFormTest.STICKY : DenseRule.NEVER);
        return a;
    }

    /** Holds [0, 10) quarantined, [10, 20) live, and (dense form) enough single IDs to go dense. */
    private static long fill(Arena a, String form) {
        long q = a.alloc(10, Policy.INSTANT_FIT);
        long live = a.alloc(10, Policy.INSTANT_FIT);
        a.free(q);
        if (form.equals("dense")) {
            a.engine.forms.review();
            assertEquals(1, a.engine.forms.dense.size(), "the span is dense");
        }
        assertEquals(10, a.stats().quarantined());
        return live;
    }

    private static void assertUnchanged(Arena a, Class<? extends Throwable> type, String says, Executable call) {
        List<Segment> before = a.segments();
        ArenaStats stats = a.stats();
        Throwable e = assertThrows(type, call);
        assertTrue(e.getMessage().contains(says), e.getMessage());
        assertEquals(before, a.segments());
        assertEquals(stats, a.stats());
        Invariants.assertSound(a);
    }

    @ParameterizedTest
    @ValueSource(strings = {"list", "dense"})
    void claimOverAQuarantinedBlock_isRefusedNamingItQuarantined(String form) {
        Arena a = arena(form);
        fill(a, form);
        RangeInUseException[] seen = new RangeInUseException[1];
        assertUnchanged(a, RangeInUseException.class, "overlaps the quarantined block [0, 10)",
                () -> {
                    try {
                        a.claim(0, 10);
                    } catch (RangeInUseException e) {
                        seen[0] = e;
                        throw e;
                    }
                });
        assertEquals(new Allocation(0, 10), seen[0].held());
        assertUnchanged(a, RangeInUseException.class, "quarantined block", () -> a.claim(5, 2));
    }

    @ParameterizedTest
    @ValueSource(strings = {"list", "dense"})
    void reconcile_leavesQuarantinedBlocksQuarantined_andRefusesARangeOverOne(String form) {
        Arena a = arena(form);
        long live = fill(a, form);
        assertUnchanged(a, IllegalArgumentException.class, "overlaps the quarantined block [0, 10)",
                () -> a.reconcile(List.of(new Allocation(0, 10))));
        assertUnchanged(a, IllegalArgumentException.class, "overlaps the quarantined block [0, 10)",
                () -> a.reconcile(List.of(new Allocation(8, 4))));
        ReconcileReport r = a.reconcile(List.of(new Allocation(100, 5)));
        assertEquals(1, r.leaked(), r.toString());
        assertEquals(List.of(new Allocation(live, 10)), r.firstLeaked());
        assertEquals(List.of(new Allocation(100, 5)), r.firstLost());
        assertEquals(10, a.stats().quarantined(), "still quarantined");
        assertEquals(5, a.stats().allocated());
        assertThrows(InvalidFreeException.class, () -> a.free(0), "still a double free");
        Invariants.assertSound(a);
    }
}

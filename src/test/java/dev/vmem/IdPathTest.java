package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link IdPath}, an ID pool's operations done whole, against the general path: two arenas take the same calls,
 * one of them with every dense span's count down set to 0 before each call, which keeps the ID path out (it never
 * runs when the rule is due) and has the rule asked after every operation ({@code DenseRuleCountDownTest} holds
 * that to the same moves). Every result, figure, rotor, move between the forms and reported change must agree.
 * And each case the path must leave to the general one, left with nothing changed.
 */
class IdPathTest {
    /** Dense at once and rarely back, letting the size classes go after 4 operations: the path applies often. */
    private static final DenseRule PLAIN_SOON =
            new DenseRule(1, 1L << 40, 1L << 36, 1L << 36, 1L << 20, 1L << 36, 1L << 36, 1, 4);
    /** Dense at once, back below one allocation per 8 quanta: the spans move both ways many times. */
    private static final DenseRule RESTLESS =
            new DenseRule(1, 1L << 40, 1L << 36, 1L << 36, 8, 1L << 36, 1L << 36, 1, 4);

    @ParameterizedTest(name = "kind={0} quantum={1} restless={2} instant={3}")
    @CsvSource({"0, 1, false, false", "0, 8, false, false", "1, 1, false, false", "2, 1, false, false",
            "3, 1, false, false", "4, 1, false, false", "4, 8, false, false", "0, 1, true, false", "3, 8, true, false",
            "4, 1, true, false", "0, 1, false, true", "0, 8, false, true", "1, 1, false, true", "3, 1, false, true",
            "4, 1, false, true", "4, 8, true, true", "3, 1, true, true"})
    void idChurn_givesWhatTheGeneralPathGives(int kind, long quantum, boolean restless, boolean instant) {
        long seed = 0x1D9A_0000L + 100L * kind + 10 * quantum + (restless ? 1 : 0) + (instant ? 2 : 0);
        System.out.println("IdPathTest seed=" + seed + " kind=" + kind + " quantum=" + quantum + " instant=" + instant);
        Policy main = instant ? Policy.INSTANT_FIT : Policy.NEXT_FIT;
        Policy other = instant ? Policy.NEXT_FIT : Policy.INSTANT_FIT;
        DenseRule rule = restless ? RESTLESS : PLAIN_SOON;
        List<String> pathChanges = new ArrayList<>();
        List<String> generalChanges = new ArrayList<>();
        Arena path = arena("path", kind, quantum, rule, pathChanges);
        Arena general = arena("general", kind, quantum, rule, generalChanges);
        SplittableRandom rnd = new SplittableRandom(seed);
        TreeMap<Long, Long> live = new TreeMap<>();
        List<Long> longer = new ArrayList<>();
        long spanEnd = 3000 * quantum;
        int pathCould = 0;
        int steps = 12_000;
        for (int step = 0; step < steps; step++) {
            String where = "seed=" + seed + " step=" + step;
            for (DenseTag d : general.engine.forms.dense) {
                d.untilRuleCheck = 0;
            }
            pathCould += (instant ? freshApplies(path) : pathApplies(path)) ? 1 : 0;
            int op = rnd.nextInt(100);
            boolean mixed = step % 1000 < 200; // longer blocks and the other policy now and then, freed first after
            if (op < (live.size() < 1000 ? 65 : 35) || live.isEmpty()) { // about a third full: many free runs
                boolean isLonger = mixed && rnd.nextInt(20) == 0;
                long size = isLonger ? (2 + rnd.nextInt(3)) * quantum : 1 + rnd.nextLong(quantum);
                Policy policy = mixed && rnd.nextInt(20) == 0 ? other : main;
                long v = path.tryAlloc(size, policy);
                assertEquals(v, general.tryAlloc(size, policy), where + ": " + policy + " size=" + size);
                if (v != Arena.NONE) {
                    live.put(v, Fit.roundUp(size, quantum));
                    if (size > quantum || policy == other) {
                        longer.add(v);
                    }
                }
            } else if (op < 95 || live.size() < 2) {
                Long base = !mixed && !longer.isEmpty() ? longer.remove(longer.size() - 1)
                        : live.ceilingKey(rnd.nextLong(spanEnd));
                base = base == null ? live.firstKey() : base;
                longer.remove(base);
                long size = live.remove(base);
                if (rnd.nextBoolean()) {
                    path.free(base, size);
                    general.free(base, size);
                } else {
                    path.free(base);
                    general.free(base);
                }
            } else {
                badFree(path, general, live, quantum, rnd, where);
            }
            if (step % 1000 == 300) { // the blocks the mixed steps cached are free by now: their slabs go back
                path.reapCaches();
                general.reapCaches();
            }
            assertEquals(general.nextFitCursor(), path.nextFitCursor(), where + ": rotor");
            assertEquals(general.stats(), path.stats(), where + ": stats");
            assertEquals(general.engine.forms.moves, path.engine.forms.moves, where + ": moves");
            if (step % 500 == 0) {
                assertEquals(general.segments(), path.segments(), where);
                assertEquals(List.of(), path.checkInvariants(), where);
            }
        }
        assertTrue(pathCould > steps / (restless ? 20 : instant ? 4 : 3),
                "the ID path could apply at only " + pathCould + " of " + steps + " steps");
        if (restless) {
            assertTrue(path.engine.forms.moves > 20, "moves between the forms: " + path.engine.forms.moves);
        }
        assertEquals(generalChanges, pathChanges);
        assertEquals(general.dump(), path.dump().replace("'path'", "'general'"));
        assertEquals(List.of(), path.checkInvariants());
        assertEquals(List.of(), general.checkInvariants());
    }

    /** A double free, a wrong size, or a value off the quantum: refused alike by both, with nothing changed. */
    private static void badFree(Arena path, Arena general, TreeMap<Long, Long> live, long quantum,
                                SplittableRandom rnd, String where) {
        long base = live.firstKey() + live.get(live.firstKey());
        long size = 0;
        switch (rnd.nextInt(3)) {
            case 0 -> base = live.containsKey(base) ? base + 2 * quantum * 3000 : base; // free, or past the span
            case 1 -> {
                base = live.lastKey();
                size = live.get(base) + quantum;
            }
            default -> base = live.firstKey() + (quantum > 1 ? 1 : 3000 * quantum);
        }
        String before = path.dump();
        long b = base;
        long s = size;
        String pathSays = assertThrows(InvalidFreeException.class, () -> freeOf(path, b, s), where).getMessage();
        String generalSays = assertThrows(InvalidFreeException.class, () -> freeOf(general, b, s), where).getMessage();
        assertEquals(generalSays, pathSays.replace("'path'", "'general'"), where);
        assertEquals(before, path.dump(), where + ": unchanged by the refused free");
    }

    private static void freeOf(Arena a, long base, long size) {
        if (size == 0) {
            a.free(base);
        } else {
            a.free(base, size);
        }
    }

    /** Whether the ID path would take the next NEXT_FIT allocation of {@code a}'s rotor: a plain span, rule not due. */
    private static boolean pathApplies(Arena a) {
        return a.engine.rotorHint instanceof DenseTag d && d.bits.plain() && d.untilRuleCheck > 1;
    }

    /**
     * Whether {@link IdPath#takeFresh} would take the next INSTANT_FIT allocation of one quantum: the only dense span
     * has its classes kept and its fresh run first, and its rule is not due.
     */
    private static boolean freshApplies(Arena a) {
        List<DenseTag> dense = a.engine.forms.dense;
        return dense.size() == 1 && dense.get(0).untilRuleCheck > 1
                && dense.get(0).bits.freshComesFirst(a.engine.freeLists.classesFrom(0));
    }

    /** Kinds: 0 plain, 1 quarantined, 2 cached, 3 importing from a parent, 4 observed. */
    private static Arena arena(String label, int kind, long quantum, DenseRule rule, List<String> changes) {
        Arena.Builder b = Arena.builder(label).quantum(quantum).span(0, 3000 * quantum);
        if (kind == 1) {
            b.quarantine(3);
        } else if (kind == 2) {
            b.qcacheMax(4 * quantum);
        } else if (kind == 3) {
            Arena parent = Arena.builder(label + "-parent").quantum(quantum).span(1L << 40, 1L << 30).build();
            parent.engine.forms.use(DenseRule.NEVER);
            b.source(parent).importQuantum(64 * quantum);
        }
        Arena a = kind == 4 ? b.buildObserved((arena, change) -> changes.add(change.toString()), null) : b.build();
        a.engine.forms.use(rule);
        return a;
    }

    /**
     * An ID pool whose first span is dense and plain, with 60 IDs taken (every third of the first 90 freed), the rule
     * not due and the rotor's hint on the span.
     */
    private static Arena plainPool(Arena.Builder b) {
        Arena a = b.build();
        a.engine.forms.use(PLAIN_SOON);
        for (int i = 0; i < 90; i++) {
            a.alloc(1, Policy.NEXT_FIT);
        }
        for (int i = 0; i < 90; i += 3) {
            a.free(i);
        }
        DenseTag d = a.engine.forms.holding(0);
        assertNotNull(d, "the span is dense");
        for (int i = 0; i < 10 && (!d.bits.plain() || d.untilRuleCheck <= 1); i++) {
            a.free(a.alloc(1, Policy.NEXT_FIT)); // past the size classes' idle count, and the rule asked afresh
        }
        assertTrue(d.bits.plain(), "the span is plain");
        assertTrue(d.untilRuleCheck > 1, "the rule is not due");
        assertEquals(d, a.engine.rotorHint, "the rotor's hint is the span");
        return a;
    }

    @Test
    void inAPlainSpan_thePathTakesAndFrees_whatTheGeneralPathWould() {
        Arena a = plainPool(Arena.builder("ids").span(0, 1000));
        long rotor = a.nextFitCursor();
        ArenaStats before = a.stats();
        long taken = IdPath.takeNext(a.engine);
        assertEquals(rotor, taken, "the lowest free value at the rotor");
        assertEquals(taken + 1, a.nextFitCursor());
        assertEquals(before.allocated() + 1, a.stats().allocated());
        assertEquals(before.allocations() + 1, a.stats().allocations());
        assertTrue(IdPath.free(a.engine, taken, 1));
        assertTrue(IdPath.free(a.engine, 1, Arena.NONE), "without a size");
        assertEquals(before.allocated() - 1, a.stats().allocated());
        assertEquals(before.frees() + 2, a.stats().frees());
        assertEquals(List.of(), a.checkInvariants());
    }

    /**
     * INSTANT_FIT churn of single IDs in a span that ends at the top of the values, quantum 1 and 4096: the fresh path
     * and the general one agree step by step, with no overflow at the span's end.
     */
    @ParameterizedTest(name = "quantum={0}")
    @CsvSource({"1", "4096"})
    void instantFitChurnAtTheTopOfTheValues_givesWhatTheGeneralPathGives(long quantum) {
        long seed = 0x1D9A_7000L + quantum;
        System.out.println("IdPathTest seed=" + seed + " quantum=" + quantum);
        long size = 300 * quantum;
        long base = Fit.roundDown(Long.MAX_VALUE, quantum) - size;
        Arena path = Arena.builder("ids").quantum(quantum).span(base, size).build();
        Arena general = Arena.builder("ids").quantum(quantum).span(base, size).build();
        path.engine.forms.use(PLAIN_SOON);
        general.engine.forms.use(PLAIN_SOON);
        SplittableRandom rnd = new SplittableRandom(seed);
        TreeSet<Long> live = new TreeSet<>();
        int fresh = 0;
        for (int step = 0; step < 20_000; step++) {
            String where = "seed=" + seed + " step=" + step;
            for (DenseTag d : general.engine.forms.dense) {
                d.untilRuleCheck = 0;
            }
            if (live.size() < 290 && (live.size() < 150 || rnd.nextBoolean())) {
                fresh += freshApplies(path) ? 1 : 0;
                long v = path.tryAlloc(1, Policy.INSTANT_FIT);
                assertEquals(general.tryAlloc(1, Policy.INSTANT_FIT), v, where);
                assertTrue(v == Arena.NONE || v >= base && v < base + size, where + ": " + v + " in the span");
                if (v != Arena.NONE) {
                    live.add(v);
                }
            } else {
                Long v = live.ceiling(base + quantum * rnd.nextLong(300));
                v = v == null ? live.last() : v;
                live.remove(v);
                path.free(v, quantum);
                general.free(v, quantum);
            }
            assertEquals(general.stats(), path.stats(), where);
        }
        assertTrue(fresh > 1_000, "the fresh path could apply at only " + fresh + " steps");
        assertEquals(general.dump(), path.dump());
        assertEquals(List.of(), path.checkInvariants());
        assertEquals(List.of(), general.checkInvariants());
    }

    /**
     * The fresh run is what the last counted operation made or left, an allocation's rest included: with no free at
     * all, one-quantum INSTANT_FIT allocations after claims take it, as the general path would.
     */
    @Test
    void theFreshRunAfterAllocationsAlone_isTakenAsTheGeneralPathWould() {
        Arena path = Arena.builder("ids").span(0, 1000).build();
        Arena general = Arena.builder("ids").span(0, 1000).build();
        for (Arena a : List.of(path, general)) {
            a.engine.forms.use(PLAIN_SOON);
            for (long v = 0; v < 1000; v += 100) {
                a.claim(v, 1);
            }
        }
        int fresh = 0;
        for (int i = 0; i < 150; i++) {
            for (DenseTag d : general.engine.forms.dense) {
                d.untilRuleCheck = 0;
            }
            fresh += freshApplies(path) ? 1 : 0;
            assertEquals(general.alloc(1, Policy.INSTANT_FIT), path.alloc(1, Policy.INSTANT_FIT), "allocation " + i);
        }
        assertEquals(0, path.stats().frees());
        assertTrue(fresh > 100, "the fresh path could apply at only " + fresh + " of 150 allocations");
        assertEquals(general.dump(), path.dump());
        assertEquals(List.of(), path.checkInvariants());
    }

    @Test
    void whereThePathDoesNotApply_itChangesNothing() {
        Arena a = plainPool(Arena.builder("ids").span(0, 1000).span(5000, 1000));

        assertDeclines(a, () -> IdPath.free(a.engine, 0, Arena.NONE), "a value already free (a double free)");
        assertDeclines(a, () -> IdPath.free(a.engine, 1, 2), "a size longer than one quantum");
        assertDeclines(a, () -> IdPath.free(a.engine, 5000, Arena.NONE), "a value in another span");
        assertDeclines(a, () -> IdPath.free(a.engine, -1, Arena.NONE), "a value below every span");
        DenseTag d = a.engine.forms.holding(0);
        long count = d.untilRuleCheck;
        d.untilRuleCheck = 1;
        assertDeclines(a, () -> IdPath.free(a.engine, 1, 1), "the rule due after this operation");
        assertEquals(Arena.NONE, IdPath.takeNext(a.engine), "the rule due after this operation");
        d.untilRuleCheck = count;
        long block = a.alloc(2, Policy.INSTANT_FIT);
        assertFalse(d.bits.plain(), "a longer block keeps the starts");
        assertDeclines(a, () -> IdPath.free(a.engine, block, 1), "a longer block");
        assertDeclines(a, () -> IdPath.free(a.engine, block, Arena.NONE), "a longer block, no size given");
        assertDeclines(a, () -> IdPath.free(a.engine, block + 1, Arena.NONE), "inside a longer block");
        assertEquals(Arena.NONE, IdPath.takeNext(a.engine), "a span not plain");
        a.free(block);
        assertEquals(List.of(), a.checkInvariants());
    }

    @Test
    void pastTheSpansLastFreeValue_orWithTheHintOnATag_theAllocationIsTheGeneralPaths() {
        Arena a = plainPool(Arena.builder("ids").span(0, 100));
        while (a.nextFitCursor() < 99) {
            a.alloc(1, Policy.NEXT_FIT);
        }
        a.alloc(1, Policy.NEXT_FIT);
        String before = a.dump();
        assertEquals(Arena.NONE, IdPath.takeNext(a.engine), "nothing at or after the rotor: the walk wraps round");
        assertEquals(before, a.dump());
        long wrapped = a.alloc(1, Policy.NEXT_FIT);
        assertEquals(0, wrapped, "the general path wrapped round to the lowest free value");
        Arena tags = Arena.builder("tags").span(0, 100).build();
        tags.engine.forms.use(DenseRule.NEVER);
        tags.alloc(1, Policy.NEXT_FIT);
        assertEquals(Arena.NONE, IdPath.takeNext(tags.engine), "the hint is a boundary tag");
        assertFalse(IdPath.free(tags.engine, 0, 1), "no dense span");
        assertEquals(List.of(), a.checkInvariants());
    }

    @Test
    void theLastAllocationOfAnImportedSpan_andAQuarantinedFree_areTheGeneralPaths() {
        Arena parent = Arena.builder("parent").span(1 << 20, 1 << 16).build();
        Arena child = Arena.builder("child").source(parent).importQuantum(64).build();
        child.engine.forms.use(PLAIN_SOON);
        long first = child.alloc(1, Policy.NEXT_FIT);
        for (int i = 0; i < 20; i++) {
            child.free(child.alloc(1, Policy.NEXT_FIT));
        }
        DenseTag d = child.engine.forms.holding(first);
        assertNotNull(d, "the imported span is dense");
        assertEquals(1, d.bits.allocations);
        assertTrue(d.bits.plain(), "the span is plain");
        d.untilRuleCheck = 1000; // not due: only the last allocation keeps the path out
        assertDeclines(child, () -> IdPath.free(child.engine, first, 1), "the last allocation of an imported span");
        child.free(first);
        assertEquals(0, child.stats().total(), "the general path gave the span back");
        assertEquals(0, parent.stats().allocated());

        Arena held = plainPool(Arena.builder("held").span(0, 1000).quarantine(2));
        held.engine.forms.holding(0).untilRuleCheck = 1000;
        assertDeclines(held, () -> IdPath.free(held.engine, 1, 1), "a quarantine");
        held.free(1);
        assertNotEquals(0, held.stats().quarantined(), "the general path held it back");
        assertEquals(List.of(), held.checkInvariants());
        assertEquals(List.of(), child.checkInvariants());
    }

    /**
     * An observer must not throw, and an exception surfaces after the change; the two paths leave the same state
     * after it, rotor included (the review of this path found the rotor moved before the report).
     */
    @Test
    void anObserverThatThrowsOnTheAllocation_leavesWhatTheGeneralPathLeaves() {
        boolean[] refuse = {false};
        Arena[] arenas = new Arena[2];
        for (int k = 0; k < 2; k++) {
            Arena a = Arena.builder("ids").span(0, 1000).buildObserved((arena, change) -> {
                if (refuse[0] && change instanceof ArenaChange.Allocated) {
                    throw new IllegalStateException("journal full");
                }
            }, null);
            a.engine.forms.use(PLAIN_SOON);
            for (int i = 0; i < 100; i++) {
                a.alloc(1, Policy.NEXT_FIT);
            }
            for (int i = 0; i < 100; i += 2) {
                a.free(i);
            }
            arenas[k] = a;
        }
        Arena path = arenas[0];
        Arena general = arenas[1];
        assertTrue(pathApplies(path), "the path applies");
        general.engine.forms.holding(0).untilRuleCheck = 0;
        refuse[0] = true;
        assertThrows(IllegalStateException.class, () -> path.alloc(1, Policy.NEXT_FIT));
        assertThrows(IllegalStateException.class, () -> general.alloc(1, Policy.NEXT_FIT));
        assertEquals(general.nextFitCursor(), path.nextFitCursor(), "the rotor");
        assertEquals(general.stats(), path.stats());
    }

    private static void assertDeclines(Arena a, java.util.function.BooleanSupplier free, String why) {
        String before = a.dump();
        ArenaStats stats = a.stats();
        assertFalse(free.getAsBoolean(), why);
        assertEquals(before, a.dump(), why + ": unchanged");
        assertEquals(stats, a.stats(), why + ": unchanged");
    }
}

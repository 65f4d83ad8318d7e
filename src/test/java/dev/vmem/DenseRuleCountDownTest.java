package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The dense rule's count down ({@link DenseRule#singlesBeforeLeaving}) against an arena that asks the rule
 * after every operation, as the arena did before the count down: the same random calls to both must give the
 * same results, the same moves between the forms at the same calls, and the same segments. The rules are
 * random and tight (spans hover at their bounds and move often), the spans of awkward sizes (one word, a word
 * and one, a group of 64 words and more), the arenas plain, quarantined, cached or importing.
 */
class DenseRuleCountDownTest {
    private static final long[] SIZES = {1, 2, 63, 64, 65, 128, 4096, 4097, 4160, 64 * 4096 + 5};

    @ParameterizedTest(name = "kind={0}")
    @ValueSource(ints = {0, 1, 2, 3})
    void theCountDown_movesSpansAtTheSameCallsAsAskingEveryTime(int kind) {
        int moves = 0;
        for (long seed = 100L * kind + 1; seed <= 100L * kind + 40; seed++) {
            System.out.println("DenseRuleCountDownTest kind=" + kind + " seed=" + seed);
            moves += run(kind, seed);
        }
        assertTrue(moves > 200, "moves between the forms: " + moves);
    }

    /** One random run; returns the moves between the forms it made. */
    private static long run(int kind, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        DenseRule rule = new DenseRule(1 + rnd.nextInt(3), 1 + rnd.nextInt(40), rnd.nextInt(6), rnd.nextInt(10),
                1 + rnd.nextInt(30), rnd.nextInt(5), rnd.nextInt(9), 1 + rnd.nextInt(3), 1 + rnd.nextInt(20),
                rnd.nextInt(3) == 0 ? Long.MAX_VALUE : 1 + rnd.nextInt(60), rnd.nextInt(8),
                rnd.nextInt(3) == 0 ? Long.MAX_VALUE : rnd.nextInt(40),
                rnd.nextInt(3) == 0 ? DenseSpan.MAX_QUANTA : rnd.nextInt(12));
        Arena counting = arena("counting", kind, rule);
        Arena asking = arena("asking", kind, rule);
        List<long[]> spans = new ArrayList<>();
        long end = 0;
        for (int s = 1 + rnd.nextInt(3); s > 0; s--) {
            long size = SIZES[rnd.nextInt(SIZES.length)];
            counting.addSpan(end, size);
            asking.addSpan(end, size);
            spans.add(new long[] {end, size});
            end += size + 1000;
        }
        TreeMap<Long, Long> live = new TreeMap<>();
        for (int step = 0; step < 2000; step++) {
            String where = "kind=" + kind + " seed=" + seed + " step=" + step + " " + rule;
            for (DenseTag d : asking.engine.forms.dense) {
                d.untilRuleCheck = 0; // the rule is asked after this call, whatever the count
            }
            int op = rnd.nextInt(10);
            if (op < 5 || live.isEmpty()) {
                long k = rnd.nextInt(4) == 0 ? 2 + rnd.nextInt(6) : 1;
                Policy policy = Policy.values()[rnd.nextInt(Policy.values().length)];
                long v = counting.tryAlloc(k, policy);
                assertEquals(v, asking.tryAlloc(k, policy), where + ": alloc " + k + " " + policy);
                if (v != Arena.NONE) {
                    live.put(v, k);
                }
            } else if (op < 9) {
                Long base = live.ceilingKey(rnd.nextLong(end));
                base = base == null ? live.firstKey() : base;
                long k = live.remove(base);
                counting.free(base, k);
                asking.free(base, k);
            } else {
                long[] span = spans.get(rnd.nextInt(spans.size()));
                long k = 1 + (rnd.nextInt(3) == 0 ? rnd.nextInt(5) : 0);
                long at = span[0] + rnd.nextLong(span[1]);
                if (at + k <= span[0] + span[1]) {
                    boolean claimed = claims(counting, at, k);
                    assertEquals(claimed, claims(asking, at, k), where + ": claim " + at + "+" + k);
                    if (claimed) {
                        live.put(at, k);
                    }
                }
            }
            assertEquals(asking.engine.forms.moves, counting.engine.forms.moves, where + ": moves");
            assertEquals(asking.segments(), counting.segments(), where + ": segments");
            assertEquals(asking.stats(), counting.stats(), where + ": stats");
            if (step % 250 == 0) {
                assertEquals(List.of(), counting.checkInvariants(), where);
            }
        }
        assertEquals(List.of(), counting.checkInvariants(), "seed=" + seed);
        assertEquals(List.of(), asking.checkInvariants(), "seed=" + seed);
        return counting.engine.forms.moves;
    }

    /** Whether {@code a} lets the caller claim {@code [at, at + k)}. */
    private static boolean claims(Arena a, long at, long k) {
        try {
            a.claim(at, k);
            return true;
        } catch (RangeInUseException inUse) {
            return false;
        }
    }

    /** An arena of quantum 1 of {@code kind}: 0 plain, 1 quarantined, 2 cached, 3 importing from a parent. */
    private static Arena arena(String label, int kind, DenseRule rule) {
        Arena.Builder b = Arena.builder(label).quantum(1);
        if (kind == 1) {
            b.quarantine(3);
        } else if (kind == 2) {
            b.qcacheMax(4);
        } else if (kind == 3) {
            Arena parent = Arena.builder(label + "-parent").quantum(1).span(1L << 40, 1L << 30).build();
            parent.engine.forms.use(DenseRule.NEVER);
            b.source(parent).importQuantum(64);
        }
        Arena a = b.build();
        a.engine.forms.use(rule);
        return a;
    }
}

package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** NEXT_FIT: the rotor, wrap-around, and the process-ID use it exists for. */
class NextFitTest {
    private static final long SEED = Long.getLong("vmem.seed", 0x9_1D5L);

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void freedValue_isNotHandedOutAgainBeforeTheRotorWraps(long q) {
        Arena a = Arena.builder("ids").quantum(q).span(0, 100 * q).build();
        for (long i = 0; i < 10; i++) {
            assertEquals(i * q, a.alloc(q, Policy.NEXT_FIT));
        }
        a.free(3 * q);
        a.free(4 * q, q);
        for (long i = 10; i < 100; i++) {
            assertEquals(i * q, a.alloc(q, Policy.NEXT_FIT), "value " + i + " quanta: freed values 3 and 4 reused early");
        }
        // Nothing at or after the rotor: wrap round to the lowest free value.
        assertEquals(3 * q, a.alloc(q, Policy.NEXT_FIT));
        assertEquals(4 * q, a.alloc(q, Policy.NEXT_FIT));
        assertThrows(ArenaExhaustedException.class, () -> a.alloc(q, Policy.NEXT_FIT));
        assertEquals(100 * q, a.stats().allocated());
        Invariants.assertSound(a);
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void freedBlockThatCoalescesAroundTheRotor_isNotReusedBeforeWrap(long q) {
        Arena a = Arena.builder("ids").quantum(q).span(0, 64 * q).build();
        long first = a.alloc(8 * q, Policy.NEXT_FIT);
        long second = a.alloc(8 * q, Policy.NEXT_FIT);
        assertEquals(16 * q, a.nextFitCursor());
        a.free(second); // coalesces with the free tail into [8q, 64q), which holds the rotor
        a.free(first); // and now [0, 64q): the coalesced segment starts below the rotor
        assertEquals(16 * q, a.alloc(8 * q, Policy.NEXT_FIT), "the rotor must not move back when blocks coalesce");
        assertEquals(24 * q, a.alloc(8 * q, Policy.NEXT_FIT));
        Invariants.assertSound(a);
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void wrapAround_whenNothingFitsPastTheRotor_restartsAtTheLowestAddress(long q) {
        Arena a = Arena.builder("wrap").quantum(q).span(0, 64 * q).build();
        long[] blocks = new long[8];
        for (int i = 0; i < 8; i++) {
            blocks[i] = a.alloc(8 * q, Policy.NEXT_FIT);
            assertEquals(i * 8 * q, blocks[i]);
        }
        assertEquals(64 * q, a.nextFitCursor());
        a.free(blocks[0]);
        a.free(blocks[2]);
        a.free(blocks[7]);
        assertEquals(0, a.alloc(8 * q, Policy.NEXT_FIT), "wrap to the lowest address");
        assertEquals(8 * q, a.nextFitCursor());
        assertEquals(16 * q, a.alloc(8 * q, Policy.NEXT_FIT));
        assertEquals(56 * q, a.alloc(8 * q, Policy.NEXT_FIT));
        assertThrows(ArenaExhaustedException.class, () -> a.alloc(q, Policy.NEXT_FIT));
        Invariants.assertSound(a);
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void wrapAround_usesTheFreeSegmentHoldingTheRotorWhole(long q) {
        Arena a = Arena.builder("wrap").quantum(q).span(0, 32 * q).build();
        a.free(a.alloc(16 * q, Policy.NEXT_FIT));
        assertEquals(16 * q, a.nextFitCursor());
        // Only 16 quanta lie past the rotor; the whole span is free, so the wrap finds it at 0.
        assertEquals(0, a.alloc(24 * q, Policy.NEXT_FIT));
        assertEquals(24 * q, a.nextFitCursor());
        Invariants.assertSound(a);
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void wrapAround_acrossSpans_returnsToTheLowestSpan(long q) {
        Arena a = Arena.builder("spans").quantum(q).span(1000 * q, 16 * q).span(0, 16 * q).build();
        List<Long> got = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            got.add(a.alloc(4 * q, Policy.NEXT_FIT));
        }
        assertEquals(List.of(0L, 4 * q, 8 * q, 12 * q, 1000 * q, 1004 * q, 1008 * q, 1012 * q), got);
        a.free(8 * q);
        a.free(1004 * q);
        assertEquals(8 * q, a.alloc(4 * q, Policy.NEXT_FIT), "wrapped to the lower span");
        assertEquals(1004 * q, a.alloc(4 * q, Policy.NEXT_FIT), "then onwards from the rotor into the upper span");
        Invariants.assertSound(a);
    }

    @Test
    void pidArena_handsOutEveryValueOnceInIncreasingOrder_beforeAnyReuse() {
        long seed = SEED;
        String ctx = "seed=" + seed;
        SplittableRandom rnd = new SplittableRandom(seed);
        Arena pids = Arena.builder("pids").quantum(1).span(300, 32768 - 300).build();
        int[] handedOut = new int[32768];
        List<Long> live = new ArrayList<>();
        TreeSet<Long> freed = new TreeSet<>();
        for (long expected = 300; expected < 32768; expected++) {
            long pid = pids.alloc(1, Policy.NEXT_FIT);
            assertEquals(expected, pid, ctx + ": PIDs must come in increasing order before any reuse");
            handedOut[(int) pid]++;
            assertEquals(pid + 1, pids.nextFitCursor(), ctx);
            live.add(pid);
            if (rnd.nextInt(100) < 30) { // a process exits
                long gone = removeRandom(live, rnd);
                pids.free(gone);
                freed.add(gone);
            }
        }
        for (int v = 300; v < 32768; v++) {
            assertEquals(1, handedOut[v], ctx + ": value " + v + " handed out " + handedOut[v] + " times");
        }
        Invariants.assertSound(pids);

        // The rotor is at the end: the next values are the freed ones, lowest first, in increasing order.
        int freedCount = freed.size();
        assertTrue(freedCount > 1000, ctx + ": too few exits to test reuse: " + freedCount);
        for (long expected : freed) {
            assertEquals(expected, pids.alloc(1, Policy.NEXT_FIT), ctx + ": reuse after the wrap");
            live.add(expected);
        }
        assertEquals(freed.last() + 1, pids.nextFitCursor(), ctx);
        assertThrows(ArenaExhaustedException.class, () -> pids.alloc(1, Policy.NEXT_FIT), ctx);
        assertEquals(32768 - 300, pids.stats().allocated(), ctx);

        // After exhaustion, free values on both sides of the rotor: those after it come first. Move the
        // rotor to the middle first by freeing one value there and taking it back.
        pids.free(16_384);
        assertEquals(16_384, pids.alloc(1, Policy.NEXT_FIT), ctx + ": the only free value");
        long rotor = pids.nextFitCursor();
        assertEquals(16_385, rotor, ctx);
        TreeSet<Long> again = new TreeSet<>();
        for (int i = 0; i < 200; i++) {
            long gone = removeRandom(live, rnd);
            pids.free(gone);
            again.add(gone);
        }
        List<Long> expectedOrder = new ArrayList<>(again.tailSet(rotor, true));
        expectedOrder.addAll(again.headSet(rotor, false));
        assertTrue(!again.tailSet(rotor, true).isEmpty() && !again.headSet(rotor, false).isEmpty(),
                ctx + ": frees should fall on both sides of rotor=" + rotor);
        List<Long> got = new ArrayList<>();
        for (int i = 0; i < expectedOrder.size(); i++) {
            got.add(pids.alloc(1, Policy.NEXT_FIT));
        }
        assertEquals(expectedOrder, got, ctx + ": after exhaustion, values after rotor=" + rotor + " first, then wrap");
        assertEquals(32768 - 300, pids.stats().allocated(), ctx);
        Invariants.assertSound(pids);
    }

    private static long removeRandom(List<Long> list, SplittableRandom rnd) {
        int i = rnd.nextInt(list.size());
        long value = list.get(i);
        list.set(i, list.get(list.size() - 1));
        list.remove(list.size() - 1);
        return value;
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void nextFitCursor_reportsTheEndOfTheLastNextFitAllocation(long q) {
        Arena a = Arena.builder("cursor").quantum(q).span(0, 1024 * q).build();
        assertEquals(0, a.nextFitCursor(), "before the first allocation");
        long b = a.alloc(3 * q - (q > 1 ? 1 : 0), Policy.NEXT_FIT);
        assertEquals(b + 3 * q, a.nextFitCursor(), "the end of the rounded block");
        long cursor = a.nextFitCursor();
        a.alloc(5 * q, Policy.INSTANT_FIT);
        a.alloc(5 * q, Policy.BEST_FIT);
        a.xalloc(Constraints.builder(q).min(900 * q).build(), Policy.BEST_FIT);
        assertEquals(cursor, a.nextFitCursor(), "other policies leave the rotor alone");
        a.free(b);
        assertEquals(cursor, a.nextFitCursor(), "free leaves the rotor alone");
        long c = a.xalloc(Constraints.builder(2 * q).align(64 * q).build(), Policy.NEXT_FIT);
        assertEquals(64 * q, c);
        assertEquals(66 * q, a.nextFitCursor());
        assertThrows(ArenaExhaustedException.class, () -> a.alloc(2048 * q, Policy.NEXT_FIT));
        assertEquals(66 * q, a.nextFitCursor(), "a failed allocation leaves the rotor alone");
        Invariants.assertSound(a);
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void nextFitWithAlignment_advancesAndWraps(long q) {
        Arena a = Arena.builder("aligned").quantum(q).span(0, 1024 * q).build();
        Constraints c = Constraints.builder(q).align(64 * q).build();
        for (long i = 0; i < 16; i++) {
            long b = a.xalloc(c, Policy.NEXT_FIT);
            assertEquals(i * 64 * q, b);
            assertTrue(c.admits(b));
        }
        assertThrows(ArenaExhaustedException.class, () -> a.xalloc(c, Policy.NEXT_FIT));
        a.free(5 * 64 * q);
        a.free(2 * 64 * q);
        assertEquals(2 * 64 * q, a.xalloc(c, Policy.NEXT_FIT), "wrapped to the lowest aligned free value");
        assertEquals(5 * 64 * q, a.xalloc(c, Policy.NEXT_FIT));
        // Unaligned values remain free; the phase picks them.
        Constraints phased = Constraints.builder(q).align(64 * q).phase(8 * q).build();
        assertEquals(5 * 64 * q + 8 * q, a.xalloc(phased, Policy.NEXT_FIT), "first phased value after the rotor");
        assertEquals(6 * 64 * q + 8 * q, a.xalloc(phased, Policy.NEXT_FIT));
        Invariants.assertSound(a);
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void nextFitWithMinMax_staysInTheWindowAndWrapsInsideIt(long q) {
        Arena a = Arena.builder("window").quantum(q).span(0, 1024 * q).build();
        a.alloc(500 * q, Policy.NEXT_FIT); // rotor at 500q, above the window
        Constraints c = Constraints.builder(q).min(100 * q).max(200 * q).build();
        // Nothing of [100q, 200q) lies after the rotor... but the whole window is allocated: exhausted.
        assertThrows(ArenaExhaustedException.class, () -> a.xalloc(c, Policy.NEXT_FIT));
        a.free(0);
        for (long v = 100; v < 200; v++) {
            long b = a.xalloc(c, Policy.NEXT_FIT);
            assertEquals(v * q, b, "window values in increasing order");
        }
        assertThrows(ArenaExhaustedException.class, () -> a.xalloc(c, Policy.NEXT_FIT));
        a.free(150 * q);
        a.free(120 * q);
        assertEquals(120 * q, a.xalloc(c, Policy.NEXT_FIT), "wrapped to the lowest free value in the window");
        assertEquals(150 * q, a.xalloc(c, Policy.NEXT_FIT));
        assertEquals(151 * q, a.nextFitCursor());
        // A window below the rotor is still reachable: the search wraps.
        long low = a.xalloc(Constraints.builder(2 * q).max(50 * q).build(), Policy.NEXT_FIT);
        assertEquals(0, low);
        // A window above the rotor: the first value at or after both.
        long high = a.xalloc(Constraints.builder(q).min(700 * q).max(800 * q).build(), Policy.NEXT_FIT);
        assertEquals(700 * q, high);
        Invariants.assertSound(a);
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void nextFitWithNocross_skipsToTheNextWindowAndWraps(long q) {
        Arena a = Arena.builder("nocross").quantum(q).span(0, 64 * q).build();
        a.alloc(6 * q, Policy.NEXT_FIT); // rotor 6q
        Constraints c = Constraints.builder(4 * q).nocross(8 * q).build();
        assertEquals(8 * q, a.xalloc(c, Policy.NEXT_FIT), "[6q, 10q) would straddle 8q");
        assertEquals(12 * q, a.xalloc(c, Policy.NEXT_FIT));
        while (a.tryXalloc(c, Policy.NEXT_FIT) != Arena.NONE) {
            assertTrue(a.nextFitCursor() <= 64 * q);
        }
        assertEquals(64 * q, a.nextFitCursor());
        a.free(0);
        // [0, 6q) is free: the wrap takes its first non-straddling 4 quanta.
        assertEquals(0, a.xalloc(c, Policy.NEXT_FIT));
        Invariants.assertSound(a);
    }
}

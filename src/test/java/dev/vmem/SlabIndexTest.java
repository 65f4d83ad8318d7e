package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The index of a cache's slab words: every live slab's word found by slab number, whether the slabs lie close
 * together or far apart; leaves made with their first slab and dropped with their last; and arenas whose cached
 * blocks lie in spans far apart free each block through it, refuse the bad frees, and give slabs back and make
 * them again at the same bases.
 */
class SlabIndexTest {
    /** Three spans, the second and third far above the first (the index's window cannot hold them all). */
    private static final long[] SPANS = {0, 1L << 40, (1L << 52) + (1L << 20)};
    private static final long SPAN_QUANTA = 64 * 63 * 3;
    /** Slabs made here are in no arena's table of slabs. */
    private static final Consumer<QuantumCache.Slab> UNRECORDED = slab -> { };

    private static QuantumCache cache(int quanta) {
        return new QuantumCache(c -> null, "t", 1, quanta, 1);
    }

    private static List<String> problems(QuantumCache c) {
        List<String> problems = new ArrayList<>();
        c.checkIndex(problems);
        return problems;
    }

    /** Retires {@code s} and takes it out of the index, as giving a slab back does. */
    private static void giveBack(QuantumCache c, QuantumCache.Slab s) {
        assertTrue(s.cas(0, QuantumCache.RETIRED), "slab at " + s.base + " is idle");
        c.slabs().remove(s);
        c.unregister(s);
    }

    @Test
    void everySlab_isFoundByNumber_closeTogetherOrFarApart() {
        QuantumCache c = cache(1);
        List<QuantumCache.Slab> slabs = new ArrayList<>();
        for (long base : new long[] {0, 64, 64 * 64, 64 * 64 * 200, 1L << 40, (1L << 40) + 64, Long.MAX_VALUE & -64}) {
            slabs.add(c.adopt(base, UNRECORDED));
        }
        for (QuantumCache.Slab s : slabs) {
            long n = c.index.number(s.base);
            assertEquals(s.base, c.index.base(n));
            assertSame(s, c.index.slab(n), "slab at " + s.base);
            assertSame(s.leaf, c.index.leaf(n), "leaf of the slab at " + s.base);
            assertEquals(0, s.word(), "a new slab's word is empty");
        }
        assertSame(slabs.get(0).leaf, slabs.get(1).leaf, "neighbouring slabs share a leaf");
        assertNotSame(slabs.get(1).leaf, slabs.get(2).leaf, "the 64th slab number starts the next leaf");
        assertNull(c.index.slab(c.index.number(128)), "a number with no slab, in a leaf that has one");
        assertNull(c.index.leaf(c.index.number(64 * 64 * 100)), "a leaf with no slab");
        assertNull(c.index.leaf(c.index.number(1L << 50)), "far from every slab");
        assertEquals(List.of(), problems(c));
    }

    @Test
    void aLeaf_isDroppedWithItsLastSlab_andMadeAgainWithTheNext() {
        QuantumCache c = cache(2);
        long step = c.slabAlign;
        QuantumCache.Slab first = c.adopt(0, UNRECORDED);
        QuantumCache.Slab second = c.adopt(step, UNRECORDED);
        QuantumCache.Slab far = c.adopt(step << 30, UNRECORDED);
        giveBack(c, first);
        assertNull(c.index.slab(0), "given back");
        assertSame(second.leaf, c.index.leaf(c.index.number(0)), "the leaf stays while a slab is in it");
        assertEquals(QuantumCache.RETIRED, SlabIndex.word(second.leaf.words, first.slot), "its word reads retired");
        giveBack(c, second);
        assertNull(c.index.leaf(0), "dropped with its last slab");
        assertEquals(List.of(), problems(c));
        QuantumCache.Slab again = c.adopt(step, UNRECORDED);
        assertNotSame(second.leaf, again.leaf, "a new leaf");
        assertSame(again, c.index.slab(c.index.number(step)));
        assertEquals(QuantumCache.RETIRED, second.word(), "a reader still holding the dropped leaf reads it retired");
        assertSame(far, c.index.slab(c.index.number(step << 30)));
        giveBack(c, far);
        assertNull(c.index.leaf(c.index.number(step << 30)));
        assertEquals(List.of(), problems(c));
    }

    @Test
    void aFreeOfABlockWhoseSlabWasGivenBack_isRefusedByTheArena_andChangesNothing() {
        Arena a = Arena.builder("given back").quantum(8).qcacheMax(16).span(0, 1 << 16).build();
        long b = a.alloc(8, Policy.INSTANT_FIT);
        a.free(b, 8);
        a.reapCaches();
        String dump = a.dump();
        assertThrows(InvalidFreeException.class, () -> a.free(b, 8), "the slab is gone, and its leaf");
        assertEquals(dump, a.dump());
        assertEquals(b, a.alloc(8, Policy.INSTANT_FIT), "a slab made again at the same base");
        a.free(b, 8);
        assertThrows(InvalidFreeException.class, () -> a.free(b, 8), "a double free in the slab made again");
        Invariants.assertSound(a);
    }

    /**
     * Seeded churn of cached blocks of two sizes over spans far apart, sized and unsized frees, bad frees and
     * reaps: every block handed out is distinct and in a span, every bad free is refused, and the figures and
     * invariants hold.
     */
    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 4096})
    void churnOverSpansFarApart_matchesAModel(long q) {
        long seed = Long.getLong("vmem.seed", 0x5AB1DL) + q;
        System.out.println("SlabIndexTest seed=" + seed + " quantum=" + q);
        SplittableRandom rnd = new SplittableRandom(seed);
        Arena.Builder builder = Arena.builder("far apart").quantum(q).qcacheMax(2 * q);
        for (long start : SPANS) {
            builder.span(start, SPAN_QUANTA * q);
        }
        Arena a = builder.build();
        TreeMap<Long, Long> live = new TreeMap<>();
        List<Long> bases = new ArrayList<>();
        for (int step = 0; step < 20_000; step++) {
            int op = rnd.nextInt(100);
            if (op < 55) {
                long size = (1 + rnd.nextInt(2)) * q;
                long b = a.tryAlloc(size, Policy.INSTANT_FIT);
                if (b != Arena.NONE) {
                    var below = live.floorEntry(b + size - 1);
                    assertTrue(below == null || below.getKey() + below.getValue() <= b,
                            "seed=" + seed + " step=" + step + ": " + b + " overlaps " + below);
                    assertTrue(inASpan(b, size, q), "seed=" + seed + " step=" + step + ": " + b);
                    live.put(b, size);
                    bases.add(b);
                }
            } else if (op < 95 && !live.isEmpty()) {
                long b = bases.remove(rnd.nextInt(bases.size()));
                long size = live.remove(b);
                if (rnd.nextBoolean()) {
                    a.free(b, size);
                } else {
                    a.free(b);
                }
            } else if (op < 98 && !live.isEmpty()) {
                long held = bases.get(rnd.nextInt(bases.size()));
                long size = live.get(held);
                String dump = a.dump();
                assertThrows(InvalidFreeException.class, () -> a.free(held, 3 * q - size), "seed=" + seed);
                if (size == 2 * q) {
                    assertThrows(InvalidFreeException.class, () -> a.free(held + q, q), "seed=" + seed + ": inside");
                }
                assertEquals(dump, a.dump(), "seed=" + seed + " step=" + step + ": a bad free changed nothing");
            } else {
                a.reapCaches();
            }
            assertEquals(live.values().stream().mapToLong(Long::longValue).sum(), a.stats().allocated(),
                    "seed=" + seed + " step=" + step);
            if (step % 1000 == 0) {
                Invariants.assertSound(a);
            }
        }
        for (var e : live.entrySet()) {
            a.free(e.getKey(), e.getValue());
        }
        assertThrows(InvalidFreeException.class, () -> a.free(live.firstKey(), live.firstEntry().getValue()));
        a.reapCaches();
        assertEquals(0, a.stats().allocated());
        assertEquals(0, a.stats().cached());
        Invariants.assertSound(a);
    }

    private static boolean inASpan(long b, long size, long q) {
        for (long start : SPANS) {
            if (b >= start && b + size <= start + SPAN_QUANTA * q) {
                return true;
            }
        }
        return false;
    }

    @Test
    void leavesWithin64OfEachOther_areAllInTheWindow_whicheverWayItGrows() {
        QuantumCache c = cache(1);
        long leafValues = 64L * SlabIndex.LEAF_SLOTS;
        for (long leaf : new long[] {100, 99, 101, 60, 120}) {
            c.adopt(leaf * leafValues, UNRECORDED);
            SlabIndex.Window w = c.index.window;
            long i = leaf - w.first;
            assertTrue(i >= 0 && i < w.leaves.length(), "leaf " + leaf + " outside [" + w.first + ", "
                    + (w.first + w.leaves.length()) + ")");
            assertSame(c.index.leaf(c.index.number(leaf * leafValues)), w.leaves.get((int) i), "leaf " + leaf);
        }
        assertEquals(List.of(), problems(c));
    }

    @Test
    void theWindow_followsTheLeavesItHolds_whenTheOldOnesAreDropped() {
        QuantumCache c = cache(1);
        long leafValues = 64L * SlabIndex.LEAF_SLOTS;
        QuantumCache.Slab first = c.adopt(0, UNRECORDED);
        giveBack(c, first);
        for (long leaf = 200; leaf <= 210; leaf++) {
            c.adopt(leaf * leafValues, UNRECORDED);
        }
        SlabIndex.Window w = c.index.window;
        for (long leaf = 200; leaf <= 210; leaf++) {
            long i = leaf - w.first;
            assertTrue(i >= 0 && i < w.leaves.length() && w.leaves.get((int) i) != null, "leaf " + leaf + " outside ["
                    + w.first + ", " + (w.first + w.leaves.length()) + ")");
        }
        assertEquals(List.of(), problems(c));
    }

    @Test
    void theWindow_growsOverLeavesThatLieClose_andNotOverOnesFarApart() {
        QuantumCache c = cache(1);
        long leafValues = 64L * SlabIndex.LEAF_SLOTS;
        for (int i = 0; i < 300; i++) {
            c.adopt((long) i * leafValues, UNRECORDED);
        }
        c.adopt(1L << 50, UNRECORDED);
        for (int i = 0; i < 300; i++) {
            assertNotNull(c.index.leaf(c.index.number((long) i * leafValues)), "leaf " + i);
        }
        assertNotNull(c.index.leaf(c.index.number(1L << 50)), "a leaf outside the window, found in the table");
        SlabIndex.Window w = c.index.window;
        assertEquals(0, w.first);
        assertTrue(w.leaves.length() >= 300 && w.leaves.length() <= 4 * 301, "length " + w.leaves.length());
        for (int i = 0; i < 300; i++) {
            assertSame(c.index.leaf(c.index.number((long) i * leafValues)), w.leaves.get(i), "leaf " + i + " in place");
        }
        assertEquals(List.of(), problems(c));
        QuantumCache down = cache(1);
        for (int i = 299; i >= 0; i--) {
            down.adopt((long) i * leafValues, UNRECORDED);
        }
        SlabIndex.Window dw = down.index.window;
        assertTrue(dw.first == 0 && dw.leaves.length() >= 300, "a window grown downwards: " + dw.first + "+"
                + dw.leaves.length());
        assertEquals(List.of(), problems(down));
    }
    /**
     * A leaf at the first number past the window's end, or as far below its start, is in the table only: found, placed
     * and dropped there, and left out of a window rebuilt to end just below it. The window starts far from 0, so that
     * its offsets count.
     */
    @Test
    void aLeafJustPastTheWindowsEnd_isFoundPlacedAndDroppedThroughTheTable() {
        QuantumCache c = cache(1);
        long leafValues = 64L * SlabIndex.LEAF_SLOTS;
        long f = 1000;
        c.adopt(f * leafValues, UNRECORDED);
        QuantumCache.Slab past = c.adopt((f + 64) * leafValues, UNRECORDED); // 64 leaves on: too far for a window of 2
        SlabIndex.Window w = c.index.window;
        assertEquals(f, w.first);
        assertEquals(64, w.leaves.length());
        assertSame(past, c.index.slab(c.index.number(past.base)), "found through the table");
        assertEquals(List.of(), problems(c));
        giveBack(c, past);
        assertNull(c.index.leaf(c.index.number(past.base)));
        assertEquals(List.of(), problems(c));
        QuantumCache.Slab below = c.adopt((f - 64) * leafValues, UNRECORDED); // as far the other way
        assertEquals(f, c.index.window.first);
        assertSame(below, c.index.slab(c.index.number(below.base)), "found through the table");
        assertEquals(List.of(), problems(c));
        giveBack(c, below);

        QuantumCache.Slab beyond = c.adopt((f + 100) * leafValues, UNRECORDED); // in the table only
        for (long leaf = f + 1; leaf <= f + 22; leaf++) {
            c.adopt(leaf * leafValues, UNRECORDED);
        }
        c.adopt((f + 70) * leafValues, UNRECORDED); // 25 leaves: the window is rebuilt as [f, f + 100)
        w = c.index.window;
        assertEquals(f, w.first);
        assertEquals(100, w.leaves.length());
        assertSame(c.index.leaf(c.index.number(f * leafValues)), w.leaves.get(0), "the lowest leaf, at the start");
        assertSame(beyond, c.index.slab(c.index.number(beyond.base)), "just past the rebuilt window, in the table");
        assertEquals(List.of(), problems(c));
        giveBack(c, beyond);
        assertNull(c.index.leaf(c.index.number(beyond.base)));
        assertEquals(List.of(), problems(c));
    }
}

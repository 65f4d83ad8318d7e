package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The lock-free table (of live cache slabs, and of each cache's index leaves) keeps finding every entry as
 * it grows far past its first 64 slots, past the tombstones that removals leave, and after churn; and an
 * arena with hundreds of slabs frees every cached block through it.
 */
class ReadMostlyTableTest {

    /** An entry keyed by its base, as a slab is. */
    private record Slab(long base) {
    }

    private static Slab slab(long base) {
        return new Slab(base);
    }

    private static ReadMostlyTable<Slab> newTable() {
        return new ReadMostlyTable<>(Slab::base);
    }

    @ParameterizedTest(name = "stride={0}")
    @ValueSource(longs = {1, 63, 4096, 1L << 40})
    void everySlab_isFound_asTheTableGrows(long stride) {
        ReadMostlyTable<Slab> table = newTable();
        List<Slab> slabs = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            Slab s = slab(i * stride);
            table.put(s);
            slabs.add(s);
            assertEquals(i + 1, table.size());
            assertSame(s, table.get(s.base()), "just put, slab " + i);
        }
        for (Slab s : slabs) {
            assertSame(s, table.get(s.base()), "after growth, slab at " + s.base());
        }
        assertNull(table.get(1000 * stride), "a base that was never put");
        assertNull(table.get(-1), "no base matches the tombstone's");
    }

    @Test
    void removedSlabs_areGone_andTheOthersAreFoundPastTheirTombstones() {
        ReadMostlyTable<Slab> table = newTable();
        List<Slab> slabs = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            Slab s = slab(i * 64L);
            table.put(s);
            slabs.add(s);
        }
        for (int i = 0; i < 500; i += 2) {
            table.remove(slabs.get(i));
        }
        assertEquals(250, table.size());
        for (int i = 0; i < 500; i++) {
            Slab s = slabs.get(i);
            if (i % 2 == 0) {
                assertNull(table.get(s.base()), "removed slab at " + s.base());
            } else {
                assertSame(s, table.get(s.base()), "kept slab at " + s.base());
            }
        }
        assertNull(table.get(-1), "a tombstone is never returned");
        // A slab put again at a removed base is the new one.
        Slab again = slab(0);
        table.put(again);
        assertSame(again, table.get(0));
        assertEquals(251, table.size());
    }

    @Test
    void churnWithFewLiveSlabs_neverFillsTheTableWithTombstones() {
        long seed = Long.getLong("vmem.seed", 0x51AB7L);
        System.out.println("ReadMostlyTableTest seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        ReadMostlyTable<Slab> table = newTable();
        List<Slab> live = new ArrayList<>();
        long next = 0;
        for (int step = 0; step < 50_000; step++) {
            if (live.size() < 8 || (live.size() < 40 && rnd.nextBoolean())) {
                Slab s = slab(next);
                next += 63 * (1 + rnd.nextInt(4));
                table.put(s);
                live.add(s);
            } else {
                Slab s = live.remove(rnd.nextInt(live.size()));
                table.remove(s);
                assertNull(table.get(s.base()), "seed=" + seed + " step=" + step);
            }
            assertEquals(live.size(), table.size(), "seed=" + seed + " step=" + step);
        }
        for (Slab s : live) {
            assertSame(s, table.get(s.base()), "seed=" + seed);
        }
        assertNull(table.get(next), "seed=" + seed + ": a base never put");
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void anArenaWithHundredsOfSlabs_freesEveryCachedBlock(long q) {
        int slabs = 300;
        Arena a = Arena.builder("slabs").quantum(q).qcacheMax(2 * q).span(0, 1L << 40).build();
        List<Long> blocks = new ArrayList<>();
        for (int i = 0; i < slabs * QuantumCache.BLOCKS; i++) {
            blocks.add(a.alloc(i % 2 == 0 ? q : 2 * q, Policy.INSTANT_FIT));
        }
        ArenaStats full = a.stats();
        assertEquals(0, full.cached(), "every slab is full");
        assertEquals(slabs * QuantumCache.BLOCKS, full.liveAllocations());
        assertEquals((slabs / 2) * QuantumCache.BLOCKS * 3 * q, full.allocated());
        for (int i = 0; i < blocks.size(); i++) {
            long base = blocks.get(i);
            if (i % 3 == 0) {
                a.free(base);
            } else {
                a.free(base, i % 2 == 0 ? q : 2 * q);
            }
        }
        ArenaStats idle = a.stats();
        assertEquals(0, idle.allocated());
        assertEquals(0, idle.liveAllocations());
        assertEquals(full.allocated(), idle.cached(), "the freed blocks stay cached in their slabs");
        long first = blocks.get(0);
        assertThrows(InvalidFreeException.class, () -> a.free(first), "a double free is found in its slab");
        a.reapCaches();
        assertEquals(0, a.stats().cached());
        assertTrue(a.segments().stream().noneMatch(s -> s.kind() == Segment.Kind.ALLOCATED), a.dump());
        assertEquals(List.of(), a.checkInvariants());
    }
}

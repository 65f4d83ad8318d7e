package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The allocation table gives back its buckets when most of its entries leave (as they do when a span turns
 * dense), keeps finding every entry that stays, and keeps them when it is still a quarter full.
 */
class AllocationTableTrimTest {

    private static List<Tag> fill(AllocationTable table, int n, long quantum) {
        List<Tag> tags = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Tag t = new Tag(Tag.ALLOCATED, i * quantum, quantum);
            table.reserveOne();
            table.insert(t);
            tags.add(t);
        }
        return tags;
    }

    @Test
    void trim_afterMostEntriesLeave_shrinksToTwiceTheEntries_andFindsTheRest() {
        long seed = 20261201L;
        System.out.println("AllocationTableTrimTest seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        AllocationTable table = new AllocationTable(4096);
        List<Tag> tags = fill(table, 10_000, 4096);
        assertEquals(16_384, table.bucketCount());
        List<Tag> removed = new ArrayList<>();
        while (tags.size() > 100) {
            Tag t = tags.remove(rnd.nextInt(tags.size()));
            table.remove(t);
            removed.add(t);
        }
        table.trim();
        assertEquals(256, table.bucketCount(), "the smallest power of two of at least 2 x 100 entries");
        assertEquals(100, table.size());
        for (Tag t : tags) {
            assertSame(t, table.find(t.base), "kept entry at " + t.base);
        }
        for (Tag t : removed) {
            assertNull(table.find(t.base), "removed entry at " + t.base);
        }
        table.forEach((bucket, t) -> assertTrue(table.inRightBucket(bucket, t), "bucket of " + t.base));
    }

    @Test
    void trim_ofATableAQuarterFullOrSmall_keepsItsBuckets() {
        AllocationTable table = new AllocationTable(1);
        List<Tag> tags = fill(table, 1_024, 1);
        for (int i = 0; i < 768; i++) {
            table.remove(tags.get(i));
        }
        table.trim();
        assertEquals(1_024, table.bucketCount(), "256 of 1,024: a quarter full, kept");
        table.remove(tags.get(768));
        table.trim();
        assertEquals(512, table.bucketCount(), "255 of 1,024: under a quarter, halved");
        AllocationTable empty = new AllocationTable(1);
        empty.trim();
        assertEquals(16, empty.bucketCount(), "never below the initial size");
    }

    @Test
    void aPoolTurningDense_givesBackTheBucketsItsAllocationsNeeded() {
        long seed = 77L;
        System.out.println("AllocationTableTrimTest pool seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        Arena a = Arena.builder("ids").quantum(1).span(0, 100_000).build();
        a.engine.forms.use(new DenseRule(64, 256, 2, 16, 1024, 8, 64, 0, 0)); // the default's gaps at any size
        for (int i = 0; i < 100_000; i++) {
            a.alloc(1, Policy.INSTANT_FIT);
        }
        int before = a.engine.table.bucketCount();
        for (long id = 0; id < 100_000; id += 2) {
            a.free(id);
        }
        for (int i = 0; i < 60_000 && a.engine.forms.dense.isEmpty(); i++) { // past the next form review
            a.free(a.alloc(1, Policy.INSTANT_FIT));
        }
        assertEquals(1, a.engine.forms.dense.size(), "the pool turned dense");
        assertEquals(131_072, before);
        assertTrue(a.engine.table.bucketCount() <= 16, "buckets left: " + a.engine.table.bucketCount());
        assertEquals(50_000, a.stats().liveAllocations());
        // The pool goes on as before: frees are checked and allocations land on free IDs.
        Set<Long> free = new HashSet<>();
        for (long id = 0; id < 100_000; id += 2) {
            free.add(id);
        }
        for (int i = 0; i < 1000; i++) {
            long id = 1 + 2L * rnd.nextInt(50_000);
            if (free.add(id)) {
                a.free(id, 1);
            }
        }
        assertEquals(100_000 - free.size(), a.stats().liveAllocations());
        for (int i = 0; i < 1000; i++) {
            long id = a.alloc(1, Policy.INSTANT_FIT);
            assertTrue(free.remove(id), "allocated " + id + ", which was not free");
        }
        assertEquals(100_000 - free.size(), a.stats().liveAllocations());
        assertEquals(List.of(), a.checkInvariants());
    }
}

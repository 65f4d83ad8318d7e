package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The invariant check finds each kind of damage it is there to find. Every test breaks one thing in a
 * sound arena, by hand, through the package-private structures (no public call can do it), and expects
 * the problem named. The arena: quantum 8, span {@code [0, 800)} holding an allocation {@code [0, 80)}
 * and free {@code [80, 800)}; some tests add a second span {@code [1000, 1200)}.
 */
class InvariantCheckDetectsTest {
    private static final long Q = 8;

    // The engine's structures, reached here only, so that moving them changes one place.
    private static SegmentList list(Arena a) {
        return a.engine.list;
    }

    private static FreeLists freeLists(Arena a) {
        return a.engine.freeLists;
    }

    private static AllocationTable table(Arena a) {
        return a.engine.table;
    }

    private static ReadMostlyTable<QuantumCache.Slab> slabTable(Arena a) {
        return a.caches.slabTable;
    }

    private static Arena arena() {
        Arena a = Arena.builder("check").quantum(Q).span(0, 800).build();
        assertEquals(0, a.alloc(80, Policy.INSTANT_FIT));
        assertEquals(List.of(), a.checkInvariants(), "sound before the damage");
        return a;
    }

    private static Arena twoSpans() {
        Arena a = arena();
        a.addSpan(1000, 200);
        assertEquals(List.of(), a.checkInvariants(), "sound before the damage");
        return a;
    }

    private static Tag marker(Arena a) {
        return list(a).first();
    }

    private static Tag allocated(Arena a) {
        Tag t = marker(a).next;
        assertEquals(Tag.ALLOCATED, t.type);
        return t;
    }

    private static Tag free(Arena a) {
        Tag t = allocated(a).next;
        assertEquals(Tag.FREE, t.type);
        return t;
    }

    private static void assertDetects(Arena a, String fragment) {
        List<String> problems = a.checkInvariants();
        assertTrue(problems.stream().anyMatch(p -> p.contains(fragment)),
                "expected a problem containing '" + fragment + "', got " + problems);
    }

    @Nested
    class TheSegmentList {
        @Test
        void aBrokenBackLink() {
            Arena a = arena();
            free(a).prev = marker(a);
            assertDetects(a, "broken back link at FREE[0x50, 0x320)");
        }

        @Test
        void aCycle_endsTheWalk() {
            Arena a = arena();
            Tag first = allocated(a);
            free(a).next = first;
            assertDetects(a, "segment list is longer than the arena's counts allow (a cycle?)");
        }

        @Test
        void aSegmentOfSizeZero() {
            Arena a = arena();
            free(a).size = 0;
            assertDetects(a, "bad range FREE[0x50, 0x50)");
        }

        @Test
        void aNegativeBase() {
            Arena a = arena();
            allocated(a).base = -8;
            assertDetects(a, "bad range");
        }

        @Test
        void aRangePastLongMaxValue() {
            Arena a = arena();
            free(a).size = Long.MAX_VALUE - 72;
            assertDetects(a, "bad range");
        }

        @Test
        void aBaseOffTheQuantum() {
            Arena a = arena();
            allocated(a).size = 84;
            free(a).base = 84;
            free(a).size = 716;
            assertDetects(a, "not aligned to quantum=8: FREE[0x54, 0x320)");
        }

        @Test
        void aSizeOffTheQuantum_atAnAlignedBase() {
            Arena a = arena();
            free(a).size = 724;
            assertDetects(a, "not aligned to quantum=8: FREE[0x50, 0x324)");
        }

        @Test
        void aGapBetweenSegments() {
            Arena a = arena();
            allocated(a).size = 72;
            assertDetects(a, "segment FREE[0x50, 0x320) should start at 0x48 (gap or overlap)");
        }

        @Test
        void aSegmentRunningPastItsSpan() {
            Arena a = arena();
            free(a).size = 728;
            assertDetects(a, "segment FREE[0x50, 0x328) runs past its span SPAN[0x0, 0x320)");
        }

        @Test
        void segmentsEndingShortOfTheirSpan_beforeTheNextSpan() {
            Arena a = twoSpans();
            free(a).size = 712;
            assertDetects(a, "segments do not tile SPAN[0x0, 0x320): they end at 792");
        }

        @Test
        void segmentsEndingShortOfTheLastSpan() {
            Arena a = arena();
            free(a).size = 712;
            assertDetects(a, "segments do not tile SPAN[0x0, 0x320): they end at 0x318");
        }

        @Test
        void adjacentFreeSegments_notCoalesced() {
            Arena a = arena();
            Tag lower = free(a);
            freeLists(a).remove(lower);
            lower.size = 320;
            freeLists(a).insert(lower);
            Tag upper = new Tag(Tag.FREE, 400, 400);
            SegmentList.insertAfter(upper, lower);
            freeLists(a).insert(upper);
            a.engine.tagSegments++;
            assertEquals(List.of("adjacent free segments not coalesced: FREE[0x50, 0x190) FREE[0x190, 0x320)"),
                    a.checkInvariants());
        }

        @Test
        void aSegmentBeforeEverySpan() {
            Arena a = arena();
            SegmentList.insertAfter(new Tag(Tag.FREE, 0, 8), list(a).sentinel);
            assertDetects(a, "segment FREE[0x0, 0x8) precedes every span");
        }

        @Test
        void anUnknownTagType() {
            Arena a = arena();
            allocated(a).type = 9;
            assertDetects(a, "unknown tag type 9");
        }
    }

    @Nested
    class TheSpans {
        @Test
        void aSpanOverlappingTheOneBefore() {
            Arena a = twoSpans();
            Tag second = free(a).next;
            second.base = 792;
            second.size = 408;
            assertDetects(a, "overlaps or precedes the span before it");
        }

        @Test
        void aSpanMissingFromTheIndex() {
            Arena a = twoSpans();
            Tag second = free(a).next;
            Tag copy = new Tag(second.type, second.base, second.size);
            SegmentList.insertAfter(copy, second);
            SegmentList.unlink(second);
            assertEquals(List.of("span SPAN[0x3e8, 0x4b0) missing from the span index"), a.checkInvariants());
        }

        @Test
        void aSpanWithNoSegments_beforeAnotherSpan() {
            Arena a = twoSpans();
            Tag first = marker(a);
            Tag second = free(a).next;
            Tag only = second.next;
            list(a).removeSpan(second);
            freeLists(a).remove(only);
            SegmentList.insertAfter(second, first); // the first span's segments now follow the second
            assertDetects(a, "span SPAN[0x0, 0x320) has no segments");
        }

        @Test
        void aSpanWithNoSegments_atTheEnd() {
            Arena a = twoSpans();
            Tag second = free(a).next;
            Tag only = second.next;
            SegmentList.unlink(only);
            freeLists(a).remove(only);
            a.engine.tagSegments--;
            assertDetects(a, "span SPAN[0x3e8, 0x4b0) has no segments");
        }

        @Test
        void aSpanIndexedButNotListed() {
            Arena a = twoSpans();
            Tag second = free(a).next;
            Tag only = second.next;
            SegmentList.unlink(only);
            SegmentList.unlink(second);
            freeLists(a).remove(only);
            a.engine.tagSegments--;
            assertDetects(a, "span index holds 2 spans, list holds 1");
        }

        @Test
        void aRotorHintAboveTheRotor() {
            Arena a = arena();
            a.engine.rotorHint = free(a);
            assertEquals(List.of("rotor hint FREE[0x50, 0x320) lies above rotor=0"), a.checkInvariants());
        }

        @Test
        void aRotorHintAtTheRotor_isSound() {
            Arena a = arena();
            a.engine.rotor = 80;
            a.engine.rotorHint = free(a); // base 80: "at or below the rotor"
            assertEquals(List.of(), a.checkInvariants());
        }

        @Test
        void aRotorHintOutsideTheList() {
            Arena a = arena();
            a.engine.rotorHint = new Tag(Tag.FREE, 0, 8);
            assertEquals(List.of("rotor hint FREE[0x0, 0x8) is not in the segment list"), a.checkInvariants());
        }
    }

    @Nested
    class TheFreelists {
        @Test
        void aBitmapBitForAnEmptyList() {
            Arena a = arena();
            freeLists(a).bitmap |= 1L << 3;
            assertEquals(List.of("freelist bitmap bit 3 is true but the list is empty"), a.checkInvariants());
        }

        @Test
        void aMissingBitmapBit() {
            Arena a = arena();
            freeLists(a).bitmap = 0;
            assertEquals(List.of("freelist bitmap bit 9 is false but the list is not empty"), a.checkInvariants());
        }

        @Test
        void aCycleInAFreelist_endsItsWalk() {
            Arena a = arena();
            Tag t = free(a);
            t.lnext = t;
            assertDetects(a, "freelist 9 holds more members than there are free segments");
        }

        @Test
        void aBrokenFreelistBackLink() {
            Arena a = arena();
            Tag t = free(a);
            t.lprev = t;
            assertDetects(a, "broken freelist back link at FREE[0x50, 0x320)");
        }

        @Test
        void aFreelistMemberThatIsNotInTheList() {
            Arena a = arena();
            freeLists(a).insert(new Tag(Tag.FREE, 2000, 8));
            assertDetects(a, "freelist 3 holds FREE[0x7d0, 0x7d8), which is not a free segment of the list");
            assertDetects(a, "freelists hold 2 segments, the list has 1 free");
        }

        @Test
        void anAllocatedSegmentOnAFreelist() {
            Arena a = arena();
            Tag t = allocated(a);
            FreeLists fl = freeLists(a);
            t.lnext = fl.heads[6];
            fl.heads[6] = t;
            fl.bitmap |= 1L << 6;
            assertDetects(a, "freelist 6 holds ALLOCATED[0x0, 0x50), which is not a free segment of the list");
        }

        @Test
        void aFreeSegmentOnTheWrongFreelist() {
            Arena a = arena();
            Tag t = free(a);
            FreeLists fl = freeLists(a);
            fl.remove(t);
            fl.heads[8] = t;
            fl.bitmap |= 1L << 8;
            assertEquals(List.of("free segment FREE[0x50, 0x320) is on freelist 8, not 9"), a.checkInvariants());
        }

        @Test
        void aFreeSegmentOnNoFreelist() {
            Arena a = arena();
            freeLists(a).remove(free(a));
            assertEquals(List.of("freelists hold 0 segments, the list has 1 free"), a.checkInvariants());
        }
    }

    @Nested
    class TheAllocationTable {
        @Test
        void anAllocationMissingFromTheTable() {
            Arena a = arena();
            table(a).remove(allocated(a));
            assertDetects(a, "allocated segment ALLOCATED[0x0, 0x50) missing from the allocation table");
            assertDetects(a, "allocation table holds 0 entries, the list has 1 allocated segments");
        }

        @Test
        void anEntryThatIsNotInTheList() {
            Arena a = arena();
            table(a).insert(new Tag(Tag.ALLOCATED, 2000, 8));
            assertDetects(a, "allocation table holds ALLOCATED[0x7d0, 0x7d8), which is not an allocated segment of the list");
            assertDetects(a, "allocation table holds 2 entries, the list has 1 allocated segments");
        }

        @Test
        void anEntryInTheWrongBucket() {
            Arena a = arena();
            Tag t = allocated(a);
            t.base = 8; // filed under 0; 0 and 8 hash to different buckets
            t.size = 72;
            assertDetects(a, "allocation table holds ALLOCATED[0x8, 0x50) in the wrong bucket");
        }

        @Test
        void inRightBucket_isTrueOnlyForTheBucketABaseHashesTo() {
            AllocationTable table = new AllocationTable(Q);
            Tag t = new Tag(Tag.ALLOCATED, 4096, Q);
            table.insert(t);
            int[] buckets = new int[1];
            table.forEach((bucket, tag) -> buckets[0] = bucket);
            assertTrue(table.inRightBucket(buckets[0], t));
            for (int b = 0; b < 16; b++) {
                assertEquals(b == buckets[0], table.inRightBucket(b, t), "bucket " + b);
            }
        }
    }

    @Nested
    class TheFigures {
        @Test
        void aWrongTotal() {
            Arena a = arena();
            a.engine.total += Q;
            assertEquals(List.of("total=808 but spans sum to 800"), a.checkInvariants());
        }

        @Test
        void aWrongImportedFigure() {
            Arena a = arena();
            a.engine.imported += Q;
            assertEquals(List.of("imported=8 but imported spans sum to 0"), a.checkInvariants());
        }

        @Test
        void aWrongAllocatedFigure() {
            Arena a = arena();
            a.engine.allocated -= Q;
            assertEquals(List.of("allocated=72 but allocated segments sum to 80"), a.checkInvariants());
        }

        @Test
        void aWrongSegmentCount() {
            Arena a = arena();
            a.engine.tagSegments++;
            assertEquals(List.of("segments=3 but the list holds 2"), a.checkInvariants());
        }

        @Test
        void anAllocationTheCountersDoNotKnow() {
            Arena a = arena();
            Tag f = free(a);
            freeLists(a).remove(f);
            Tag extra = new Tag(Tag.ALLOCATED, 80, 8);
            f.base = 88;
            f.size = 712;
            freeLists(a).insert(f);
            SegmentList.insertBefore(extra, f);
            table(a).insert(extra);
            a.engine.allocated += 8;
            a.engine.tagSegments++;
            assertEquals(List.of("counters: allocations=1 - frees=0 but 2 allocations are live"), a.checkInvariants());
        }

        @Test
        void anImportedSpanTheCountersDoNotKnow() {
            Arena a = arena();
            marker(a).type = Tag.IMPORTED_SPAN;
            a.engine.imported += 800;
            assertEquals(List.of("counters: imports=0 - releases=0 but 1 imported spans are held"), a.checkInvariants());
        }
    }

    @Nested
    class TheCaches {
        private Arena cached() {
            Arena a = Arena.builder("cached").quantum(1).qcacheMax(2).span(0, 1 << 16).build();
            assertEquals(0, a.alloc(1, Policy.INSTANT_FIT));
            assertEquals(List.of(), a.checkInvariants(), "sound before the damage");
            return a;
        }

        @Test
        void aRetiredSlabStillListed() {
            Arena a = cached();
            QuantumCache.Slab s = slabTable(a).get(0);
            SlabIndex.set(s.leaf.words, s.slot, QuantumCache.RETIRED);
            assertEquals(List.of("cache slab at 0 is retired but still listed"), a.checkInvariants());
        }

        @Test
        void aSlabMissingFromTheSlabTable() {
            Arena a = cached();
            slabTable(a).remove(slabTable(a).get(0));
            assertDetects(a, "cache slab at 0 is missing from the slab table");
            assertDetects(a, "caches list 1 slabs, the slab table 0, made-retired 1");
        }

        @Test
        void aSlabMissingFromTheSlabTable_afterSlabsWereGivenBack() {
            Arena a = cached();
            a.free(0);
            a.reapCaches(); // one slab made, one given back
            assertEquals(0, a.alloc(1, Policy.INSTANT_FIT)); // a second slab
            slabTable(a).remove(slabTable(a).get(0));
            assertDetects(a, "caches list 1 slabs, the slab table 0, made-retired 1");
        }

        @Test
        void aListedSlabThatIsNoAllocation() {
            Arena a = cached();
            QuantumCache.Slab s = slabTable(a).get(0);
            s.cache.slabs().add(new QuantumCache.Slab(s.cache, 1000, new SlabIndex.Leaf(0), 0));
            assertDetects(a, "cache slab [1000, 1063) is not a live allocation");
            assertDetects(a, "cache slab at 1000 is not aligned to 64");
            assertDetects(a, "caches list 2 slabs, the slab table 1, made-retired 1");
        }

        @Test
        void aListedSlabThatIsNoAllocation_inTheCacheOfPairs() {
            Arena a = cached();
            long pair = a.alloc(2, Policy.INSTANT_FIT);
            QuantumCache pairs = slabTable(a).get(pair & -128).cache;
            pairs.slabs().add(new QuantumCache.Slab(pairs, 2000, new SlabIndex.Leaf(0), 0));
            assertDetects(a, "cache slab [2000, 2126) is not a live allocation");
            assertDetects(a, "cache slab at 2000 is not aligned to 128");
        }

        @Test
        void aWordInTheIndexWithNoSlab() {
            Arena a = cached();
            QuantumCache.Slab s = slabTable(a).get(0);
            SlabIndex.set(s.leaf.words, 5, 0);
            assertEquals(List.of("cache of 1: index leaf 0 word 5 is in use (0) with no slab"), a.checkInvariants());
        }

        @Test
        void aSlabMissingFromItsCachesIndex() {
            Arena a = cached();
            QuantumCache.Slab s = slabTable(a).get(0);
            s.leaf.slabs[s.slot] = null;
            assertDetects(a, "cache slab at 0 is missing from its cache's index");
            assertDetects(a, "cache of 1: index leaf 0 counts 1 slabs and holds 0");
            assertDetects(a, "cache of 1: the index holds 0 slabs, the cache 1");
            assertDetects(a, "cache of 1: index leaf 0 word 0 is in use (1) with no slab");
        }

        @Test
        void aLeafMissingFromTheIndexWindow_orOneInTheWrongPlace() {
            Arena a = cached();
            QuantumCache.Slab s = slabTable(a).get(0);
            SlabIndex.Window w = s.cache.index.window;
            w.leaves.set(0, null);
            assertEquals(List.of("cache of 1: index window holds 0 leaves of the 1 in its range"), a.checkInvariants());
            w.leaves.set(1, s.leaf);
            assertDetects(a, "cache of 1: index window place 1 holds leaf 0");
            w.leaves.set(1, new SlabIndex.Leaf(1));
            assertDetects(a, "cache of 1: index window place 1 holds leaf 1, which is not in the index");
        }

        @Test
        void aSlabInTheWrongWordOfTheIndex() {
            Arena a = cached();
            QuantumCache.Slab s = slabTable(a).get(0);
            s.leaf.slabs[7] = s;
            SlabIndex.set(s.leaf.words, 7, 0);
            assertDetects(a, "cache of 1: index leaf 0 word 7 is another slab's (0)");
            assertDetects(a, "cache of 1: index leaf 0 counts 1 slabs and holds 2");
        }

        @Test
        void aSlabWhoseSegmentHasAnotherSize() {
            Arena a = cached();
            Tag t = table(a).find(0);
            t.size = 56; // the slab is 63 blocks; its segment now says 56, and 7 values go missing
            t.next.base = 56;
            t.next.size += 7;
            assertDetects(a, "cache slab [0, 63) is a live allocation of size 56");
        }
    }
}

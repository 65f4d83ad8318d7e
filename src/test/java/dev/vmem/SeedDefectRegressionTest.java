package dev.vmem;

import static dev.vmem.testing.Segments.allocated;
import static dev.vmem.testing.Segments.free;
import static dev.vmem.testing.Segments.importedSpan;
import static dev.vmem.testing.Segments.span;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.testing.Dumps;
import dev.vmem.testing.Range;
import dev.vmem.testing.RecordingSource;
import dev.vmem.testing.Stats;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One test per defect that DESIGN.md section 3 lists for the seed crate ({@code vmem-lib.rs}): each
 * sets up the scenario that triggers the seed's bug and asserts that our arena does the right thing.
 */
class SeedDefectRegressionTest {

    private static final long Q = 8;

    private static Arena arena(long base, long size) {
        return Arena.builder("regression").quantum(Q).span(base, size).build();
    }

    /** xalloc with alignment, phase, nocross and bounds, from the arena and through an import. */
    @Nested
    class Xalloc {

        // Seed defect: with a phase, the aligned branch adds the phase without re-checking the segment's
        // end, so xalloc hands the same block out twice.
        @ParameterizedTest
        @EnumSource(Policy.class)
        void xallocWithPhase_untilExhausted_neverHandsOutABlockTwice(Policy policy) {
            Arena arena = arena(0, 0x100);
            Constraints c = Constraints.builder(0x10).align(0x20).phase(0x8).build();
            List<Long> bases = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                long base = arena.tryXalloc(c, policy);
                if (base == Arena.NONE) {
                    break;
                }
                bases.add(base);
            }
            Collections.sort(bases);
            List<Long> expected = new ArrayList<>();
            for (long b = 0x08; b + 0x10 <= 0x100; b += 0x20) {
                expected.add(b);
            }
            assertEquals(expected, bases, "every start = 8 mod 0x20 that fits in [0, 0x100), each once");
            assertEquals(8 * 0x10, arena.stats().allocated());
            assertEquals(8, arena.stats().liveAllocations());
            Invariants.assertSound(arena);
        }

        // Seed defect: the phased start can run past the end of the segment it was carved from.
        @ParameterizedTest
        @EnumSource(Policy.class)
        void xallocWithPhase_segmentTooShortAfterPhase_isSkippedNotOverrun(Policy policy) {
            Arena arena = arena(0, 0x20);
            arena.addSpan(0x100, 0x40);
            Constraints c = Constraints.builder(0x10).align(0x20).phase(0x18).build();

            // [0x18, 0x28) would run past the first span's end at 0x20.
            assertEquals(0x118, arena.xalloc(c, policy));

            // In [0x128, 0x140) the next phased start is 0x138, whose block would end at 0x148.
            String before = arena.dump();
            assertThrows(ArenaExhaustedException.class, () -> arena.xalloc(c, policy));
            assertEquals(before, arena.dump());
            assertEquals(0x10, arena.stats().allocated());
            Invariants.assertSound(arena);
        }

        // Seed defect: xalloc subtracts the alignment offset twice, losing free space.
        @ParameterizedTest
        @EnumSource(Policy.class)
        void xallocWithNonZeroOffset_keepsBothFragmentsFree(Policy policy) {
            Arena arena = arena(0x1010, 0x100);

            assertEquals(0x1040, arena.xalloc(Constraints.builder(0x10).align(0x40).build(), policy));

            assertEquals(List.of(span(0x1010, 0x100), free(0x1010, 0x30), allocated(0x1040, 0x10),
                    free(0x1050, 0xc0)), arena.segments());
            assertEquals(0xf0, arena.stats().free());
            // Everything that is free can be allocated.
            assertEquals(0x1050, arena.alloc(0xc0, Policy.BEST_FIT));
            assertEquals(0x1010, arena.alloc(0x30, Policy.BEST_FIT));
            assertEquals(0, arena.stats().free());
            Invariants.assertSound(arena);
        }

        // Seed defect: when the alignment offset is 0, xalloc removes the segment from its freelist twice,
        // which drops the whole freelist.
        @ParameterizedTest
        @EnumSource(Policy.class)
        void xallocWithZeroOffset_keepsTheOtherSegmentsOfItsFreelist(Policy policy) {
            Arena arena = arena(0x1000, 0x100);
            arena.addSpan(0x2000, 0x100);
            arena.addSpan(0x3000, 0x100);

            long base = arena.xalloc(Constraints.builder(0x10).align(0x100).build(), policy);
            assertEquals(0, base % 0x100);
            assertTrue(base == 0x1000 || base == 0x2000 || base == 0x3000, "base=" + base);
            assertEquals(0x2f0, arena.stats().free());

            // The two untouched spans and the rest of the third are all still allocatable.
            long a = arena.alloc(0x100, Policy.INSTANT_FIT);
            long b = arena.alloc(0x100, Policy.INSTANT_FIT);
            long rest = arena.alloc(0xf0, Policy.INSTANT_FIT);
            assertEquals(Set.of(0x1000L, 0x2000L, 0x3000L), Set.of(a, b, base));
            assertEquals(base + 0x10, rest);
            assertEquals(0, arena.stats().free());
            Invariants.assertSound(arena);
        }

        // Seed defect: xalloc searches only one freelist and reports "empty" while a segment in a larger
        // freelist would fit.
        @ParameterizedTest
        @EnumSource(Policy.class)
        void xalloc_smallerFreelistsCannotHoldTheBlock_findsItInALargerFreelist(Policy policy) {
            Arena arena = arena(0x1010, 0x20); // size class 5: no 0x100-aligned start inside
            arena.addSpan(0x1108, 0x80);       // size class 7: no 0x100-aligned start inside
            arena.addSpan(0x2000, 0x1000);     // size class 12: fits at its base

            assertEquals(0x2000, arena.xalloc(Constraints.builder(0x10).align(0x100).build(), policy));
            assertEquals(0x10, arena.stats().allocated());
            Invariants.assertSound(arena);
        }

        static Stream<Arguments> rangesOnlyAnImportCanReach() {
            List<Arguments> cases = new ArrayList<>();
            for (Policy policy : Policy.values()) {
                // min is not on the source's 0x1000 grain: the span [0x1000, 0x2000) holds [0x1008, 0x1010).
                cases.add(Arguments.of(policy, 0x1000L, 0x1000L, 0x1000L, Constraints.builder(8).min(0x1008).build()));
                // max is not on the source's grain: the span [0x1000, 0x2000) holds [0x1000, 0x1008).
                cases.add(Arguments.of(policy, 0x1000L, 0x1000L, 0x1000L, Constraints.builder(8).max(0x1ff8).build()));
                // the phase is finer than the source's 0x100 grain and the window is one grain: span [0, 0x100).
                cases.add(Arguments.of(policy, 0x100L, 0L, 0x1000L,
                        Constraints.builder(0x10).align(0x100).phase(0x80).max(0x100).build()));
                // the phase is finer than the grain, with nocross: span [0x200, 0x400) holds [0x2e0, 0x320).
                cases.add(Arguments.of(policy, 0x100L, 0x100L, 0xff00L,
                        Constraints.builder(0x40).align(0x100).phase(0xe0).nocross(0x200).build()));
            }
            return cases.stream();
        }

        // Seed defect: xalloc reports "empty" while a fitting range exists (the seed misses it in larger
        // freelists). Here the range is in the source, and the import must reach it even when the source's
        // quantum is coarser than the request's bounds or phase.
        @ParameterizedTest(name = "{0}: {4} from a source of quantum {1}")
        @MethodSource("rangesOnlyAnImportCanReach")
        void xallocWithImport_sourceHasAFittingRange_importsASpanThatHoldsTheBlock(Policy policy, long rootQuantum,
                long rootBase, long rootSize, Constraints c) {
            Arena root = Arena.builder("coarse-root").quantum(rootQuantum).span(rootBase, rootSize).build();
            Arena child = Arena.builder("fine-child").quantum(Q).source(root).build();

            long base = child.tryXalloc(c, policy);

            assertNotEquals(Arena.NONE, base, c + " under " + policy + " failed although the source holds a fitting range\n"
                    + Dumps.of(root, child));
            assertTrue(c.admits(base), "base=" + base + " for " + c);
            assertEquals(0, base % Q);
            assertTrue(child.stats().imported() > 0);
            Invariants.assertSound(child, root);
        }

        // Seed defect: max only checks the block's start, so a block may run past max.
        @ParameterizedTest
        @EnumSource(Policy.class)
        void xallocWithMax_blockWouldEndPastMax_isNotPlacedThere(Policy policy) {
            Arena arena = arena(0, 0x1000);
            assertEquals(0, arena.alloc(0xe0, Policy.INSTANT_FIT));

            // The only free segment starts at 0xe0; a 0x40 block there would end at 0x120 > max.
            Constraints tooBig = Constraints.builder(0x40).max(0x100).build();
            String before = arena.dump();
            assertThrows(ArenaExhaustedException.class, () -> arena.xalloc(tooBig, policy));
            assertEquals(before, arena.dump());

            // A block ending exactly at max (exclusive) is fine.
            long base = arena.xalloc(Constraints.builder(0x20).max(0x100).build(), policy);
            assertEquals(0xe0, base);
            assertTrue(base + 0x20 <= 0x100);
            Invariants.assertSound(arena);
        }

        // Seed defect: min only checks the block's start, so a free segment straddling min is skipped
        // instead of being used from min on.
        @ParameterizedTest
        @EnumSource(Policy.class)
        void xallocWithMin_freeSegmentStraddlesMin_isUsedFromMinOn(Policy policy) {
            Arena arena = arena(0, 0x1000);
            assertEquals(0, arena.alloc(0x80, Policy.INSTANT_FIT));

            long base = arena.xalloc(Constraints.builder(0x10).min(0x100).build(), policy);

            assertEquals(0x100, base);
            assertEquals(List.of(span(0, 0x1000), allocated(0, 0x80), free(0x80, 0x80), allocated(0x100, 0x10),
                    free(0x110, 0xef0)), arena.segments());
            Invariants.assertSound(arena);
        }

        // Seed defect: the nocross check is off by one; a block ending exactly at a boundary does not cross it.
        @ParameterizedTest
        @EnumSource(Policy.class)
        void xallocWithNocross_blockEndingExactlyAtBoundary_isPlacedThere(Policy policy) {
            Arena arena = arena(0, 0x1000);
            assertEquals(0, arena.alloc(0xc0, Policy.INSTANT_FIT));

            assertEquals(0xc0, arena.xalloc(Constraints.builder(0x40).nocross(0x100).build(), policy));
            Invariants.assertSound(arena);
        }

        // Seed defect: the nocross check is off by one; a block that would straddle the boundary by one
        // quantum must be moved past it.
        @ParameterizedTest
        @EnumSource(Policy.class)
        void xallocWithNocross_blockCrossingBoundary_isMovedToTheBoundary(Policy policy) {
            Arena arena = arena(0, 0x1000);
            assertEquals(0, arena.alloc(0xc8, Policy.INSTANT_FIT));

            long base = arena.xalloc(Constraints.builder(0x40).nocross(0x100).build(), policy);

            assertEquals(0x100, base, "[0xc8, 0x108) would cross 0x100");
            assertEquals(List.of(span(0, 0x1000), allocated(0, 0xc8), free(0xc8, 0x38), allocated(0x100, 0x40),
                    free(0x140, 0xec0)), arena.segments());
            Invariants.assertSound(arena);
        }

        // Seed defect: moving a block to avoid a nocross crossing drops its alignment and phase.
        @ParameterizedTest
        @EnumSource(Policy.class)
        void xallocWithNocross_movedBlock_keepsAlignmentAndPhase(Policy policy) {
            Arena arena = arena(0, 0x1000);
            assertEquals(0, arena.alloc(0xc0, Policy.INSTANT_FIT));
            Constraints c = Constraints.builder(0x40).align(0x20).phase(0x8).nocross(0x100).build();

            long base = arena.xalloc(c, policy);

            // 0xc8 is the first start = 8 mod 0x20, but [0xc8, 0x108) crosses 0x100; the next start with
            // that phase past the boundary is 0x108.
            assertEquals(0x108, base);
            assertEquals(0x8, base % 0x20);
            assertTrue(c.admits(base));
            Invariants.assertSound(arena);
        }
    }

    /** NEXT_FIT: the rotor moves forward, wraps, and loses no fragment. */
    @Nested
    class NextFit {

        // Seed defect: NEXT_FIT reuses a just-freed value because the cursor moves backwards when the freed
        // block coalesces with its free neighbours.
        @Test
        void nextFit_allocThenFreeRepeatedly_neverReusesAValueBeforeWrapping() {
            Arena arena = arena(0x1000, 0x1000);
            for (int i = 0; i < 0x100; i++) {
                long base = arena.alloc(0x10, Policy.NEXT_FIT);
                assertEquals(0x1000 + i * 0x10L, base, "allocation " + i);
                arena.free(base); // coalesces with the free space on both sides
                assertEquals(2, arena.segments().size(), "one span, one free segment after free " + i);
            }
            assertEquals(0x2000, arena.nextFitCursor());
            // Only once the rotor has come round is the lowest value handed out again.
            assertEquals(0x1000, arena.alloc(0x10, Policy.NEXT_FIT));
            Invariants.assertSound(arena);
        }

        // Seed defect: NEXT_FIT leaks the fragment before the cursor (it is split off and left on no freelist).
        @Test
        void nextFit_afterFreeingTheLastAllocation_fragmentBeforeTheCursorStaysFree() {
            Arena arena = arena(0x1000, 0x100);
            long a = arena.alloc(0x10, Policy.NEXT_FIT);
            arena.free(a);
            long b = arena.alloc(0x10, Policy.NEXT_FIT);
            assertEquals(0x1010, b);
            assertEquals(List.of(span(0x1000, 0x100), free(0x1000, 0x10), allocated(0x1010, 0x10),
                    free(0x1020, 0xe0)), arena.segments());
            assertEquals(0xf0, arena.stats().free());

            arena.free(b);
            assertEquals(List.of(span(0x1000, 0x100), free(0x1000, 0x100)), arena.segments());
            assertEquals(0x1000, arena.alloc(0x100, Policy.INSTANT_FIT), "the whole span is allocatable");
            Invariants.assertSound(arena);
        }

        // Seed defect: at the end of the list NEXT_FIT falls back to instant fit instead of wrapping round
        // to the lowest address.
        @Test
        void nextFit_atTheEndOfTheList_wrapsToTheLowestFreeAddress() {
            Arena arena = arena(0x1000, 0x100);
            for (int i = 0; i < 0x10; i++) {
                assertEquals(0x1000 + i * 0x10L, arena.alloc(0x10, Policy.NEXT_FIT));
            }
            // Freed in this order, instant fit would take 0x1080 (head of the freelist) first.
            arena.free(0x1020);
            arena.free(0x1080);

            assertEquals(0x1020, arena.alloc(0x10, Policy.NEXT_FIT));
            assertEquals(0x1080, arena.alloc(0x10, Policy.NEXT_FIT));
            assertEquals(Arena.NONE, arena.tryAlloc(0x10, Policy.NEXT_FIT));
            Invariants.assertSound(arena);
        }
    }

    /** free: coalescing with both neighbours, and giving imported spans back whole. */
    @Nested
    class FreeAndCoalescing {

        // Seed defect: free never merges with both neighbours at once (after merging with the previous
        // segment it tests adjacency from the freed block's own base), so three adjacent blocks freed with
        // the middle last leave two free segments and a request for all three fails.
        @ParameterizedTest
        @CsvSource({"0, 2, 1", "2, 0, 1"})
        void free_threeAdjacentBlocksMiddleLast_coalescesIntoOne(int first, int second, int third) {
            Arena arena = arena(0x1000, 0x30);
            long[] blocks = new long[3];
            for (int i = 0; i < 3; i++) {
                blocks[i] = arena.alloc(0x10, Policy.INSTANT_FIT);
            }
            assertEquals(0, arena.stats().free());

            arena.free(blocks[first]);
            arena.free(blocks[second]);
            arena.free(blocks[third]);

            assertEquals(List.of(span(0x1000, 0x30), free(0x1000, 0x30)), arena.segments());
            assertEquals(0x1000, arena.alloc(0x30, Policy.INSTANT_FIT));
            Invariants.assertSound(arena);
        }

        // Seed defect: under churn the missed merges pile up into thousands of uncoalesced pairs and the
        // used range creeps upwards.
        @ParameterizedTest
        @EnumSource(Policy.class)
        void free_underSeededChurn_leavesNoUncoalescedPairs(Policy policy) {
            long seed = 0xC0A1E5CEL + policy.ordinal();
            Random rnd = new Random(seed);
            long spanSize = 1 << 20;
            Arena arena = arena(0, spanSize);
            List<Long> live = new ArrayList<>();
            for (int op = 0; op < 50_000; op++) {
                if (!live.isEmpty() && (live.size() > 400 || rnd.nextInt(100) < 48)) {
                    int i = rnd.nextInt(live.size());
                    long base = live.get(i);
                    live.set(i, live.get(live.size() - 1));
                    live.remove(live.size() - 1);
                    arena.free(base);
                } else {
                    live.add(arena.alloc(Q * (1 + rnd.nextInt(32)), policy));
                }
                if (op % 5_000 == 0) {
                    assertEquals(List.of(), arena.checkInvariants(), "seed=" + seed + " op=" + op);
                    assertTrue(arena.stats().segments() <= 2L * live.size() + 1,
                            "seed=" + seed + " op=" + op + ": free segments must be separated by allocated ones");
                }
            }
            for (long base : live) {
                arena.free(base);
            }
            assertEquals(List.of(span(0, spanSize), free(0, spanSize)), arena.segments(), "seed=" + seed);
            assertEquals(0, arena.alloc(spanSize, Policy.INSTANT_FIT), "seed=" + seed);
            Invariants.assertSound(arena);
        }

        // Seed defect: free reads a boundary tag after freeing it (when the freed block coalesces and its
        // span is given back, the release reads the discarded tag).
        @Test
        void free_lastBlockCoalescesBothWaysInImportedSpan_givesTheWholeSpanBack() {
            Arena root = arena(0x10000, 0x10000);
            RecordingSource source = RecordingSource.over(root.asSource());
            Arena child = Arena.builder("child").quantum(Q).source(source).importQuantum(0x100).build();

            long a = child.alloc(0x10, Policy.INSTANT_FIT);
            long b = child.alloc(0x10, Policy.INSTANT_FIT);
            long c = child.alloc(0x10, Policy.INSTANT_FIT);
            assertEquals(1, source.imports().size());
            long spanBase = source.imports().get(0).base();
            assertEquals(new Range(spanBase, 0x100), source.imports().get(0));
            assertEquals(List.of(spanBase, spanBase + 0x10, spanBase + 0x20), List.of(a, b, c));

            child.free(a);
            child.free(c);
            assertEquals(List.of(), source.releases());
            assertEquals(List.of(importedSpan(spanBase, 0x100), free(spanBase, 0x10), allocated(b, 0x10),
                    free(spanBase + 0x20, 0xe0)), child.segments());
            child.free(b); // merges with free space on both sides; the span is then wholly free

            assertEquals(List.of(new Range(spanBase, 0x100)), source.releases());
            assertEquals(List.of(), child.segments());
            ArenaStats stats = child.stats();
            assertEquals(0, stats.total());
            assertEquals(0, stats.imported());
            assertEquals(0, stats.segments());
            assertEquals(1, stats.releases());
            assertEquals(0, root.stats().allocated());
            Invariants.assertSound(child, root);
        }

        // Seed defect: free passes the wrong size when it releases an imported span.
        @Test
        void free_releasingImportedSpans_passesEachSpansBaseAndSize() {
            Arena root = arena(0x10000, 0x10000);
            RecordingSource source = RecordingSource.over(root.asSource());
            Arena child = Arena.builder("child").quantum(Q).source(source).importQuantum(0x400).build();

            long small = child.alloc(0x10, Policy.INSTANT_FIT);   // imports the import quantum, 0x400
            long large = child.alloc(0x800, Policy.INSTANT_FIT);  // imports exactly 0x800
            long aligned = child.xalloc(Constraints.builder(0x400).align(0x1000).build(), Policy.INSTANT_FIT);
            assertEquals(3, source.imports().size());
            assertEquals(0x400 + 0x800 + 0x400, child.stats().imported());
            assertEquals(0x400 + 0x800 + 0x400, root.stats().allocated());

            child.free(large);
            child.free(small);
            child.free(aligned, 0x400);

            List<Range> expected = new ArrayList<>(List.of(source.imports().get(1), source.imports().get(0),
                    source.imports().get(2)));
            assertEquals(expected, source.releases(), "each span is released with the base and size it was imported with");
            assertEquals(0x800, source.releases().get(0).size());
            assertEquals(0x400, source.releases().get(1).size());
            assertEquals(0, child.stats().imported());
            assertEquals(0, root.stats().allocated());
            assertEquals(List.of(span(0x10000, 0x10000), free(0x10000, 0x10000)), root.segments());
            Invariants.assertSound(child, root);
        }
    }

    /** Bad input is rejected, and a failed operation leaves the arena as it was. */
    @Nested
    class InputChecksAndFailureAtomicity {

        // Seed defect: zero-size xalloc succeeds.
        @Test
        void zeroSizeRequest_isRejected() {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new Constraints(0, 1, 0, 0, 0, Constraints.NO_MAX));
            assertTrue(e.getMessage().contains("size=0"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Constraints.of(0));
            assertThrows(IllegalArgumentException.class, () -> Constraints.builder(0).align(16).build());

            Arena arena = arena(0, 0x100);
            String before = arena.dump();
            for (Policy policy : Policy.values()) {
                assertThrows(IllegalArgumentException.class, () -> arena.alloc(0, policy));
            }
            assertEquals(before, arena.dump());
            assertEquals(0, arena.stats().allocations());
            Invariants.assertSound(arena);
        }

        // Seed defect: overlapping spans are accepted.
        @Test
        void addSpan_overlappingAnExistingSpan_isRejected() {
            Arena arena = arena(0x1000, 0x1000);
            String before = arena.dump();

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> arena.addSpan(0x1800, 0x1000));
            assertTrue(e.getMessage().contains("[6144, 10240)"), e.getMessage());
            assertEquals(before, arena.dump());
            assertEquals(0x1000, arena.stats().total());
            assertEquals(1, arena.stats().spans());

            assertThrows(IllegalArgumentException.class,
                    () -> Arena.builder("twice").quantum(Q).span(0, 0x100).span(0x80, 0x100).build());
            Invariants.assertSound(arena);
        }

        // Seed defect: a failed split leaves a shortened segment behind (a failed operation changes the arena).
        @ParameterizedTest
        @EnumSource(Policy.class)
        void failedAllocation_leavesTheArenaExactlyAsItWas(Policy policy) {
            Arena arena = arena(0x1000, 0x1000);
            arena.addSpan(0x4000, 0x100);
            assertEquals(0x4000, arena.alloc(0x100, Policy.BEST_FIT));
            assertEquals(0x1000, arena.alloc(0x100, Policy.BEST_FIT));
            arena.free(0x4000);
            assertEquals(0x1100, arena.alloc(0x10, Policy.NEXT_FIT));
            // Free now: [0x1110, 0x2000) and [0x4000, 0x4100).

            List<Constraints> impossible = List.of(
                    Constraints.of(0x1000),
                    Constraints.builder(0x10).align(0x10000).build(),
                    Constraints.builder(0x80).nocross(0x80).min(0x1100).max(0x11f8).build(),
                    Constraints.builder(0x10).min(0x2000).max(0x4000).build(),
                    Constraints.builder(0x80).align(0x100).phase(0x90).min(0x4000).build());
            for (Constraints c : impossible) {
                String dump = arena.dump();
                ArenaStats stats = arena.stats();
                assertEquals(Arena.NONE, arena.tryXalloc(c, policy), c.toString());
                assertEquals(dump, arena.dump(), c.toString());
                assertEquals(Stats.withOneMoreFailure(stats), arena.stats(), c.toString());
            }
            Invariants.assertSound(arena);
        }

        // Seed defect: a failed split leaves a shortened segment behind (a failed operation changes the
        // arena). A request that no range can hold may import a span to look in and give it back; the
        // failure count must then be the only trace left in the arena.
        @ParameterizedTest
        @EnumSource(Policy.class)
        void failedAllocation_afterAFutileImport_changesOnlyTheFailureCount(Policy policy) {
            // The source's 0x100 grain cannot express phase 0xe0, so the arena imports a padded span and looks
            // inside. Only [0x100, 0x300) exists: 0x1e0 crosses 0x200 and 0x2e0 runs past 0x300.
            Arena root = Arena.builder("coarse-root").quantum(0x100).span(0x100, 0x200).build();
            Arena child = Arena.builder("fine-child").quantum(Q).source(root).build();
            Constraints c = Constraints.builder(0x40).align(0x100).phase(0xe0).nocross(0x200).build();
            String dump = child.dump();
            String rootDump = root.dump();
            ArenaStats stats = child.stats();

            assertEquals(Arena.NONE, child.tryXalloc(c, policy));

            assertEquals(dump, child.dump());
            assertEquals(rootDump, root.dump());
            assertEquals(Stats.withOneMoreFailure(stats), child.stats(),
                    "a failed allocation may only add one to failures (Arena's strong exception guarantee)");
            Invariants.assertSound(child, root);
        }

        // Seed defect: a failed split leaves a shortened segment behind; here the failure comes from the
        // source (an import refused, a span handed back misplaced, a release refused).
        @Test
        void failedImportOrRelease_leavesTheArenaExactlyAsItWas() {
            Arena root = arena(0x10000, 0x10000);
            RecordingSource source = RecordingSource.over(root.asSource());
            Arena child = Arena.builder("child").quantum(Q).source(source).importQuantum(0x100).build();
            long a = child.alloc(0x10, Policy.INSTANT_FIT);

            // Import refused.
            source.refuseImports(true);
            String dump = child.dump();
            ArenaStats stats = child.stats();
            assertThrows(ArenaExhaustedException.class, () -> child.alloc(0x200, Policy.INSTANT_FIT));
            assertEquals(dump, child.dump());
            assertEquals(Stats.withOneMoreFailure(stats), child.stats());
            source.refuseImports(false);

            // Release refused: the free fails as a whole, and succeeds once the source takes the span back.
            source.failReleasesWith(() -> new IllegalStateException("release refused by test"));
            dump = child.dump();
            stats = child.stats();
            String rootDump = root.dump();
            assertThrows(IllegalStateException.class, () -> child.free(a));
            assertEquals(dump, child.dump());
            assertEquals(stats, child.stats());
            assertEquals(rootDump, root.dump());
            source.failReleasesWith(null);
            child.free(a);
            assertEquals(0, child.stats().total());
            assertEquals(0, root.stats().allocated());

            // A source that hands back a misaligned base: the span is given back and nothing changes.
            RecordingSource broken = RecordingSource.scripted(1, r -> 0x10003); // always the same, misaligned base
            Arena victim = Arena.builder("victim").quantum(Q).source(broken).build();
            dump = victim.dump();
            stats = victim.stats();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> victim.alloc(0x10, Policy.INSTANT_FIT));
            assertTrue(e.getMessage().contains("base=65539"), e.getMessage());
            assertEquals(dump, victim.dump());
            assertEquals(stats, victim.stats());
            assertEquals(List.of(new Range(0x10003, 0x10)), broken.releases(), "the bad span is given back");
            Invariants.assertSound(child, root, victim);
        }
    }

    /** The allocation table spreads its keys, and the space figures stay exact. */
    @Nested
    class AllocationTableAndFigures {

        // Seed defect: the allocation table has 64 fixed buckets, and with quantum >= 64 every base lands in
        // one bucket.
        @Test
        void allocationTable_quantum4096_tenThousandAllocationsFreedInSeededRandomOrder() {
            long seed = 4096_10_000L;
            long page = 4096;
            int n = 10_000;
            // The table is what is tested: the span stays in boundary-tag form (a dense span needs no table).
            Arena arena = Arena.builder("pages").quantum(page).span(0, page * n).build();
            arena.engine.forms.use(DenseRule.NEVER);
            List<Long> bases = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                bases.add(arena.alloc(page, Policy.INSTANT_FIT));
            }
            assertEquals(n, new HashSet<>(bases).size());
            assertEquals(0, arena.stats().free());

            Set<Integer> buckets = new HashSet<>();
            arena.engine.table.forEach((bucket, tag) -> buckets.add(bucket));
            assertTrue(buckets.size() > n / 2, "bases that are multiples of 4096 spread over "
                    + buckets.size() + " buckets only");

            Random rnd = new Random(seed);
            Collections.shuffle(bases, rnd);
            for (int i = 0; i < n; i++) {
                long base = bases.get(i);
                arena.free(base, page);
                if (i % 1000 == 0) {
                    assertThrows(InvalidFreeException.class, () -> arena.free(base), "seed=" + seed + " i=" + i);
                    assertEquals(List.of(), arena.checkInvariants(), "seed=" + seed + " i=" + i);
                    assertEquals(n - i - 1, arena.stats().liveAllocations(), "seed=" + seed + " i=" + i);
                }
            }
            assertEquals(List.of(span(0, page * n), free(0, page * n)), arena.segments(), "seed=" + seed);
            assertEquals(n, arena.stats().frees());
            Invariants.assertSound(arena);
        }

        // Seed defect: space figures walk the whole list; ours are running totals, which must stay exactly
        // right through many mixed operations, imports and releases included.
        @Test
        void spaceFigures_afterManySeededOperations_matchAReferenceModel() {
            long seed = 0xF16_5EEDL;
            Random rnd = new Random(seed);
            Arena root = arena(0, 1L << 24);
            RecordingSource source = RecordingSource.over(root.asSource());
            long ownBase = 1L << 30;
            long ownSize = 0x4000;
            Arena arena = Arena.builder("model").quantum(Q).source(source).importQuantum(0x1000)
                    .span(ownBase, ownSize).build();

            TreeMap<Long, Long> live = new TreeMap<>(); // base -> rounded size
            Map<Long, Long> requested = new TreeMap<>(); // base -> size as requested
            List<Long> liveBases = new ArrayList<>();
            long allocated = 0;
            long allocations = 0;
            long frees = 0;
            long failures = 0;
            Policy[] policies = Policy.values();
            for (int op = 0; op < 20_000; op++) {
                String where = "seed=" + seed + " op=" + op;
                if (!liveBases.isEmpty() && (liveBases.size() > 300 || rnd.nextInt(100) < 45)) {
                    int i = rnd.nextInt(liveBases.size());
                    long base = liveBases.get(i);
                    liveBases.set(i, liveBases.get(liveBases.size() - 1));
                    liveBases.remove(liveBases.size() - 1);
                    if (rnd.nextBoolean()) {
                        arena.free(base);
                    } else {
                        arena.free(base, requested.get(base));
                    }
                    allocated -= live.remove(base);
                    requested.remove(base);
                    frees++;
                } else {
                    Constraints c = randomConstraints(rnd);
                    Policy policy = policies[rnd.nextInt(policies.length)];
                    long base = arena.tryXalloc(c, policy);
                    if (base == Arena.NONE) {
                        failures++;
                    } else {
                        long size = (c.size() + Q - 1) & -Q;
                        assertTrue(c.admits(base) && base % Q == 0 && base + size <= c.max()
                                && (c.nocross() == 0 || !Fit.crosses(base, size, c.nocross())),
                                where + ": base=" + base + " does not satisfy " + c);
                        Map.Entry<Long, Long> below = live.floorEntry(base);
                        Map.Entry<Long, Long> above = live.ceilingEntry(base);
                        assertTrue(below == null || below.getKey() + below.getValue() <= base, where + ": overlap below");
                        assertTrue(above == null || above.getKey() >= base + size, where + ": overlap above");
                        live.put(base, size);
                        requested.put(base, c.size());
                        liveBases.add(base);
                        allocated += size;
                        allocations++;
                    }
                }

                ArenaStats s = arena.stats();
                assertEquals(ownSize + source.outstanding(), s.total(), where);
                assertEquals(allocated, s.allocated(), where);
                assertEquals(s.total() - allocated, s.free(), where);
                assertEquals(source.outstanding(), s.imported(), where);
                assertEquals(live.size(), s.liveAllocations(), where);
                assertEquals(allocations, s.allocations(), where);
                assertEquals(frees, s.frees(), where);
                assertEquals(failures, s.failures(), where);
                assertEquals(source.imports().size(), s.imports(), where);
                assertEquals(source.releases().size(), s.releases(), where);
                assertEquals(source.outstanding(), root.stats().allocated(), where);
                if (op % 500 == 0) {
                    List<Segment> walk = arena.segments();
                    assertEquals(walk.stream().filter(x -> x.kind().isSpan()).count(), s.spans(), where);
                    assertEquals(walk.stream().filter(x -> !x.kind().isSpan()).count(), s.segments(), where);
                    assertEquals(List.of(), arena.checkInvariants(), where);
                }
            }
            for (long base : liveBases) {
                arena.free(base);
            }
            ArenaStats end = arena.stats();
            assertEquals(ownSize, end.total(), "seed=" + seed);
            assertEquals(0, end.allocated(), "seed=" + seed);
            assertEquals(0, end.imported(), "seed=" + seed + ": every imported span is given back");
            assertEquals(end.imports(), end.releases(), "seed=" + seed);
            assertEquals(List.of(span(ownBase, ownSize), free(ownBase, ownSize)), arena.segments(), "seed=" + seed);
            assertEquals(0, root.stats().allocated(), "seed=" + seed);
            assertNotEquals(0, end.imports(), "seed=" + seed + ": the run should have exercised imports");
            assertFalse(end.failures() > end.allocations(), "seed=" + seed + ": most requests should succeed");
            Invariants.assertSound(arena, root);
        }

        /** A feasible request: sizes up to 0x400, sometimes aligned, phased, nocross-bounded or windowed. */
        private static Constraints randomConstraints(Random rnd) {
            long size = 1 + rnd.nextInt(0x400);
            Constraints.Builder b = Constraints.builder(size);
            int kind = rnd.nextInt(6);
            if (kind == 0) {
                return b.build();
            }
            long align = 1L << rnd.nextInt(10);
            b.align(align);
            if (align > Q && rnd.nextBoolean()) {
                b.phase(Q * rnd.nextInt((int) (align / Q)));
            }
            if (kind == 2) {
                b.nocross(0x800);
            }
            if (kind == 3) {
                long min = Q * rnd.nextInt(1 << 16);
                b.min(min).max(min + (1L << 22));
            }
            if (kind == 4) {
                long min = (1L << 30) + Q * rnd.nextInt(0x400);
                b.min(min);
            }
            return b.build();
        }
    }
}

package dev.vmem;

import static dev.vmem.testing.Segments.allocated;
import static dev.vmem.testing.Segments.free;
import static dev.vmem.testing.Segments.importedSpan;
import static dev.vmem.testing.Segments.span;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The seed crate's nine unit tests ({@code vmem-lib.rs}, module {@code tests}), translated to this API
 * with the same scenarios (quantum 8, same spans, same requests). Where the seed only printed the arena,
 * these tests assert the bases, the segments and the space figures that the scenario determines.
 */
class SeedTest {

    private static Arena createArena() {
        return Arena.builder("root").quantum(8).build();
    }

    private static Arena createArenaSource(Source source) {
        return Arena.builder("borrower").quantum(8).source(source).build();
    }

    private static Constraints sizeAlign(long size, long align) {
        return Constraints.builder(size).align(align).build();
    }

    @Test
    void invalidQuantum_isRejectedNamingTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Arena.builder("test").quantum(42).build());
        assertTrue(e.getMessage().contains("quantum=42"), e.getMessage());
    }

    @Test
    void instantFit_twoSmallBlocksThenTooLargeRequest_lastOneIsExhausted() {
        Arena arena = createArena();
        arena.addSpan(0x1000, 0x1000);

        long first = arena.alloc(0x10, Policy.INSTANT_FIT);
        long second = arena.alloc(0x10, Policy.INSTANT_FIT);
        // One free segment each time: the block is carved from its low end.
        assertEquals(0x1000, first);
        assertEquals(0x1010, second);

        String before = arena.dump();
        ArenaExhaustedException e = assertThrows(ArenaExhaustedException.class,
                () -> arena.alloc(0x1000, Policy.INSTANT_FIT));
        assertTrue(e.getMessage().contains("size=4096"), e.getMessage());
        assertEquals(before, arena.dump(), "a failed allocation changes nothing");

        ArenaStats stats = arena.stats();
        assertEquals(0x1000, stats.total());
        assertEquals(0x20, stats.allocated());
        assertEquals(0xfe0, stats.free());
        assertEquals(2, stats.allocations());
        assertEquals(1, stats.failures());
        assertEquals(List.of(span(0x1000, 0x1000), allocated(0x1000, 0x10), allocated(0x1010, 0x10),
                free(0x1020, 0xfe0)), arena.segments());
        Invariants.assertSound(arena);
    }

    @Test
    void bestFit_takesTheSmallestSpanThatFits() {
        Arena arena = createArena();
        arena.addSpan(0x1000, 0x400);
        arena.addSpan(0x1400, 0x100);
        arena.addSpan(0x1500, 0x200);

        assertEquals(0x1400, arena.alloc(0x10, Policy.BEST_FIT));
        // Free now: 0x400 at 0x1000, 0xf0 at 0x1410 (too small), 0x200 at 0x1500 (smallest that fits).
        assertEquals(0x1500, arena.alloc(0x100, Policy.BEST_FIT));

        assertEquals(List.of(span(0x1000, 0x400), free(0x1000, 0x400),
                span(0x1400, 0x100), allocated(0x1400, 0x10), free(0x1410, 0xf0),
                span(0x1500, 0x200), allocated(0x1500, 0x100), free(0x1600, 0x100)), arena.segments());
        assertEquals(0x110, arena.stats().allocated());
        Invariants.assertSound(arena);
    }

    @Test
    void nextFit_freedValueIsNotHandedOutAgain() {
        Arena arena = createArena();
        arena.addSpan(0x1000, 0x1000);

        long base = arena.alloc(0x10, Policy.NEXT_FIT);
        assertEquals(0x1000, base);
        arena.free(base);
        long newBase = arena.alloc(0x10, Policy.NEXT_FIT);

        assertNotEquals(base, newBase);
        assertEquals(0x1010, newBase, "the rotor continues after the previous allocation");
        assertEquals(0x1020, arena.nextFitCursor());
        assertEquals(List.of(span(0x1000, 0x1000), free(0x1000, 0x10), allocated(0x1010, 0x10),
                free(0x1020, 0xfe0)), arena.segments());
        Invariants.assertSound(arena);
    }

    @Test
    void xallocInstantFit_honoursEachAlignment() {
        Arena arena = createArena();
        arena.addSpan(0x1000, 0x1000);

        long a = arena.xalloc(sizeAlign(0x10, 0x10), Policy.INSTANT_FIT);
        assertEquals(0, a % 0x10);
        assertEquals(0x1000, a);

        long b = arena.xalloc(sizeAlign(0x10, 0x100), Policy.INSTANT_FIT);
        assertEquals(0, b % 0x100);
        assertEquals(0x1100, b, "the lowest 0x100-aligned start in the only free segment [0x1010, 0x2000)");

        long c = arena.xalloc(sizeAlign(0x10, 0x10), Policy.INSTANT_FIT);
        assertEquals(0, c % 0x10);
        // [0x1010, 0x1100) is in a smaller size class than [0x1110, 0x2000), and every member fits.
        assertEquals(0x1010, c);

        assertEquals(List.of(span(0x1000, 0x1000), allocated(0x1000, 0x10), allocated(0x1010, 0x10),
                free(0x1020, 0xe0), allocated(0x1100, 0x10), free(0x1110, 0xef0)), arena.segments());
        assertEquals(0x30, arena.stats().allocated());
        assertEquals(0x1000 - 0x30, arena.stats().free());
        Invariants.assertSound(arena);
    }

    @Test
    void xallocBestFit_takesTheSmallestSegmentThatAdmitsTheBlock() {
        Arena arena = createArena();
        arena.addSpan(0x1000, 0x400);
        arena.addSpan(0x1400, 0x100);
        arena.addSpan(0x1500, 0x200);

        assertEquals(0x1400, arena.xalloc(sizeAlign(0x10, 0x100), Policy.BEST_FIT));
        assertEquals(0x1500, arena.xalloc(sizeAlign(0x100, 0x10), Policy.BEST_FIT));

        assertEquals(List.of(span(0x1000, 0x400), free(0x1000, 0x400),
                span(0x1400, 0x100), allocated(0x1400, 0x10), free(0x1410, 0xf0),
                span(0x1500, 0x200), allocated(0x1500, 0x100), free(0x1600, 0x100)), arena.segments());
        Invariants.assertSound(arena);
    }

    @Test
    void free_thenTheWholeSpanCanBeAllocated() {
        Arena arena = createArena();
        arena.addSpan(0x1000, 0x1000);

        long base = arena.alloc(0x10, Policy.INSTANT_FIT);
        arena.free(base);
        assertEquals(List.of(span(0x1000, 0x1000), free(0x1000, 0x1000)), arena.segments(),
                "the freed block coalesces with the rest of the span");

        assertEquals(0x1000, arena.alloc(0x1000, Policy.INSTANT_FIT));
        ArenaStats stats = arena.stats();
        assertEquals(0x1000, stats.allocated());
        assertEquals(0, stats.free());
        assertEquals(2, stats.allocations());
        assertEquals(1, stats.frees());
        Invariants.assertSound(arena);
    }

    @Test
    void import_spansAreBorrowedFromTheSourceAndGivenBackWhenFree() {
        Arena source = createArena();
        source.addSpan(0x1000, 0x1000);

        Arena myArena = createArenaSource(source.asSource());
        long firstBase = myArena.alloc(0x10, Policy.INSTANT_FIT);
        assertEquals(0x1000, firstBase);
        assertEquals(List.of(importedSpan(0x1000, 0x10), allocated(0x1000, 0x10)), myArena.segments());
        assertEquals(0x10, source.stats().allocated());

        Arena mySecondArena = createArenaSource(source.asSource());
        long otherBase = mySecondArena.alloc(0x10, Policy.INSTANT_FIT);
        assertEquals(0x1010, otherBase);
        assertEquals(0x20, source.stats().allocated());

        long secondBase = myArena.xalloc(sizeAlign(0x10, 0x100), Policy.INSTANT_FIT);
        assertEquals(0, secondBase % 0x100);
        assertEquals(0x1100, secondBase, "the imported span carries the alignment; the source's lowest fit");
        assertEquals(0x20, myArena.stats().imported());
        assertEquals(2, myArena.stats().imports());
        assertEquals(0x30, source.stats().allocated());

        myArena.free(firstBase);
        assertEquals(0x10, myArena.stats().imported());
        assertEquals(0x20, source.stats().allocated());
        myArena.free(secondBase);

        ArenaStats mine = myArena.stats();
        assertEquals(0, mine.imported(), "borrowed space");
        assertEquals(0, mine.total());
        assertEquals(0, mine.spans());
        assertEquals(2, mine.releases());
        assertEquals(List.of(), myArena.segments());
        assertEquals(0x10, source.stats().allocated(), "only the second borrower's span is still out");
        assertEquals(List.of(span(0x1000, 0x1000), free(0x1000, 0x10), allocated(0x1010, 0x10),
                free(0x1020, 0xfe0)), source.segments());

        mySecondArena.free(otherBase);
        assertEquals(0, mySecondArena.stats().imported());
        assertEquals(0, source.stats().allocated());
        assertEquals(List.of(span(0x1000, 0x1000), free(0x1000, 0x1000)), source.segments());
        Invariants.assertSound(myArena, mySecondArena, source);
    }

    @Test
    void metrics_spaceFiguresAfterTwoAllocations() {
        Arena arena = createArena();
        arena.addSpan(0x1000, 0x1000);
        arena.alloc(0x10, Policy.INSTANT_FIT);
        arena.alloc(0x10, Policy.INSTANT_FIT);

        ArenaStats stats = arena.stats();
        assertEquals(0x1000, stats.total());
        assertEquals(0x20, stats.allocated());
        assertEquals(0xfe0, stats.free());
        assertEquals(0, stats.imported());
        assertEquals(1, stats.spans());
        assertEquals(3, stats.segments());
        assertEquals(2, stats.liveAllocations());
        assertEquals(2, stats.allocations());
        assertEquals(0, stats.frees());
        assertEquals(0, stats.failures());
        Invariants.assertSound(arena);
    }
}

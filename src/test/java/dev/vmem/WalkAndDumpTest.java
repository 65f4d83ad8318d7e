package dev.vmem;

import static dev.vmem.testing.Segments.allocated;
import static dev.vmem.testing.Segments.free;
import static dev.vmem.testing.Segments.importedSpan;
import static dev.vmem.testing.Segments.span;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What {@link Arena#segments()} and {@link Arena#dump()} show, exactly: spans and segments in address
 * order, a cache slab as its held blocks and its runs of idle ones, and the figures line.
 */
class WalkAndDumpTest {

    private static Segment cached(long base, long size) {
        return new Segment(base, size, Segment.Kind.CACHED);
    }

    private static String dump(Arena a) {
        return a.dump().replace(System.lineSeparator(), "\n");
    }

    @Test
    void aPlainArena_isWalkedSpanBySpan_andDumpedWithItsFigures() {
        Arena a = Arena.builder("view").quantum(8).span(0, 800).span(4096, 64).build();
        assertEquals(0, a.alloc(80, Policy.NEXT_FIT));
        assertEquals(4096, a.xalloc(Constraints.builder(8).min(4096).build(), Policy.BEST_FIT));
        assertEquals(List.of(span(0, 800), allocated(0, 80), free(80, 720),
                span(4096, 64), allocated(4096, 8), free(4104, 56)), a.segments());
        assertEquals("""
                arena 'view' quantum=8 total=864 allocated=88 free=776 imported=0 cursor=80
                  span          [0x0, 0x320) size=0x320
                    allocated     [0x0, 0x50) size=0x50
                    free          [0x50, 0x320) size=0x2d0
                  span          [0x1000, 0x1040) size=0x40
                    allocated     [0x1000, 0x1008) size=0x8
                    free          [0x1008, 0x1040) size=0x38
                """, dump(a));
        assertEquals("Arena[view, quantum=8]", a.toString());
        assertEquals(List.of(), a.checkInvariants());
    }

    @Test
    void aCacheSlab_isWalkedAsItsHeldBlocksAndRunsOfIdleOnes() {
        Arena a = Arena.builder("cached").quantum(8).qcacheMax(8).span(0, 1024).build();
        // One slab of 63 blocks of 8 at 0 (504 values); blocks 0, 2 and 62 stay held.
        for (long i = 0; i < 63; i++) {
            assertEquals(8 * i, a.alloc(8, Policy.INSTANT_FIT));
        }
        a.free(8);
        for (long i = 3; i < 62; i++) {
            a.free(8 * i);
        }
        assertEquals(List.of(span(0, 1024), allocated(0, 8), cached(8, 8), allocated(16, 8), cached(24, 472),
                allocated(496, 8), free(504, 520)), a.segments());
        assertEquals("""
                arena 'cached' quantum=8 total=1024 allocated=24 free=1000 cached=480 imported=0 cursor=0
                  span          [0x0, 0x400) size=0x400
                    allocated     [0x0, 0x8) size=0x8
                    cached        [0x8, 0x10) size=0x8
                    allocated     [0x10, 0x18) size=0x8
                    cached        [0x18, 0x1f0) size=0x1d8
                    allocated     [0x1f0, 0x1f8) size=0x8
                    free          [0x1f8, 0x400) size=0x208
                """, dump(a));
        assertEquals(List.of(), a.checkInvariants());
    }

    @Test
    void anIdleRunReachingTheSlabsEnd_endsThere() {
        Arena a = Arena.builder("cached").quantum(8).qcacheMax(8).span(0, 1024).build();
        for (long i = 0; i < 63; i++) {
            a.alloc(8, Policy.INSTANT_FIT);
        }
        for (long i = 1; i < 63; i++) {
            a.free(8 * i);
        }
        assertEquals(List.of(span(0, 1024), allocated(0, 8), cached(8, 496), free(504, 520)), a.segments());
        a.free(0);
        assertEquals(List.of(span(0, 1024), cached(0, 504), free(504, 520)), a.segments());
        assertEquals(List.of(), a.checkInvariants());
    }

    @Test
    void aClosedArena_saysSo_andShowsWhatItStillHolds() {
        Arena parent = Arena.builder("parent").quantum(1).span(0, 100).build();
        Arena child = Arena.builder("child").quantum(1).source(parent).build();
        child.alloc(10, Policy.INSTANT_FIT);
        assertEquals(List.of(importedSpan(0, 10), allocated(0, 10)), child.segments());
        child.close();
        assertEquals(List.of(), child.segments());
        assertEquals("arena 'child' quantum=1 total=0 allocated=0 free=0 imported=0 cursor=0 closed\n", dump(child));
        assertEquals(List.of(), child.checkInvariants());
        assertEquals(List.of(), parent.checkInvariants());
    }
}

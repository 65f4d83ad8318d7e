package dev.vmem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vmem.Segment;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The free space's shape as the stats command reports it. */
class FragmentationTest {
    private static Segment free(long base, long size) {
        return new Segment(base, size, Segment.Kind.FREE);
    }

    @Test
    void freeExtents_areCountedByPowerOfTwo_andTheLargestAndTooSmallAreFound() {
        List<Segment> segments = List.of(new Segment(0, 1000, Segment.Kind.SPAN), free(0, 1),
                new Segment(1, 2, Segment.Kind.ALLOCATED), free(3, 3), free(6, 4), free(10, 990));
        Fragmentation f = Fragmentation.of(segments, 4);
        assertEquals(990, f.largest());
        assertEquals(998, f.free());
        assertEquals(1 + 3, f.tooSmall(), "extents of 1 and 3 are too small for 4; the one of 4 is not");
        assertEquals(1, f.counts()[0]);
        assertEquals(1, f.counts()[1]);
        assertEquals(3, f.sizes()[1]);
        assertEquals(1, f.counts()[2]);
        assertEquals(1, f.counts()[9]);
        assertEquals(990, f.sizes()[9]);
        assertEquals(9, f.topOrder());
        assertEquals("0.4", f.tooSmallPercent());
    }

    @Test
    void anArenaWithoutFreeSpace_hasNoOrders() {
        Fragmentation f = Fragmentation.of(List.of(new Segment(0, 8, Segment.Kind.SPAN),
                new Segment(0, 8, Segment.Kind.ALLOCATED)), 0);
        assertEquals(0, f.largest());
        assertEquals(-1, f.topOrder());
        assertEquals("0.0", f.tooSmallPercent());
        Fragmentation huge = Fragmentation.of(List.of(free(0, Long.MAX_VALUE)), Long.MAX_VALUE);
        assertEquals(62, huge.topOrder());
        assertEquals(0, huge.tooSmall());
    }
}

package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a child asks its source for when it runs out, seen from the source: which spans, how many
 * requests, and the edge cases (a span as large as the value space, a block bounded inside one grain
 * of a coarser source).
 */
class ImportRequestsTest {

    /** Passes requests to {@code parent} and records each one asked, granted or not. */
    private static final class RecordingSource implements Source {
        final Arena parent;
        final List<Constraints> asked = new ArrayList<>();

        RecordingSource(Arena parent) {
            this.parent = parent;
        }

        @Override
        public long importSpan(Constraints request) {
            asked.add(request);
            return parent.asSource().importSpan(request);
        }

        @Override
        public void releaseSpan(long base, long size) {
            parent.asSource().releaseSpan(base, size);
        }

        @Override
        public long quantum() {
            return parent.quantum();
        }
    }

    @Test
    void aSpanAsLargeAsTheValueSpace_canBeImported() {
        Arena parent = Arena.builder("parent").quantum(1).span(0, Long.MAX_VALUE).build();
        Arena child = Arena.builder("child").quantum(1).source(parent).build();
        assertEquals(0, child.alloc(Long.MAX_VALUE, Policy.INSTANT_FIT));
        assertEquals(Long.MAX_VALUE, child.stats().imported());
        child.free(0);
        assertEquals(0, parent.stats().allocated());
        assertEquals(List.of(), child.checkInvariants());
        assertEquals(List.of(), parent.checkInvariants());
    }

    @Test
    void aNocrossEqualToTheAlignment_stillImportsTheImportQuantum() {
        Arena parent = Arena.builder("parent").quantum(1).span(0, 4096).build();
        parent.alloc(40, Policy.INSTANT_FIT);
        Arena child = Arena.builder("child").quantum(1).source(parent).importQuantum(64).build();
        // align 16, phase 12, nocross 16: [B, B + 4) with B = 12 mod 16 never crosses, whatever the span's size.
        Constraints c = Constraints.builder(4).align(16).phase(12).nocross(16).build();
        assertEquals(44, child.xalloc(c, Policy.INSTANT_FIT));
        assertEquals(List.of(new Segment(44, 64, Segment.Kind.IMPORTED_SPAN), new Segment(44, 4, Segment.Kind.ALLOCATED),
                new Segment(48, 60, Segment.Kind.FREE)), child.segments());
        assertEquals(List.of(), child.checkInvariants());
        assertEquals(List.of(), parent.checkInvariants());
    }

    @Test
    void aRequestAlignedToTheGrain_isAskedForOnce_evenWithAMinimumInsideAGrain() {
        Arena parent = Arena.builder("parent").quantum(8).span(0, 64).build();
        parent.alloc(64, Policy.INSTANT_FIT); // the parent has nothing to lend
        RecordingSource source = new RecordingSource(parent);
        Arena child = Arena.builder("child").quantum(1).source(source).build();
        Constraints c = Constraints.builder(5).align(8).min(3).build();
        assertEquals(Arena.NONE, child.tryXalloc(c, Policy.INSTANT_FIT));
        assertEquals(1, source.asked.size(), "the block's place in a grain-aligned span is fixed: " + source.asked);
        assertEquals(List.of(), child.checkInvariants());
    }

    @Test
    void aMinimumOnAGrain_needsNoShiftedRequest() {
        Arena parent = Arena.builder("parent").quantum(8).span(0, 64).build();
        parent.alloc(64, Policy.INSTANT_FIT);
        RecordingSource source = new RecordingSource(parent);
        Arena child = Arena.builder("child").quantum(1).source(source).build();
        assertEquals(Arena.NONE, child.tryXalloc(Constraints.builder(5).min(16).build(), Policy.INSTANT_FIT));
        assertEquals(1, source.asked.size(), source.asked.toString());
        assertEquals(List.of(), child.checkInvariants());
    }

    @Test
    void aMinimumInsideAGrain_addsTheShiftedRequests() {
        Arena parent = Arena.builder("parent").quantum(8).span(0, 64).build();
        parent.alloc(64, Policy.INSTANT_FIT);
        RecordingSource source = new RecordingSource(parent);
        Arena child = Arena.builder("child").quantum(1).source(source).build();
        assertEquals(Arena.NONE, child.tryXalloc(Constraints.builder(5).min(3).build(), Policy.INSTANT_FIT));
        // The exact span at or above min, then spans starting at the grain below min: one grain, then two.
        assertEquals(List.of(new Constraints(8, 8, 0, 0, 3, Long.MAX_VALUE), new Constraints(8, 8, 0, 0, 0, 8),
                new Constraints(16, 8, 0, 0, 0, 16)), source.asked);
        assertEquals(List.of(), child.checkInvariants());
    }

    @Test
    void aBlockBoundedInsideOneGrain_isFoundInASpanOfTwoGrainsUpToTheBoundary() {
        // Source quantum 8; the block [3, 9) must end by 11 and not cross a multiple of 16. No span
        // starting at 8 or above can hold it; the span [0, 16) can, and it does not straddle 16.
        Arena parent = Arena.builder("parent").quantum(8).span(0, 64).build();
        RecordingSource source = new RecordingSource(parent);
        Arena child = Arena.builder("child").quantum(1).source(source).build();
        Constraints c = Constraints.builder(6).min(3).max(11).nocross(16).build();
        long b = child.xalloc(c, Policy.INSTANT_FIT);
        assertEquals(3, b);
        assertTrue(c.admits(b));
        assertEquals(List.of(new Segment(0, 16, Segment.Kind.IMPORTED_SPAN)),
                child.segments().stream().filter(s -> s.kind().isSpan()).toList(), child.dump());
        assertEquals(new Constraints(16, 8, 0, 16, 0, 16), source.asked.get(source.asked.size() - 1));
        assertEquals(List.of(), child.checkInvariants());
        assertEquals(List.of(), parent.checkInvariants());
    }
}

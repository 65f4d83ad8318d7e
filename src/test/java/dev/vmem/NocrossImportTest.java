package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The span a child imports for a request with {@code nocross}: the import quantum when a span that large
 * can itself stay clear of every boundary, else just what the block needs; and the block inside it
 * never straddles a boundary.
 */
class NocrossImportTest {

    /** A parent whose first 40 quanta are taken, so its free space starts off every boundary. */
    private static Arena parent(long q) {
        Arena parent = Arena.builder("parent").quantum(q).span(0, 4096 * q).build();
        parent.xalloc(Constraints.builder(40 * q).build(), Policy.INSTANT_FIT);
        return parent;
    }

    private static List<Segment> importedSpans(Arena child) {
        return child.segments().stream().filter(s -> s.kind() == Segment.Kind.IMPORTED_SPAN).toList();
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void anImportQuantumEqualToNocross_isImportedWhole_onABoundary(long q) {
        Arena parent = parent(q);
        Arena child = Arena.builder("child").quantum(q).source(parent).importQuantum(64 * q).build();
        long b = child.xalloc(Constraints.builder(10 * q).nocross(64 * q).build(), Policy.INSTANT_FIT);
        assertEquals(List.of(new Segment(64 * q, 64 * q, Segment.Kind.IMPORTED_SPAN)), importedSpans(child),
                child.dump());
        assertEquals(64 * q, b);
        assertEquals(64 * q, child.stats().imported());
        assertEquals(64 * q, child.stats().total());
        assertEquals(40 * q + 64 * q, parent.stats().allocated());
        assertEquals(List.of(), child.checkInvariants());
        assertEquals(List.of(), parent.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void anImportQuantumLargerThanNocross_givesWayToTheExactSize(long q) {
        Arena parent = parent(q);
        Arena child = Arena.builder("child").quantum(q).source(parent).importQuantum(128 * q).build();
        long b = child.xalloc(Constraints.builder(10 * q).nocross(64 * q).build(), Policy.INSTANT_FIT);
        List<Segment> spans = importedSpans(child);
        assertEquals(1, spans.size(), child.dump());
        assertEquals(10 * q, spans.get(0).size(), "a 128-quantum span would straddle the 64-quantum boundary");
        assertEquals(spans.get(0).base(), b);
        assertEquals(40 * q, b, "the exact span fits below the first boundary, right after the parent's block");
        assertEquals(10 * q, child.stats().imported());
        assertEquals(List.of(), child.checkInvariants());
        assertEquals(List.of(), parent.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void anImportQuantumBelowNocross_isImportedWhole_clearOfTheBoundary(long q) {
        Arena parent = parent(q);
        Arena child = Arena.builder("child").quantum(q).source(parent).importQuantum(16 * q).build();
        long b = child.xalloc(Constraints.builder(10 * q).nocross(64 * q).build(), Policy.INSTANT_FIT);
        List<Segment> spans = importedSpans(child);
        assertEquals(List.of(new Segment(40 * q, 16 * q, Segment.Kind.IMPORTED_SPAN)), spans, child.dump());
        assertEquals(40 * q, b);
        // The rest of the generous span serves the next request without a second import.
        long c = child.xalloc(Constraints.builder(6 * q).nocross(64 * q).build(), Policy.INSTANT_FIT);
        assertEquals(50 * q, c);
        assertEquals(1, child.stats().imports());
        assertEquals(List.of(), child.checkInvariants());
        assertEquals(List.of(), parent.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void aNocrossFinerThanTheAlignment_importsASpanInPhase_withTheBlockAtItsBase(long q) {
        Arena parent = parent(q);
        Arena child = Arena.builder("child").quantum(q).source(parent).importQuantum(64 * q).build();
        // align 64, phase 20, nocross 32: the span itself starts in phase (20 mod 64), where [B, B + 10)
        // stays clear of every multiple of 32; the parent's first such place is 84.
        Constraints c = Constraints.builder(10 * q).align(64 * q).phase(20 * q).nocross(32 * q).build();
        long b = child.xalloc(c, Policy.INSTANT_FIT);
        assertEquals(List.of(new Segment(84 * q, 64 * q, Segment.Kind.IMPORTED_SPAN)), importedSpans(child),
                child.dump());
        assertEquals(84 * q, b);
        assertTrue(c.admits(b));
        assertEquals(List.of(), child.checkInvariants());
        assertEquals(List.of(), parent.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void aNocrossEqualToTheAlignment_importsJustTheBlock_inPhase(long q) {
        // align 16, phase 12, nocross 16, size 4: [B, B + 4) with B = 12 mod 16 never crosses.
        Arena parent = parent(q);
        Arena child = Arena.builder("child").quantum(q).source(parent).build();
        Constraints c = Constraints.builder(4 * q).align(16 * q).phase(12 * q).nocross(16 * q).build();
        long b = child.xalloc(c, Policy.BEST_FIT);
        assertEquals(List.of(new Segment(44 * q, 4 * q, Segment.Kind.IMPORTED_SPAN)), importedSpans(child),
                child.dump());
        assertEquals(44 * q, b);
        assertTrue(c.admits(b));
        assertEquals(List.of(), child.checkInvariants());
        assertEquals(List.of(), parent.checkInvariants());
    }
}

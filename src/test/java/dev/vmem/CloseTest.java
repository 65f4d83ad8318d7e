package dev.vmem;

import static dev.vmem.testing.Segments.allocated;
import static dev.vmem.testing.Segments.span;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.testing.Range;
import dev.vmem.testing.RecordingSource;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * {@link Arena#close()}: it gives every imported span back (leaked blocks with them) and keeps the
 * arena's own spans; afterwards the read-only views still answer and every mutation is refused; a span
 * the source refused stays held, and the next close tries it again.
 */
class CloseTest {

    @Test
    void close_givesImportedSpansBack_andNothingDescribesThemAfterwards() {
        // Guards against: exportState, after close, listing imported spans already given back to the parent.
        Arena parent = Arena.builder("parent").span(0, 1024).build();
        Arena child = Arena.builder("child").source(parent).importQuantum(64).span(4096, 64).build();
        long own = child.alloc(64, Policy.INSTANT_FIT); // fills the child's own span
        long leaked = child.alloc(8, Policy.INSTANT_FIT); // imports [0, 64) from the parent
        assertEquals(4096, own);
        assertEquals(1, parent.stats().liveAllocations());
        ArenaStats before = child.stats();

        child.close();

        assertEquals(0, parent.stats().allocated(), "the imported span went back");
        assertEquals(List.of(span(4096, 64), allocated(4096, 64)),
                child.segments(), "only the child's own span remains");
        assertFalse(child.contains(leaked));
        assertTrue(child.contains(own));
        ArenaStats after = child.stats();
        assertEquals(64, after.total());
        assertEquals(64, after.allocated());
        assertEquals(0, after.imported());
        assertEquals(1, after.spans());
        assertEquals(1, after.liveAllocations());
        assertEquals(before.frees() + 1, after.frees(), "the leaked block in the imported span counts as freed");
        assertEquals(before.releases() + 1, after.releases());
        assertEquals(before.imports(), after.imports());
        assertTrue(child.dump().contains(" closed"), child.dump());
        assertThrows(IllegalStateException.class, () -> new ObservedArena(child).exportState());
        Invariants.assertSound(parent, child);
    }

    @Test
    void close_keepsTheReadOnlyViews_andRejectsEveryMutation() {
        // Guards against: a closed arena's read-only views or mutations departing from the Javadoc.
        Arena parent = Arena.builder("parent").span(1 << 20, 1024).build();
        Arena a = Arena.builder("a").quantum(8).source(parent).span(0, 64).build();
        long block = a.alloc(8, Policy.NEXT_FIT);
        ArenaStats stats = a.stats();
        List<Segment> segments = a.segments();
        long cursor = a.nextFitCursor();

        a.close();

        assertEquals(stats, a.stats(), "no imported span, so nothing changed");
        assertEquals(segments, a.segments());
        assertEquals(cursor, a.nextFitCursor());
        assertTrue(a.contains(block));
        assertEquals(List.of(), a.checkInvariants());
        assertTrue(a.dump().contains(" closed"), a.dump());
        String dump = a.dump();
        List<Executable> mutations = List.of(
                () -> a.addSpan(1024, 64),
                () -> a.alloc(8, Policy.INSTANT_FIT),
                () -> a.tryAlloc(8, Policy.BEST_FIT),
                () -> a.xalloc(Constraints.of(8), Policy.NEXT_FIT),
                () -> a.tryXalloc(Constraints.of(8), Policy.INSTANT_FIT),
                () -> a.free(block),
                () -> a.free(block, 8),
                () -> a.asSource().releaseSpan(block, 8),
                () -> a.asSource().importSpan(Constraints.of(8)),
                () -> new ObservedArena(a).exportState(),
                () -> new ObservedArena(a).revert(new ArenaChange.Allocated(block, 8)),
                () -> new ObservedArena(a).revert(new ArenaChange.CursorMoved(0, cursor)));
        for (int i = 0; i < mutations.size(); i++) {
            assertThrows(IllegalStateException.class, mutations.get(i), "operation " + i);
        }
        assertEquals(dump, a.dump());
        assertEquals(stats, a.stats());
        assertDoesNotThrow(a::close, "a second close has nothing to do");
        Invariants.assertSound(parent, a);
    }

    @Test
    void close_afterTheSourceRefusedASpan_retriesItOnTheNextClose() {
        // Guards against: close() giving up on a span its source refused, with no later close retrying it.
        Arena parent = Arena.builder("parent").span(0, 1 << 20).build();
        RecordingSource flaky = RecordingSource.over(parent.asSource())
                .failReleasesWith(() -> new IllegalStateException("refused by test"));
        Arena a = Arena.builder("a").source(flaky).importQuantum(64).build();
        a.alloc(8, Policy.INSTANT_FIT);

        IllegalStateException e = assertThrows(IllegalStateException.class, a::close);
        assertEquals("refused by test", e.getCause().getMessage());
        assertEquals(List.of(new Range(0, 64)), flaky.releaseAttempts());
        assertEquals(64, a.stats().imported(), "the refused span is still held");
        assertEquals(0, a.stats().releases());
        assertThrows(IllegalStateException.class, () -> a.alloc(8, Policy.INSTANT_FIT), "closed all the same");
        Invariants.assertSound(parent, a);

        flaky.failReleasesWith(null);
        a.close();
        assertEquals(List.of(new Range(0, 64), new Range(0, 64)), flaky.releaseAttempts(),
                "the second close retried the span");
        assertEquals(0, a.stats().imported());
        assertEquals(0, a.stats().spans());
        assertEquals(1, a.stats().releases());
        assertEquals(0, parent.stats().allocated());

        a.close();
        assertEquals(2, flaky.releaseAttempts().size(), "nothing left to give back");
        Invariants.assertSound(parent, a);
    }
}

package dev.vmem;

import dev.vmem.testing.Observers;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * One test per defect that the code review found in the core (its scratch tests ran against an older
 * snapshot). Each sets up the review's scenario and asserts the behaviour the fix promises.
 */
class ReviewRegressionTest {

    /** One change as an observer saw it, with the arena that made it. */
    record Event(Arena arena, ArenaChange change) {
    }

    private static ArenaObserver into(List<Event> log) {
        return (arena, change) -> log.add(new Event(arena, change));
    }

    /** The changes {@code arena} reported, in order. */
    private static List<ArenaChange> changesOf(List<Event> log, Arena arena) {
        List<ArenaChange> out = new ArrayList<>();
        for (Event e : log) {
            if (e.arena() == arena) {
                out.add(e.change());
            }
        }
        return out;
    }

    /** Reverts every logged change, newest first, each on the arena that made it. */
    private static void revertAll(List<Event> log) {
        for (int i = log.size() - 1; i >= 0; i--) {
            new ObservedArena(log.get(i).arena()).revert(log.get(i).change());
        }
    }

    private static ArenaStats withFailures(ArenaStats s, long failures) {
        return new ArenaStats(s.total(), s.allocated(), s.free(), s.imported(), s.spans(), s.segments(),
                s.liveAllocations(), s.allocations(), s.frees(), failures, s.imports(), s.releases(), s.cached());
    }

    private static ArenaStats counters(long allocations, long frees, long failures, long imports, long releases) {
        return new ArenaStats(0, 0, 0, 0, 0, 0, 0, allocations, frees, failures, imports, releases, 0);
    }

    // ---------------------------------------------------------------- futile imports

    @Test
    void revert_ofAllocationWhoseFirstImportWasFutile_restoresBothArenas() {
        // Review: revert of an import with a futile first try made imports negative
        List<Event> log = new ArrayList<>();
        Arena parent = ObservedArena.create(Arena.builder("parent").quantum(16).span(0, 64), into(log)).arena();
        Arena child = ObservedArena.create(Arena.builder("child").quantum(1).source(parent), into(log)).arena();
        log.clear(); // the parent's span
        String parentDump = parent.dump();
        ArenaStats parentStats = parent.stats();
        String childDump = child.dump();
        ArenaStats childStats = child.stats();

        // [12, 20) straddles the grain boundary 16: the shifted request for [0, 16) is futile, [0, 32) holds it.
        long base = child.xalloc(Constraints.builder(8).min(12).max(20).build(), Policy.INSTANT_FIT);

        assertEquals(12, base);
        assertEquals(List.of(new ArenaChange.Allocated(0, 16), new ArenaChange.Freed(0, 16),
                new ArenaChange.Allocated(0, 32)), changesOf(log, parent), "the parent lent [0, 16) first");
        assertEquals(List.of(new ArenaChange.SpanAdded(0, 32, true), new ArenaChange.Allocated(12, 8)),
                changesOf(log, child), "the futile import is not reported");
        assertEquals(1, child.stats().imports());
        assertEquals(0, child.stats().releases());

        revertAll(log);
        assertEquals(childDump, child.dump());
        assertEquals(childStats, child.stats());
        assertEquals(parentDump, parent.dump());
        assertEquals(parentStats, parent.stats());
        Invariants.assertSound(parent, child);
    }

    @Test
    void failedAllocation_withFutileImport_leavesNoTraceInTheChild() {
        // Review: a futile import was reported to the observer though it left no span behind
        List<Event> log = new ArrayList<>();
        Arena parent = ObservedArena.create(Arena.builder("parent").quantum(16).span(0, 16), into(log)).arena();
        Arena child = ObservedArena.create(Arena.builder("child").quantum(1).source(parent), into(log)).arena();
        log.clear(); // the parent's span
        String parentDump = parent.dump();
        String childDump = child.dump();
        ArenaStats childStats = child.stats();

        long base = child.tryXalloc(Constraints.builder(8).min(12).max(20).build(), Policy.INSTANT_FIT);

        assertEquals(Arena.NONE, base);
        assertEquals(List.of(), changesOf(log, child));
        assertEquals(childDump, child.dump());
        assertEquals(withFailures(childStats, childStats.failures() + 1), child.stats(),
                "only the failures counter moves");
        assertEquals(parentDump, parent.dump(), "the futile span went back to the parent");
        Invariants.assertSound(parent, child);
    }

    @Test
    void shiftedImport_asksForTheGrainHoldingMin_soAnArenaSourceCannotPickAFutileSpan() {
        // Review: the shifted request let an arena source lend a higher, futile span although [0, 16) was free
        Arena parent = Arena.builder("parent").quantum(16).span(0, 16).span(16, 16).build();
        Arena child = Arena.builder("child").quantum(1).source(parent).build();

        long base = child.tryXalloc(Constraints.builder(4).min(4).max(18).build(), Policy.INSTANT_FIT);

        assertEquals(4, base, "the parent's span [0, 16) holds the block [4, 8)");
        assertEquals(List.of(new Segment(0, 16, Segment.Kind.IMPORTED_SPAN), new Segment(0, 4, Segment.Kind.FREE),
                new Segment(4, 4, Segment.Kind.ALLOCATED), new Segment(8, 8, Segment.Kind.FREE)), child.segments());
        // The plan itself: every request that can lend a futile span admits exactly one base, the grain of min.
        List<Constraints> requests = ImportPlan.requests(1, 16, 1, new Request(4, 1, 0, 0, 4, 18, Policy.INSTANT_FIT));
        assertFalse(requests.isEmpty());
        for (Constraints r : requests) {
            assertEquals(0, Fit.lowest(r.min(), r.max(), r.size(), r.align(), r.phase(), r.nocross()), r.toString());
            assertEquals(r.size(), r.max() - r.min(), "a shifted request admits a single base: " + r);
        }
        child.free(base);
        assertEquals(0, parent.stats().allocated(), "the span went back when its last block was freed");
        Invariants.assertSound(parent, child);
    }

    @Test
    void shiftedImport_nearLongMaxValue_isStillRequested() {
        // Review: the shifted-request loop overflowed near Long.MAX_VALUE and never asked for the span that fits
        long g = 1L << 61;
        Arena parent = Arena.builder("parent").quantum(g).span(0, 3 * g).build();
        Arena child = Arena.builder("child").quantum(1).source(parent).build();

        long base = child.tryXalloc(Constraints.builder((1L << 62) + 1).min(1).build(), Policy.INSTANT_FIT);

        assertEquals(1, base, "the parent's span [0, 3 * 2^61) holds [1, 2^62 + 2)");
        assertTrue(child.segments().contains(new Segment(0, 3 * g, Segment.Kind.IMPORTED_SPAN)), child.dump());
        child.free(base);
        assertEquals(0, parent.stats().allocated());
        Invariants.assertSound(parent, child);
    }

    @Test
    void sourceThrowingAfterAFutileImport_leavesTheChildExactlyAsItWas() {
        // Review: a source failing after a futile import must leave the child unchanged, with nothing reported
        List<String> calls = new ArrayList<>();
        Source source = new Source() {
            private int imports;

            @Override
            public long importSpan(Constraints r) {
                calls.add("import " + r);
                if (imports++ == 0) {
                    return Fit.lowest(r.min(), r.max(), r.size(), r.align(), r.phase(), r.nocross());
                }
                throw new IllegalStateException("source broken by test");
            }

            @Override
            public void releaseSpan(long base, long size) {
                calls.add("release " + base + "+" + size);
            }

            @Override
            public long quantum() {
                return 16;
            }
        };
        List<Event> log = new ArrayList<>();
        Arena child = ObservedArena.create(Arena.builder("child").quantum(1).source(source).span(1000, 8), into(log))
                .arena();
        log.clear(); // the child's own span
        String dump = child.dump();
        ArenaStats stats = child.stats();

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> child.xalloc(Constraints.builder(8).min(12).max(20).build(), Policy.NEXT_FIT));

        assertEquals("source broken by test", e.getMessage());
        assertEquals(3, calls.size(), calls.toString());
        assertEquals("release 0+16", calls.get(1), "the futile span [0, 16) went back first");
        assertEquals(List.of(), log);
        assertEquals(dump, child.dump());
        assertEquals(stats, child.stats());
        Invariants.assertSound(child);
    }

    // ---------------------------------------------------------------- misbehaving source

    @Test
    void badBaseFromTheSource_keepsTheErrorAboutIt_withTheRefusedReleaseSuppressed() {
        // Review: a bad base from the source, then refused back: the release's exception hid the bad base
        Arena parent = Arena.builder("parent").quantum(8).span(0, 1024).build();
        Source offByFour = new Source() {
            @Override
            public long importSpan(Constraints r) {
                return parent.asSource().importSpan(r) + 4;
            }

            @Override
            public void releaseSpan(long base, long size) {
                parent.asSource().releaseSpan(base, size); // no allocation starts at base: InvalidFreeException
            }

            @Override
            public long quantum() {
                return 8;
            }
        };
        List<Event> log = new ArrayList<>();
        Arena child = ObservedArena.create(Arena.builder("child").quantum(8).source(offByFour), into(log)).arena();
        String dump = child.dump();
        ArenaStats stats = child.stats();

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> child.alloc(8, Policy.INSTANT_FIT));

        assertTrue(e.getMessage().contains("returned base=4"), e.getMessage());
        assertEquals(1, e.getSuppressed().length, "the refused release is attached");
        assertInstanceOf(InvalidFreeException.class, e.getSuppressed()[0]);
        assertEquals(List.of(), log);
        assertEquals(dump, child.dump());
        assertEquals(stats, child.stats());
        Invariants.assertSound(parent, child);
    }

    // ---------------------------------------------------------------- revert

    @Test
    void revert_ofAnUnalignedFreed_isRejected() {
        // Review: revert(Freed) of a range not aligned to the quantum carved it and corrupted the arena
        Arena a = Arena.builder("q8").quantum(8).span(0, 64).build();
        String dump = a.dump();
        ArenaStats stats = a.stats();

        assertThrows(IllegalArgumentException.class,
                () -> new ObservedArena(a).revert(new ArenaChange.Freed(3, 5)));
        assertThrows(IllegalArgumentException.class,
                () -> new ObservedArena(a).revert(new ArenaChange.Freed(8, 5)));
        assertThrows(IllegalArgumentException.class,
                () -> new ObservedArena(a).revert(new ArenaChange.Freed(4, 8)));

        assertEquals(dump, a.dump());
        assertEquals(stats, a.stats());
        Invariants.assertSound(a);
    }

    @Test
    void revert_ofAnUnalignedSpanRemoved_isRejected() {
        // Review: revert(SpanRemoved) of a span not aligned to the quantum inserted it and corrupted the arena
        Arena parent = Arena.builder("parent").quantum(8).span(0, 1024).build();
        Arena a = Arena.builder("q8").quantum(8).source(parent).span(2048, 64).build();
        String dump = a.dump();
        ArenaStats stats = a.stats();

        assertThrows(IllegalArgumentException.class,
                () -> new ObservedArena(a).revert(new ArenaChange.SpanRemoved(100, 5)));
        assertThrows(IllegalArgumentException.class,
                () -> new ObservedArena(a).revert(new ArenaChange.SpanRemoved(100, 8)));
        assertThrows(IllegalArgumentException.class,
                () -> new ObservedArena(a).revert(new ArenaChange.SpanRemoved(96, 12)));

        assertEquals(dump, a.dump());
        assertEquals(stats, a.stats());
        Invariants.assertSound(parent, a);
    }

    @Test
    void revert_ofSpanRemoved_inAnArenaWithoutSource_isRejected() {
        // Review: revert(SpanRemoved) gave a source-less arena an imported span it could never give back
        Arena a = Arena.builder("nosource").quantum(8).span(0, 64).build();
        String dump = a.dump();
        ArenaStats stats = a.stats();

        assertThrows(IllegalArgumentException.class,
                () -> new ObservedArena(a).revert(new ArenaChange.SpanRemoved(128, 64)));

        assertEquals(dump, a.dump());
        assertEquals(stats, a.stats());
        Invariants.assertSound(a);
    }

    // ---------------------------------------------------------------- restore

    @Test
    void restore_ofAnImportedSpan_withoutSource_isRejected() {
        // Review: restore accepted an imported span in an arena without a source; freeing its last block then failed
        ArenaState state = new ArenaState(List.of(new Segment(0, 64, Segment.Kind.IMPORTED_SPAN)), new long[] {0, 8},
                0, counters(1, 0, 0, 1, 0));

        assertThrows(IllegalArgumentException.class,
                () -> ObservedArena.restore(Arena.builder("nosource"), state, Observers.IGNORE));

        // The same state restores into an arena that has a source, and its last free gives the span back.
        Arena parent = Arena.builder("parent").span(0, 1024).build();
        long lent = parent.xalloc(new Constraints(64, 1, 0, 0, 0, 64), Policy.INSTANT_FIT);
        assertEquals(0, lent);
        Arena child = ObservedArena.restore(Arena.builder("child").source(parent), state, Observers.IGNORE).arena();
        ArenaState restored = new ObservedArena(child).exportState();
        assertEquals(state.spans(), restored.spans());
        assertArrayEquals(state.allocations(), restored.allocations());
        child.free(0, 8);
        assertEquals(0, parent.stats().allocated());
        assertEquals(0, child.stats().spans());
        Invariants.assertSound(parent, child);
    }

    @Test
    void restore_ofCountersThatDoNotMatchTheContents_isRejected() {
        // Review: restore accepted negative and inconsistent counters
        List<Segment> spans = List.of(new Segment(0, 64, Segment.Kind.SPAN));
        long[] oneBlock = {0, 8};
        List<ArenaStats> bad = List.of(
                counters(-5, -7, -1, -2, -3), // the review's: all negative
                counters(2, 0, 0, 0, 0), // allocations - frees = 2, one live allocation
                counters(0, 0, 0, 0, 0), // allocations - frees = 0, one live allocation
                counters(0, -1, 0, 0, 0), // difference right, frees negative
                counters(1, 0, -1, 0, 0), // failures negative
                counters(1, 0, 0, 1, 0)); // one import held, no imported span
        for (ArenaStats c : bad) {
            ArenaState state = new ArenaState(spans, oneBlock, 0, c);
            assertThrows(IllegalArgumentException.class,
                    () -> ObservedArena.restore(Arena.builder("bad").quantum(8), state, Observers.IGNORE),
                    c.toString());
        }
        // Imported spans held must equal imports - releases.
        Arena parent = Arena.builder("parent").quantum(8).span(1 << 20, 1 << 20).build();
        ArenaState unmatchedImport = new ArenaState(List.of(new Segment(0, 64, Segment.Kind.IMPORTED_SPAN)), oneBlock,
                0, counters(1, 0, 0, 2, 0));
        assertThrows(IllegalArgumentException.class,
                () -> ObservedArena.restore(Arena.builder("bad").quantum(8).source(parent), unmatchedImport,
                        Observers.IGNORE));

        // Consistent counters, however large, are accepted and kept.
        ArenaStats good = counters(10, 9, 3, 0, 0);
        Arena a = ObservedArena.restore(Arena.builder("good").quantum(8), new ArenaState(spans, oneBlock, 0, good),
                Observers.IGNORE).arena();
        ArenaStats s = a.stats();
        assertEquals(List.of(10L, 9L, 3L, 0L, 0L),
                List.of(s.allocations(), s.frees(), s.failures(), s.imports(), s.releases()));
        Invariants.assertSound(parent, a);
    }

    @Test
    void restore_ofAnUnalignedOrNegativeCursor_isRejected() {
        // Review: restore accepted a cursor that is not a multiple of the quantum
        List<Segment> spans = List.of(new Segment(0, 64, Segment.Kind.SPAN));
        for (long cursor : new long[] {-8, -1, 3, 12}) {
            ArenaState state = new ArenaState(spans, new long[0], cursor, counters(0, 0, 0, 0, 0));
            assertThrows(IllegalArgumentException.class,
                    () -> ObservedArena.restore(Arena.builder("c").quantum(8), state, Observers.IGNORE),
                    "cursor=" + cursor);
        }
        Arena a = ObservedArena.restore(Arena.builder("c").quantum(8),
                new ArenaState(spans, new long[0], 16, counters(0, 0, 0, 0, 0)), Observers.IGNORE).arena();
        assertEquals(16, a.nextFitCursor());
        Invariants.assertSound(a);
    }

    // ---------------------------------------------------------------- invariant check

    @Test
    void checkInvariants_comparesTheCountersWithTheContents() {
        // Review: checkInvariants did not compare the counters with the live allocations and imported spans
        Arena parent = Arena.builder("parent").span(0, 1024).build();
        Arena child = Arena.builder("child").source(parent).build();
        child.alloc(8, Policy.INSTANT_FIT);
        Invariants.assertSound(parent, child);

        for (String counter : List.of("allocations", "frees", "imports", "releases")) {
            bump(child.engine, counter, 1);
            try {
                List<String> problems = child.checkInvariants();
                assertTrue(problems.stream().anyMatch(p -> p.startsWith("counters:") && p.contains(counter + "=")),
                        counter + " off by one: " + problems);
            } finally {
                bump(child.engine, counter, -1);
            }
        }
        Invariants.assertSound(parent, child);
    }

    private static void bump(ArenaEngine e, String counter, long by) {
        switch (counter) {
            case "allocations" -> e.allocations += by;
            case "frees" -> e.frees += by;
            case "imports" -> e.imports += by;
            default -> e.releases += by;
        }
    }

    // ---------------------------------------------------------------- close

    @Test
    void close_givesImportedSpansBack_andNothingDescribesThemAfterwards() {
        // Review: after close, exportState listed imported spans already given back to the parent
        Arena parent = Arena.builder("parent").span(0, 1024).build();
        Arena child = Arena.builder("child").source(parent).importQuantum(64).span(4096, 64).build();
        long own = child.alloc(64, Policy.INSTANT_FIT); // fills the child's own span
        long leaked = child.alloc(8, Policy.INSTANT_FIT); // imports [0, 64) from the parent
        assertEquals(4096, own);
        assertEquals(1, parent.stats().liveAllocations());
        ArenaStats before = child.stats();

        child.close();

        assertEquals(0, parent.stats().allocated(), "the imported span went back");
        assertEquals(List.of(new Segment(4096, 64, Segment.Kind.SPAN), new Segment(4096, 64, Segment.Kind.ALLOCATED)),
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
        // Review: after close, the read-only views and the mutations did not behave as the Javadoc said
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
        // Review: close() gave up on a span its source refused, and a second close never retried it
        List<String> calls = new ArrayList<>();
        boolean[] refuse = {true};
        Arena parent = Arena.builder("parent").span(0, 1 << 20).build();
        Source flaky = new Source() {
            @Override
            public long importSpan(Constraints r) {
                return parent.asSource().importSpan(r);
            }

            @Override
            public void releaseSpan(long base, long size) {
                calls.add("release " + base + "+" + size);
                if (refuse[0]) {
                    throw new IllegalStateException("refused by test");
                }
                parent.asSource().releaseSpan(base, size);
            }
        };
        Arena a = Arena.builder("a").source(flaky).importQuantum(64).build();
        a.alloc(8, Policy.INSTANT_FIT);

        IllegalStateException e = assertThrows(IllegalStateException.class, a::close);
        assertEquals("refused by test", e.getCause().getMessage());
        assertEquals(List.of("release 0+64"), calls);
        assertEquals(64, a.stats().imported(), "the refused span is still held");
        assertEquals(0, a.stats().releases());
        assertThrows(IllegalStateException.class, () -> a.alloc(8, Policy.INSTANT_FIT), "closed all the same");
        Invariants.assertSound(parent, a);

        refuse[0] = false;
        a.close();
        assertEquals(List.of("release 0+64", "release 0+64"), calls, "the second close retried the span");
        assertEquals(0, a.stats().imported());
        assertEquals(0, a.stats().spans());
        assertEquals(1, a.stats().releases());
        assertEquals(0, parent.stats().allocated());

        a.close();
        assertEquals(2, calls.size(), "nothing left to give back");
        Invariants.assertSound(parent, a);
    }

    // ---------------------------------------------------------------- builder

    @Test
    void builder_reusedWithALargerQuantum_buildsAgain() {
        // Review: build() stored the defaulted importQuantum, so the builder failed with a larger quantum
        Arena.Builder b = Arena.builder("b").quantum(8);
        Arena first = b.build();
        b.quantum(16);
        Arena second = assertDoesNotThrow(b::build);

        assertEquals(8, first.importQuantum());
        assertEquals(16, second.quantum());
        assertEquals(16, second.importQuantum(), "the default import quantum follows the new quantum");
        Invariants.assertSound(first, second);
    }

    // ---------------------------------------------------------------- exhaustion message

    @Test
    void exhaustionMessage_showsAStateTheArenaHad() throws InterruptedException {
        // Review: the exhaustion message read total and free outside the lock, showing states the arena never had
        Arena a = Arena.builder("race").span(0, 1).build();
        a.alloc(1, Policy.INSTANT_FIT);
        // The other thread only adds a 1-value span and fills it: under the lock, free is always 0 or 1.
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                for (long base = 10; !stop.get() && base < 10 + 2 * 100_000; base += 2) {
                    a.addSpan(base, 1);
                    a.alloc(1, Policy.INSTANT_FIT);
                }
            } catch (Throwable t) {
                writerFailure.set(t);
            }
        }, "review-race-writer");
        Pattern figures = Pattern.compile("total=(\\d+), free=(-?\\d+)");
        String bad = null;
        int failures = 0;
        writer.start();
        try {
            long deadline = System.nanoTime() + 1_000_000_000L;
            while (bad == null && writer.isAlive() && System.nanoTime() < deadline) {
                ArenaExhaustedException e = assertThrows(ArenaExhaustedException.class,
                        () -> a.alloc(2, Policy.INSTANT_FIT));
                failures++;
                Matcher m = figures.matcher(e.getMessage());
                assertTrue(m.find(), e.getMessage());
                long free = Long.parseLong(m.group(2));
                if (free < 0 || free > 1) {
                    bad = e.getMessage();
                }
            }
        } finally {
            stop.set(true);
            writer.join();
        }
        assertNull(writerFailure.get());
        assertNull(bad, "after " + failures + " failures, a message showed a state the arena never had");
        assertNotEquals(0, failures);
        assertEquals(failures + 0L, a.stats().failures());
        Invariants.assertSound(a);
    }

    // Review (second round): revert of a Freed that never happened drove frees negative; an unaligned
    // cursor could be reverted to; restore took negative imports/releases whose difference was right.
    @org.junit.jupiter.api.Test
    void revertAndRestore_rejectCountersAndCursorsNoRealHistoryProduces() {
        Arena a = Arena.builder("gaps").quantum(8).span(0, 64).build();
        String before = a.dump();
        ArenaStats stats = a.stats();
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new ObservedArena(a).revert(new ArenaChange.Freed(0, 8)));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new ObservedArena(a).revert(new ArenaChange.CursorMoved(3, 0)));
        org.junit.jupiter.api.Assertions.assertEquals(before, a.dump());
        org.junit.jupiter.api.Assertions.assertEquals(stats, a.stats());
        ArenaState negative = new ArenaState(new ObservedArena(a).exportState().spans(), new long[0], 0,
                new ArenaStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, 0));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ObservedArena.restore(Arena.builder("gaps2").quantum(8), negative, Observers.IGNORE).arena());
        Invariants.assertSound(a);
    }
}

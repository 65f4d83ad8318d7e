package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.testing.RecordingSource;
import dev.vmem.testing.Stats;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every bad input is rejected with an exception whose message names the offending value, and leaves
 * the arena exactly as it was: same dump, same statistics (an exhausted allocation may only add one
 * to {@code failures}).
 */
class BadInputTest {

    private static final long MAX = Long.MAX_VALUE;

    /** An arena of quantum 8 with one span [0x1000, 0x2000), one live block and some free space. */
    private static Arena populated() {
        Arena arena = Arena.builder("bad-input").quantum(8).span(0x1000, 0x1000).build();
        assertEquals(0x1000, arena.alloc(0x20, Policy.INSTANT_FIT));
        assertEquals(0x1020, arena.alloc(0x10, Policy.NEXT_FIT));
        return arena;
    }

    /**
     * Runs {@code op}, which must throw {@code type} with a message containing every fragment, and
     * checks that the arena's dump and statistics are unchanged.
     */
    private static <T extends Throwable> T assertRejected(Arena arena, Class<T> type, Executable op,
            String... fragments) {
        String dump = arena.dump();
        ArenaStats stats = arena.stats();
        T e = assertThrows(type, op);
        assertMentions(e, fragments);
        assertEquals(dump, arena.dump(), "a rejected call must leave the arena as it was");
        assertEquals(stats, arena.stats(), "a rejected call must leave the statistics as they were");
        return e;
    }

    /** As {@link #assertRejected}, for a request that runs out of space: only {@code failures} moves, by one. */
    private static void assertExhausted(Arena arena, Executable op, String... fragments) {
        String dump = arena.dump();
        ArenaStats s = arena.stats();
        ArenaExhaustedException e = assertThrows(ArenaExhaustedException.class, op);
        assertMentions(e, fragments);
        assertEquals(dump, arena.dump(), "a failed allocation must leave the arena as it was");
        assertEquals(Stats.withOneMoreFailure(s), arena.stats());
    }

    private static void assertMentions(Throwable e, String... fragments) {
        String message = e.getMessage();
        assertTrue(message != null, e.toString());
        for (String fragment : fragments) {
            assertTrue(message.contains(fragment), "message should contain '" + fragment + "': " + message);
        }
    }

    private static IllegalArgumentException assertBadArgument(Executable op, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, op);
        assertMentions(e, fragments);
        return e;
    }

    /** A size that is not positive. */
    @Nested
    class Sizes {

        @ParameterizedTest
        @ValueSource(longs = {0, -1, -8, Long.MIN_VALUE})
        void alloc_nonPositiveSize_isRejectedNamingTheSize(long size) {
            Arena arena = populated();
            for (Policy policy : Policy.values()) {
                assertRejected(arena, IllegalArgumentException.class, () -> arena.alloc(size, policy), "size=" + size);
                assertRejected(arena, IllegalArgumentException.class, () -> arena.tryAlloc(size, policy), "size=" + size);
            }
            Invariants.assertSound(arena);
        }

        @ParameterizedTest
        @ValueSource(longs = {0, -1, -16, Long.MIN_VALUE})
        void constraints_nonPositiveSize_isRejectedNamingTheSize(long size) {
            assertBadArgument(() -> new Constraints(size, 1, 0, 0, 0, Constraints.NO_MAX), "size=" + size);
            assertBadArgument(() -> Constraints.of(size), "size=" + size);
            assertBadArgument(() -> Constraints.builder(size).align(16).build(), "size=" + size);
        }

        @ParameterizedTest
        @ValueSource(longs = {0, -8, Long.MIN_VALUE})
        void addSpan_nonPositiveSize_isRejectedNamingTheSize(long size) {
            Arena arena = populated();
            assertRejected(arena, IllegalArgumentException.class, () -> arena.addSpan(0x8000, size), "size=" + size);
            Invariants.assertSound(arena);
        }

        @ParameterizedTest
        @ValueSource(longs = {0, -8, Long.MIN_VALUE})
        void freeWithSize_nonPositiveSize_isRejectedNamingTheSize(long size) {
            Arena arena = populated();
            assertRejected(arena, IllegalArgumentException.class, () -> arena.free(0x1000, size), "size=" + size);
            arena.free(0x1000, 0x20); // the block is still live
            Invariants.assertSound(arena);
        }
    }

    /** A quantum, alignment or nocross that is not a power of two. */
    @Nested
    class PowersOfTwo {

        @ParameterizedTest
        @ValueSource(longs = {0, -8, 24, 3, Long.MIN_VALUE})
        void builder_quantumNotAPowerOfTwo_isRejectedNamingIt(long quantum) {
            assertBadArgument(() -> Arena.builder("q").quantum(quantum).build(), "quantum=" + quantum);
        }

        @ParameterizedTest
        @ValueSource(longs = {0, 3, 24, -4, Long.MIN_VALUE})
        void constraints_alignNotAPowerOfTwo_isRejectedNamingIt(long align) {
            assertBadArgument(() -> Constraints.builder(8).align(align).build(), "align=" + align);
            assertBadArgument(() -> new Constraints(8, align, 0, 0, 0, Constraints.NO_MAX), "align=" + align);
        }

        @ParameterizedTest
        @ValueSource(longs = {3, 24, -1, Long.MIN_VALUE})
        void constraints_nocrossNeitherZeroNorAPowerOfTwo_isRejectedNamingIt(long nocross) {
            assertBadArgument(() -> Constraints.builder(1).nocross(nocross).build(), "nocross=" + nocross);
        }
    }

    /** A phase outside [0, align) or off the quantum. */
    @Nested
    class Phase {

        @ParameterizedTest
        @CsvSource({"16, 16", "16, 17", "16, 4096", "1, 1", "16, -1", "16, -16", "8, -9223372036854775808"})
        void constraints_phaseOutsideZeroToAlign_isRejectedNamingIt(long align, long phase) {
            assertBadArgument(() -> Constraints.builder(8).align(align).phase(phase).build(), "phase=" + phase);
        }

        @ParameterizedTest
        @EnumSource(Policy.class)
        void xalloc_phaseNotAMultipleOfTheQuantum_isRejectedNamingPhaseAndQuantum(Policy policy) {
            Arena arena = populated();
            Constraints c = Constraints.builder(8).align(16).phase(4).build();
            assertRejected(arena, IllegalArgumentException.class, () -> arena.xalloc(c, policy), "phase=4", "quantum=8");
            assertRejected(arena, IllegalArgumentException.class, () -> arena.tryXalloc(c, policy), "phase=4",
                    "quantum=8");
            Invariants.assertSound(arena);
        }
    }

    /** Constraints that no block can meet, as given or once rounded to the quantum. */
    @Nested
    class OverConstrained {

        static Stream<Arguments> overConstrained() {
            return Stream.of(
                    // size > nocross
                    Arguments.of(Constraints.builder(32).nocross(16), List.of("size=32", "nocross=16")),
                    // [min, max) window smaller than the block
                    Arguments.of(Constraints.builder(0x20).min(0x100).max(0x110), List.of("min=256", "max=272")),
                    // the only start with this alignment and phase lies at or past max
                    Arguments.of(Constraints.builder(8).align(0x100).phase(0x80).max(0x80),
                            List.of("align=256", "phase=128", "max=128")),
                    // align + phase + min leave the first candidate start past the window
                    Arguments.of(Constraints.builder(8).align(0x100).phase(0x10).min(0x20).max(0x100),
                            List.of("align=256", "phase=16", "min=32", "max=256")),
                    // nocross inside a window: the one start that does not cross ends past max
                    Arguments.of(Constraints.builder(0x20).nocross(0x40).min(0x30).max(0x5f),
                            List.of("nocross=64", "min=48", "max=95")),
                    // a window near the top of the value range, too small for the block
                    Arguments.of(Constraints.builder(16).min(MAX - 8).max(MAX), List.of("min=" + (MAX - 8))));
        }

        @ParameterizedTest
        @MethodSource("overConstrained")
        void constraints_overConstrained_isRejectedNamingTheValues(Constraints.Builder builder, List<String> fragments) {
            assertBadArgument(builder::build, fragments.toArray(new String[0]));
        }

        @ParameterizedTest
        @EnumSource(Policy.class)
        void xalloc_sizeThatExceedsNocrossOnceRoundedToTheQuantum_isRejected(Policy policy) {
            Arena arena = populated();
            Constraints c = Constraints.builder(3).nocross(4).build(); // fine alone; 3 rounds up to 8 > 4
            assertRejected(arena, IllegalArgumentException.class, () -> arena.xalloc(c, policy), "nocross=4",
                    "quantum=8");
            Invariants.assertSound(arena);
        }

        @ParameterizedTest
        @EnumSource(Policy.class)
        void xalloc_windowThatVanishesOnceRoundedToTheQuantum_isRejected(Policy policy) {
            Arena arena = populated();
            Constraints c = Constraints.builder(4).min(0x1001).max(0x100c).build(); // rounds to [0x1008, 0x1008)
            assertRejected(arena, IllegalArgumentException.class, () -> arena.xalloc(c, policy), "min=4097",
                    "max=4108", "quantum=8");
            Invariants.assertSound(arena);
        }

        @ParameterizedTest
        @CsvSource({"16, 16", "32, 16", "0, 0", "4096, 8"})
        void constraints_minNotBelowMax_isRejectedNamingBoth(long min, long max) {
            assertBadArgument(() -> Constraints.builder(1).min(min).max(max).build(), "min=" + min, "max=" + max);
        }

        @ParameterizedTest
        @ValueSource(longs = {-1, -8, Long.MIN_VALUE})
        void constraints_negativeMin_isRejectedNamingIt(long min) {
            assertBadArgument(() -> Constraints.builder(1).min(min).build(), "min=" + min);
        }
    }

    /** Sizes and windows whose arithmetic would overflow near Long.MAX_VALUE. */
    @Nested
    class OverflowNearLongMaxValue {

        @ParameterizedTest
        @ValueSource(longs = {MAX, MAX - 1, MAX - 6})
        void alloc_sizeThatOverflowsWhenRounded_isRejectedNamingTheSize(long size) {
            Arena arena = populated();
            for (Policy policy : Policy.values()) {
                assertRejected(arena, IllegalArgumentException.class, () -> arena.alloc(size, policy), "size=" + size,
                        "quantum=8");
                assertRejected(arena, IllegalArgumentException.class, () -> arena.xalloc(Constraints.of(size), policy),
                        "size=" + size, "quantum=8");
            }
            Invariants.assertSound(arena);
        }

        @Test
        void alloc_largestSizeThatRoundsWithoutOverflow_failsCleanly() {
            Arena arena = populated();
            assertExhausted(arena, () -> arena.alloc(MAX - 7, Policy.INSTANT_FIT), "size=" + (MAX - 7));
            Invariants.assertSound(arena);
        }

        @ParameterizedTest
        @CsvSource({"9223372036854775800, 16", "8, 9223372036854775807", "9223372036854775807, 1"})
        void addSpan_runningPastLongMaxValue_isRejectedNamingBaseAndSize(long base, long size) {
            Arena arena = Arena.builder("top").quantum(1).span(0, 0x1000).build();
            assertRejected(arena, IllegalArgumentException.class, () -> arena.addSpan(base, size), "base=" + base,
                    "size=" + size);
            Invariants.assertSound(arena);
        }

        @Test
        void addSpan_wholeValueRange_isUsableToTheLastValue() {
            Arena arena = Arena.builder("everything").quantum(1).build();
            arena.addSpan(0, MAX);
            assertEquals(MAX, arena.stats().total());

            assertEquals(0, arena.alloc(MAX - 1, Policy.INSTANT_FIT));
            assertExhausted(arena, () -> arena.alloc(2, Policy.BEST_FIT), "size=2");
            assertEquals(MAX - 1, arena.alloc(1, Policy.NEXT_FIT), "the last value, MAX - 1, is allocatable");
            assertEquals(0, arena.stats().free());
            assertExhausted(arena, () -> arena.alloc(1, Policy.NEXT_FIT), "size=1");

            arena.free(MAX - 1, 1);
            arena.free(0, MAX - 1);
            assertEquals(0, arena.alloc(MAX, Policy.BEST_FIT), "one block of every value");
            arena.free(0);
            Invariants.assertSound(arena);
        }

        @ParameterizedTest
        @EnumSource(Policy.class)
        void xalloc_windowAtTheTopOfTheValueRange_roundsWithoutOverflow(Policy policy) {
            long top = MAX - 7; // the highest multiple of 8 that can end a span
            Arena arena = Arena.builder("top").quantum(8).span(top - 0x1000, 0x1000).build();

            // Valid as given, but empty once min is rounded up and max down to the quantum.
            Constraints c = Constraints.builder(8).min(MAX - 8).max(MAX).build();
            assertRejected(arena, IllegalArgumentException.class, () -> arena.xalloc(c, policy), "min=" + (MAX - 8),
                    "quantum=8");
            // Valid as given, but min rounds up past Long.MAX_VALUE.
            Constraints past = Constraints.builder(1).min(MAX - 1).max(MAX).build();
            assertRejected(arena, IllegalArgumentException.class, () -> arena.xalloc(past, policy), "min=" + (MAX - 1),
                    "quantum=8");

            // The last block below the top is reachable.
            assertEquals(top - 8, arena.xalloc(Constraints.builder(8).min(MAX - 15).max(MAX).build(), policy));
            Invariants.assertSound(arena);
        }
    }

    /** Spans that are unaligned, negative or overlap another. */
    @Nested
    class Spans {

        @ParameterizedTest
        @CsvSource({"4100, 256", "4096, 260", "4100, 260", "-8, 16", "-4, 16"})
        void addSpan_unalignedOrNegative_isRejectedNamingTheValue(long base, long size) {
            Arena arena = populated();
            String named = (base % 8 != 0 || base < 0) ? "base=" + base : "size=" + size;
            assertRejected(arena, IllegalArgumentException.class, () -> arena.addSpan(base, size), named);
            Invariants.assertSound(arena);
        }

        @Test
        void builder_unalignedSpan_isRejectedNamingIt() {
            assertBadArgument(() -> Arena.builder("b").quantum(8).span(0x1004, 8).build(), "base=4100", "quantum=8");
        }

        static Stream<Arguments> overlappingSpans() {
            return Stream.of(
                    Arguments.of("identical", 0x1000L, 0x1000L),
                    Arguments.of("partially overlapping from the left", 0x800L, 0x1000L),
                    Arguments.of("partially overlapping from the right", 0x1800L, 0x1000L),
                    Arguments.of("containing", 0x800L, 0x2000L),
                    Arguments.of("contained", 0x1400L, 0x400L),
                    Arguments.of("sharing the first value", 0x1000L, 0x8L),
                    Arguments.of("sharing the last value", 0x1ff8L, 0x8L),
                    Arguments.of("containing two spans", 0L, 0x10000L));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("overlappingSpans")
        void addSpan_overlappingAnExistingSpan_isRejectedNamingBothRanges(String name, long base, long size) {
            Arena arena = populated();
            arena.addSpan(0x4000, 0x1000);
            assertRejected(arena, IllegalArgumentException.class, () -> arena.addSpan(base, size),
                    "[" + base + ", " + (base + size) + ")", "overlaps");
            Invariants.assertSound(arena);
        }

        @Test
        void addSpan_adjacentOnBothSides_isAccepted() {
            Arena arena = populated();
            arena.addSpan(0x800, 0x800);
            arena.addSpan(0x2000, 0x800);
            ArenaStats stats = arena.stats();
            assertEquals(3, stats.spans());
            assertEquals(0x2000, stats.total());
            assertEquals(List.of(new Segment(0x800, 0x800, Segment.Kind.SPAN), new Segment(0x800, 0x800, Segment.Kind.FREE),
                    new Segment(0x1000, 0x1000, Segment.Kind.SPAN), new Segment(0x1000, 0x20, Segment.Kind.ALLOCATED),
                    new Segment(0x1020, 0x10, Segment.Kind.ALLOCATED), new Segment(0x1030, 0xfd0, Segment.Kind.FREE),
                    new Segment(0x2000, 0x800, Segment.Kind.SPAN), new Segment(0x2000, 0x800, Segment.Kind.FREE)),
                    arena.segments(), "spans are never merged, and their segments never coalesce across them");
            Invariants.assertSound(arena);
        }
    }

    /** A free of no live allocation, or with the wrong size. */
    @Nested
    class Free {

        @Test
        void free_doubleFree_isRejectedNamingTheBase() {
            Arena arena = populated();
            arena.free(0x1000);
            assertRejected(arena, InvalidFreeException.class, () -> arena.free(0x1000), "base=4096");
            assertRejected(arena, InvalidFreeException.class, () -> arena.free(0x1000, 0x20), "base=4096");
            Invariants.assertSound(arena);
        }

        @ParameterizedTest
        @ValueSource(longs = {
            0x1008,  // inside the live block [0x1000, 0x1020), not its base
            0x1010,  // the middle of that block
            0x1030,  // the base of the free segment
            0x1800,  // inside the free segment
            0x9000,  // outside every span
            0xfff,   // just below the span
            0x2000,  // the span's end
            -1,      // NONE
            Long.MIN_VALUE})
        void free_valueThatIsNotTheBaseOfALiveAllocation_isRejectedNamingIt(long base) {
            Arena arena = populated();
            assertRejected(arena, InvalidFreeException.class, () -> arena.free(base), "base=" + base);
            assertRejected(arena, InvalidFreeException.class, () -> arena.free(base, 8), "base=" + base);
            Invariants.assertSound(arena);
        }

        @ParameterizedTest
        @ValueSource(longs = {8, 0x10, 0x18, 0x28, 0x40, MAX})
        void free_wrongSize_isRejectedNamingBothSizes(long size) {
            Arena arena = populated();
            assertRejected(arena, InvalidFreeException.class, () -> arena.free(0x1000, size), "size=" + size,
                    "size=32");
            arena.free(0x1000, 0x1c); // a size that rounds to the block's size is the right size
            Invariants.assertSound(arena);
        }
    }

    /** Builder settings that make no arena. */
    @Nested
    class BuilderSettings {

        @ParameterizedTest
        @ValueSource(longs = {12, 4, -8, 1})
        void builder_importQuantumNotAPositiveMultipleOfTheQuantum_isRejectedNamingIt(long importQuantum) {
            assertBadArgument(() -> Arena.builder("iq").quantum(8).importQuantum(importQuantum).build(),
                    "importQuantum=" + importQuantum);
        }

        @ParameterizedTest
        @ValueSource(longs = {12, -8, 8 * (Arena.MAX_QCACHE_QUANTA + 1), 8 * 1024, MAX})
        void builder_qcacheMaxNotAMultipleOrTooLarge_isRejectedNamingIt(long qcacheMax) {
            assertBadArgument(() -> Arena.builder("qc").quantum(8).qcacheMax(qcacheMax).build(), "qcacheMax=" + qcacheMax);
        }

        @Test
        void builder_qcacheMaxAtTheLimit_isAccepted() {
            Arena arena = Arena.builder("qc").quantum(8).qcacheMax(8 * Arena.MAX_QCACHE_QUANTA).build();
            assertEquals(8 * Arena.MAX_QCACHE_QUANTA, arena.qcacheMax());
            Invariants.assertSound(arena);
        }

        @ParameterizedTest
        @ValueSource(strings = {"", " ", "\t", "  \n "})
        void builder_blankLabel_isRejected(String label) {
            assertBadArgument(() -> Arena.builder(label).build(), "label");
        }

        @Test
        void builder_nullLabel_isRejected() {
            NullPointerException e = assertThrows(NullPointerException.class, () -> Arena.builder(null));
            assertMentions(e, "label");
        }

        @Test
        void builder_sourceWithAQuantumThatIsNotAPowerOfTwo_isRejectedNamingIt() {
            Source odd = RecordingSource.scripted(3, r -> {
                throw new ArenaExhaustedException("never called");
            });
            assertBadArgument(() -> Arena.builder("child").quantum(8).source(odd).build(), "quantum=3");
        }
    }

    /** Requests that run out of space: an expected outcome, whose message names the request. */
    @Nested
    class Exhaustion {

        @ParameterizedTest
        @EnumSource(Policy.class)
        void alloc_largerThanTheFreeSpace_isExhaustedNamingTheSize(Policy policy) {
            Arena arena = populated();
            assertExhausted(arena, () -> arena.alloc(0x1000, policy), "size=4096");
            assertEquals(Arena.NONE, arena.tryAlloc(0x1000, policy));
            assertExhausted(arena, () -> arena.xalloc(Constraints.builder(0x10).align(0x10000).build(), policy),
                    "size=16", "align=65536");
            Invariants.assertSound(arena);
        }

        @Test
        void exhaustionMessage_showsAStateTheArenaHad() throws InterruptedException {
            // Guards against: the exhaustion message reading total and free outside the lock, showing states the arena
            // never had.
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
            }, "exhaustion-race-writer");
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
    }

    /** Calls on a closed arena, or through a closed source. */
    @Nested
    class ClosedArena {

        @Test
        void closedArena_everyOperation_throwsIllegalStateAndChangesNothing() {
            Arena arena = populated();
            arena.close();
            arena.close(); // idempotent
            String closed = "closed";
            String label = "'bad-input'";
            assertRejected(arena, IllegalStateException.class, () -> arena.alloc(8, Policy.INSTANT_FIT), closed, label);
            assertRejected(arena, IllegalStateException.class, () -> arena.tryAlloc(8, Policy.NEXT_FIT), closed, label);
            assertRejected(arena, IllegalStateException.class,
                    () -> arena.xalloc(Constraints.builder(8).align(16).build(), Policy.BEST_FIT), closed, label);
            assertRejected(arena, IllegalStateException.class,
                    () -> arena.tryXalloc(Constraints.of(8), Policy.INSTANT_FIT), closed, label);
            assertRejected(arena, IllegalStateException.class, () -> arena.free(0x1000), closed, label);
            assertRejected(arena, IllegalStateException.class, () -> arena.free(0x1000, 0x20), closed, label);
            assertRejected(arena, IllegalStateException.class, () -> arena.addSpan(0x8000, 0x1000), closed, label);
            assertRejected(arena, IllegalStateException.class, () -> arena.asSource().importSpan(Constraints.of(8)), closed, label);
            assertRejected(arena, IllegalStateException.class, () -> arena.asSource().releaseSpan(0x1000, 0x20), closed, label);
            Invariants.assertSound(arena);
        }

        @Test
        void closedSource_importingArenaFailsCleanly() {
            Arena root = Arena.builder("root").quantum(8).span(0x10000, 0x1000).build();
            Arena child = Arena.builder("child").quantum(8).source(root).build();
            root.close();
            String dump = child.dump();
            ArenaStats stats = child.stats();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> child.alloc(8, Policy.INSTANT_FIT));
            assertMentions(e, "'root'", "closed");
            assertEquals(dump, child.dump());
            assertEquals(stats, child.stats());
            Invariants.assertSound(child, root);
        }
    }
}

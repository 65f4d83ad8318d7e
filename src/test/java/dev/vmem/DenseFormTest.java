package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Spans in dense form ({@link DenseSpan}) behave exactly as spans of boundary tags: the model runs pass
 * with spans moving between the forms all the time, NEXT_FIT and BEST_FIT place every block where the
 * boundary-tag list alone places it, and bad frees are refused with the arena unchanged.
 */
class DenseFormTest {
    /**
     * Moves spans all the time: any span holding an allocation enters at the review after every allocation,
     * and leaves after the next operation unless a quarter of it is allocated.
     */
    static final DenseRule RESTLESS = new DenseRule(1, 1L << 40, 1L << 36, 1L << 36, 4, 1L << 36, 1L << 36, 1, 3);
    /** Moves every span holding an allocation to dense form at once, and keeps it there. */
    static final DenseRule STICKY = new DenseRule(1, 1L << 40, 1L << 36, 1L << 36, Long.MAX_VALUE, 1L << 36, 1L << 36, 1, 5);
    private static final List<Arena> CREATED = new ArrayList<>();

    static Arena restless(Arena a) {
        a.engine.forms.use(RESTLESS);
        return a;
    }

    /** The model backend with arenas that use {@code rule}. */
    static ArenaModelTest.Backend backend(DenseRule rule) {
        return new ArenaModelTest.Backend() {
            @Override
            public VmemArena parent(long parentQ, long base, long size) {
                Arena a = made(Arena.builder("parent").quantum(parentQ).build());
                a.addSpan(base, size);
                return a;
            }

            @Override
            public VmemArena arena(String label, long quantum, VmemArena parent, long importQuantum) {
                Arena.Builder b = Arena.builder(label).quantum(quantum);
                if (parent != null) {
                    b.source((Arena) parent).importQuantum(importQuantum);
                }
                return made(b.build());
            }

            private Arena made(Arena a) {
                a.engine.forms.use(rule);
                CREATED.add(a);
                return a;
            }
        };
    }

    static Stream<Arguments> configurations() {
        List<Arguments> out = new ArrayList<>();
        for (String rule : List.of("restless", "sticky")) {
            for (Policy policy : Policy.values()) {
                for (long quantum : new long[] {1, 4096}) {
                    out.add(Arguments.of(rule, policy, quantum, false));
                    out.add(Arguments.of(rule, policy, quantum, true));
                }
            }
        }
        return out.stream();
    }

    @Nested
    class TheModelRuns {
        @ParameterizedTest(name = "{0}, {1}, quantum={2}, source={3}")
        @MethodSource("dev.vmem.DenseFormTest#configurations")
        void randomOperations_withSpansInBothForms_agreeWithTheModel(String rule, Policy policy, long quantum,
                                                                     boolean withSource) {
            long seed = 0xDE45_0000L + policy.ordinal() * 10L + Long.numberOfTrailingZeros(quantum) + (withSource ? 5 : 0)
                    + (rule.equals("sticky") ? 100 : 0);
            CREATED.clear();
            ArenaModelTest.Run run = new ArenaModelTest.Run(backend(rule.equals("sticky") ? STICKY : RESTLESS), seed,
                    policy, quantum, withSource);
            run.execute(4000, () -> { });
            long moves = CREATED.stream().mapToLong(a -> a.engine.forms.moves).sum();
            System.out.println("dense model " + rule + " " + policy + " q=" + quantum + " source=" + withSource
                    + " seed=" + seed + ": " + moves + " moves between forms");
            assertTrue(moves >= (rule.equals("sticky") ? 1 : 1000), "seed=" + seed + ": spans moved between the forms "
                    + moves + " times");
        }
    }

    @Nested
    class Placements {
        /**
         * NEXT_FIT and BEST_FIT, plain and constrained, on two arenas fed the same operations: one kept in
         * boundary tags, one whose spans move between forms. Every result and every segment list agree.
         */
        @ParameterizedTest(name = "quantum={0}")
        @MethodSource("dev.vmem.DenseFormTest#quanta")
        void nextFitAndBestFit_placeEveryBlockWhereTheListAlonePlacesIt(long quantum) {
            long seed = 0xB10C_5EEDL + quantum;
            System.out.println("dense placements seed=" + seed + " quantum=" + quantum);
            SplittableRandom rnd = new SplittableRandom(seed);
            Arena tags = Arena.builder("tags").quantum(quantum).span(0, 3000 * quantum).span(5000 * quantum, 700 * quantum)
                    .build();
            tags.engine.forms.use(DenseRule.NEVER);
            Arena dense = restless(Arena.builder("dense").quantum(quantum).span(0, 3000 * quantum)
                    .span(5000 * quantum, 700 * quantum).build());
            List<Long> live = new ArrayList<>();
            for (int step = 0; step < 6000; step++) {
                String where = "seed=" + seed + " step=" + step;
                if (live.isEmpty() || rnd.nextInt(100) < 56) {
                    Policy policy = rnd.nextBoolean() ? Policy.NEXT_FIT : Policy.BEST_FIT;
                    long size = (rnd.nextInt(5) == 0 ? 1 + rnd.nextInt(9) : 1) * quantum;
                    Constraints c = rnd.nextInt(4) != 0 ? Constraints.builder(size).build()
                            : Constraints.builder(size).align(quantum << rnd.nextInt(4))
                            .min(rnd.nextInt(3000) * quantum).max(Constraints.NO_MAX).build();
                    long expected = tags.tryXalloc(c, policy);
                    long got = dense.tryXalloc(c, policy);
                    assertEquals(expected, got, where + ": " + policy + " " + c);
                    if (got != Arena.NONE) {
                        live.add(got);
                    }
                } else {
                    long base = live.remove(rnd.nextInt(live.size()));
                    tags.free(base);
                    dense.free(base);
                }
                if (step % 50 == 0) {
                    assertEquals(tags.segments(), dense.segments(), where);
                    assertEquals(tags.stats(), dense.stats(), where);
                    assertEquals(tags.nextFitCursor(), dense.nextFitCursor(), where);
                }
            }
            assertTrue(dense.engine.forms.moves > 20, "the spans moved between forms: " + dense.engine.forms.moves);
            assertEquals(List.of(), tags.checkInvariants());
            assertEquals(List.of(), dense.checkInvariants());
        }
    }

    static Stream<Long> quanta() {
        return Stream.of(1L, 8L, 4096L);
    }

    @Nested
    class BadFrees {
        @Test
        void doubleWrongSizeNeverAllocatedAndForeign_areRefusedWithTheArenaUnchanged() {
            Arena a = Arena.builder("ids").quantum(1).span(0, 10_000).build();
            a.engine.forms.use(new DenseRule(2, 10_000, 2, 1L << 36, 1_000_000, 8, 1L << 36, 1, 0));
            long[] ids = new long[100];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = a.alloc(1, Policy.NEXT_FIT);
            }
            long pair = a.alloc(2, Policy.NEXT_FIT);
            a.free(ids[50]);
            assertTrue(a.engine.forms.holding(ids[0]) != null, "the span is dense: " + a.engine.forms.dense);
            List<Segment> before = a.segments();
            ArenaStats stats = a.stats();
            InvalidFreeException twice = assertThrows(InvalidFreeException.class, () -> a.free(ids[50]));
            assertTrue(twice.getMessage().contains("base=" + ids[50]), twice.getMessage());
            InvalidFreeException size = assertThrows(InvalidFreeException.class, () -> a.free(pair, 1));
            assertTrue(size.getMessage().contains("has size=2"), size.getMessage());
            InvalidFreeException inside = assertThrows(InvalidFreeException.class, () -> a.free(pair + 1));
            assertTrue(inside.getMessage().contains("not the base of a live allocation"), inside.getMessage());
            InvalidFreeException never = assertThrows(InvalidFreeException.class, () -> a.free(9_000));
            assertTrue(never.getMessage().contains("base=9000"), never.getMessage());
            InvalidFreeException foreign = assertThrows(InvalidFreeException.class, () -> a.free(20_000));
            assertTrue(foreign.getMessage().contains("is in no span"), foreign.getMessage());
            assertEquals(before, a.segments());
            assertEquals(stats, a.stats());
            assertEquals(List.of(), a.checkInvariants());
        }
    }

    @Nested
    class Concurrency {
        /**
         * Four threads hand single IDs out and back under every policy on an arena whose span is dense (and,
         * with the restless rule, moves between forms): no value is ever held twice, and at the end the
         * figures match what the threads hold.
         */
        @ParameterizedTest(name = "{0}")
        @MethodSource("dev.vmem.DenseFormTest#rules")
        void threadsSharingADenseArena_neverGetOneValueTwice(String ruleName) throws Exception {
            long seed = 0xC0C0_0000L + ruleName.length();
            System.out.println("dense concurrency seed=" + seed + " rule=" + ruleName);
            Arena a = Arena.builder("ids").quantum(1).span(0, 1 << 14).build();
            a.engine.forms.use(ruleName.equals("sticky") ? STICKY : RESTLESS);
            java.util.concurrent.ConcurrentHashMap<Long, Integer> held = new java.util.concurrent.ConcurrentHashMap<>();
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 4; t++) {
                int id = t;
                threads.add(new Thread(() -> {
                    SplittableRandom rnd = new SplittableRandom(seed + id);
                    List<Long> mine = new ArrayList<>();
                    try {
                        for (int i = 0; i < 20_000; i++) {
                            if (mine.isEmpty() || rnd.nextInt(100) < 55) {
                                long v = a.tryAlloc(1 + (rnd.nextInt(8) == 0 ? 1 : 0), Policy.values()[rnd.nextInt(3)]);
                                if (v != Arena.NONE) {
                                    Integer other = held.putIfAbsent(v, id);
                                    if (other != null) {
                                        throw new AssertionError("value " + v + " handed to thread " + id
                                                + " while thread " + other + " holds it");
                                    }
                                    mine.add(v);
                                }
                            } else {
                                long v = mine.remove(rnd.nextInt(mine.size()));
                                held.remove(v);
                                a.free(v);
                            }
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.start();
            }
            for (Thread t : threads) {
                t.join(60_000);
                assertTrue(!t.isAlive(), "a thread did not finish in 60 s");
            }
            assertEquals(List.of(), failures, "seed=" + seed);
            assertEquals(held.size(), a.stats().liveAllocations(), "seed=" + seed);
            assertEquals(List.of(), a.checkInvariants(), "seed=" + seed);
        }
    }

    static Stream<String> rules() {
        return Stream.of("sticky", "restless");
    }

    @Nested
    class TheDefaultRule {
        /**
         * A pool of IDs handed out one by one stays in boundary tags while they sit side by side, goes dense
         * once frees leave gaps between them, and goes back when allocations grow large.
         */
        @Test
        void idsGoDenseOnceGapped_andLargeBlocksBringTheSpanBack() {
            Arena a = Arena.builder("pids").quantum(1).span(0, 1 << 20).build();
            List<Long> ids = new ArrayList<>();
            for (int i = 0; i < 20_000; i++) {
                ids.add(a.alloc(1, Policy.NEXT_FIT));
            }
            assertEquals(0, a.engine.forms.dense.size(), "20,000 IDs side by side: no gaps, boundary tags");
            for (int i = 0; i < 20_000; i += 2) {
                a.free(ids.get(i));
            }
            ids.removeIf(id -> id % 2 == 0);
            for (int i = 0; i < 20_000; i++) { // past the next review: every half as many allocations as segments
                ids.add(a.alloc(1, Policy.NEXT_FIT));
            }
            assertEquals(1, a.engine.forms.dense.size(), "30,000 single IDs with 10,000 gaps in 2^20: dense");
            assertEquals(0, a.engine.table.size(), "no boundary tag holds an allocation");
            for (int i = 0; i < 5000; i++) {
                a.alloc(64, Policy.INSTANT_FIT);
            }
            assertEquals(0, a.engine.forms.dense.size(), "a mean over 8 quanta per allocation: boundary tags again");
            for (long id : ids) {
                a.free(id);
            }
            assertEquals(List.of(), a.checkInvariants());
            assertEquals(5000, a.stats().liveAllocations());
        }

        /**
         * A pool of 70,000 single IDs side by side, taken and given back by INSTANT_FIT, goes dense past 65,536
         * however few its gaps, answers as its twin in boundary tags does, and goes back only once it falls
         * below 32,768 with few gaps.
         */
        @Test
        void aLargePackedPool_goesDenseWithoutGaps_andBackBelowHalfThat() {
            long seed = 65_536;
            System.out.println("packed pool seed=" + seed);
            SplittableRandom rnd = new SplittableRandom(seed);
            Arena tags = Arena.builder("tags").quantum(1).span(0, 1 << 20).build();
            tags.engine.forms.use(DenseRule.NEVER);
            Arena a = Arena.builder("ids").quantum(1).span(0, 1 << 20).build();
            List<Long> ids = new ArrayList<>();
            for (int i = 0; i < 70_000; i++) {
                long id = a.alloc(1, Policy.INSTANT_FIT);
                assertEquals(tags.alloc(1, Policy.INSTANT_FIT), id);
                ids.add(id);
            }
            for (int step = 0; step < 40_000; step++) { // past the next review: every half as many as segments
                int i = rnd.nextInt(ids.size());
                a.free(ids.get(i), 1);
                tags.free(ids.get(i), 1);
                long id = a.alloc(1, Policy.INSTANT_FIT);
                assertEquals(tags.alloc(1, Policy.INSTANT_FIT), id, "seed=" + seed + " step=" + step);
                ids.set(i, id);
            }
            assertEquals(1, a.engine.forms.dense.size(), "70,000 single IDs side by side: dense");
            assertEquals(0, a.engine.table.size(), "no boundary tag holds an allocation");
            assertEquals(tags.segments(), a.segments());
            assertEquals(tags.stats(), a.stats());
            ids.sort(null);
            while (ids.size() > 32_768) { // from the top: the tail's free run grows, no gap opens
                long id = ids.remove(ids.size() - 1);
                a.free(id);
                tags.free(id);
                assertEquals(1, a.engine.forms.dense.size(), ids.size() + " live: still dense");
            }
            a.free(ids.remove(ids.size() - 1));
            assertEquals(0, a.engine.forms.dense.size(), "32,767 live in one run: boundary tags again");
            assertEquals(32_767, a.stats().liveAllocations());
            assertEquals(List.of(), a.checkInvariants());
            assertEquals(List.of(), tags.checkInvariants());
        }

        /**
         * A large pool with gaps too few for the per-gap bound and too many to be packed stays in boundary tags,
         * where BEST_FIT searches one size class (in a dense span it would visit every free run); and a packed
         * dense pool goes back at the free that opens its 65th gap.
         */
        @Test
        void aLargePoolWithSomeGaps_staysInTags_aPackedOneLeavesAtItsSixtyFifthGap() {
            Arena gapped = Arena.builder("blocks").quantum(1).span(0, 1 << 20).build();
            for (int i = 0; i < 210_000; i++) {
                gapped.alloc(1, Policy.NEXT_FIT);
            }
            for (int i = 0; i < 210_000; i += 21) { // 200,000 live, 10,000 single gaps: 20 per gap
                gapped.free(i, 1);
            }
            gapped.engine.forms.review();
            assertEquals(0, gapped.engine.forms.dense.size(), "20 allocations per gap, 10,001 gaps: boundary tags");
            assertEquals(List.of(), gapped.checkInvariants());

            Arena packed = Arena.builder("ids").quantum(1).span(0, 1 << 20).build();
            for (int i = 0; i < 70_000; i++) {
                packed.alloc(1, Policy.INSTANT_FIT);
            }
            packed.engine.forms.review();
            assertEquals(1, packed.engine.forms.dense.size(), "70,000 side by side, one gap: packed");
            int freed = 0;
            for (long id = 10; packed.engine.forms.dense.size() == 1; id += 100) {
                long runs = packed.engine.forms.dense.get(0).bits.freeRuns();
                assertTrue(runs <= 64, runs + " gaps in a packed dense span");
                packed.free(id, 1);
                freed++;
                if (packed.engine.forms.dense.isEmpty()) {
                    assertEquals(64, runs, "left at the free that opened gap " + (runs + 1));
                }
            }
            assertEquals(64, freed);
            assertEquals(70_000 - 64, packed.stats().liveAllocations());
            assertEquals(List.of(), packed.checkInvariants());
        }

        /**
         * Pages in one span, packed with no gaps (as the INSTANT_FIT page-pair benchmark holds them): the
         * arena-wide figures are that span's, so no review walks it. A second span brings back the walk at
         * every fourth review, where one span may qualify beside another.
         */
        @Test
        void aSingleListSpanThatCannotEnter_isNeverWalked_twoSpansAreAtEveryFourthReview() {
            Arena one = Arena.builder("pages").quantum(4096).span(0, 1L << 30).build();
            Arena two = Arena.builder("pages").quantum(4096).span(0, 1L << 30).span(1L << 31, 1L << 30).build();
            for (Arena a : List.of(one, two)) {
                for (int i = 0; i < 10_000; i++) {
                    a.alloc(4096 * (1 + (i % 3)), Policy.INSTANT_FIT);
                }
                for (int i = 0; i < 8 * 4096; i++) { // eight reviews
                    a.free(a.alloc(4096, Policy.INSTANT_FIT));
                }
                assertEquals(0, a.engine.forms.dense.size());
                assertEquals(List.of(), a.checkInvariants());
            }
            assertEquals(0, one.engine.forms.walks);
            assertEquals(2, two.engine.forms.walks, "the fourth and the eighth of ten reviews");
        }
    }
}

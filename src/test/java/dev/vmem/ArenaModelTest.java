package dev.vmem;

import static dev.vmem.ArenaModelOracle.NONE;
import static dev.vmem.ArenaModelOracle.brief;
import static dev.vmem.ArenaModelOracle.freeRanges;
import static dev.vmem.ArenaModelOracle.lowestAdmissible;
import static dev.vmem.ArenaModelOracle.lowestAnywhere;
import static dev.vmem.ArenaModelOracle.nextFitExpected;
import static dev.vmem.ArenaModelOracle.roundDown;
import static dev.vmem.ArenaModelOracle.roundUp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vmem.ArenaModelOracle.Block;
import dev.vmem.ArenaModelOracle.Range;
import dev.vmem.ArenaModelOracle.RoundedRequest;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Model-based tests: seeded random sequences of addSpan, alloc, xalloc, free, claim and reconcile (the last
 * two in {@link ModelClaims}), each checked against a reference model (a {@code TreeMap} of live blocks plus
 * the spans) after every step.
 *
 * <p>The placement oracle ({@link ArenaModelOracle}) is written independently of {@code Fit}, and is
 * itself checked against a linear scan. Seeds are fixed per configuration; {@code -Dvmem.seed=N}
 * overrides them all, {@code -Dvmem.model.steps=N} changes the length of each run.
 */
public class ArenaModelTest {
    /**
     * Makes the arenas a run works on: in memory here; a persistent store reuses the whole model test
     * through this seam.
     */
    public interface Backend {
        /** A parent arena of quantum {@code parentQ} holding {@code [base, base + size)}. */
        VmemArena parent(long parentQ, long base, long size);

        /** An arena of {@code quantum}; with {@code parent} non-null, importing from it. */
        VmemArena arena(String label, long quantum, VmemArena parent, long importQuantum);

        /** As {@link #arena(String, long, VmemArena, long)}, with a quarantine read from {@code clock}. */
        default VmemArena arena(String label, long quantum, VmemArena parent, long importQuantum, Quarantine quarantine,
                InstantSource clock) {
            if (quarantine.isActive()) {
                throw new UnsupportedOperationException("this backend has no quarantine");
            }
            return arena(label, quantum, parent, importQuantum);
        }
    }

    /** The in-memory backend. */
    public static final Backend MEMORY = new Backend() {
        @Override
        public VmemArena parent(long parentQ, long base, long size) {
            return Arena.builder("parent").quantum(parentQ).span(base, size).build();
        }

        @Override
        public VmemArena arena(String label, long quantum, VmemArena parent, long importQuantum) {
            return arena(label, quantum, parent, importQuantum, Quarantine.NONE, QuarantineTest.ManualClock.FIXED);
        }

        @Override
        public VmemArena arena(String label, long quantum, VmemArena parent, long importQuantum, Quarantine quarantine,
                InstantSource clock) {
            Arena.Builder b = Arena.builder(label).quantum(quantum).quarantine(quarantine).quarantineClock(clock);
            if (parent != null) {
                b.source((Arena) parent).importQuantum(importQuantum);
            }
            return b.build();
        }
    };

    private static final int STEPS = Integer.getInteger("vmem.model.steps", 7000);
    private static final long[] QUANTA = {1, 8, 4096};
    private static final AtomicLong TOTAL_OPERATIONS = new AtomicLong();

    @AfterAll
    static void reportOperations() {
        System.out.println("model operations in total: " + TOTAL_OPERATIONS.get());
    }

    /** The placement oracle the model runs are checked with, checked itself against a linear scan. */
    @Nested
    class Oracle {

        @Test
        void lowestAdmissible_agreesWithLinearScan() {
            long seed = Long.getLong("vmem.seed", 42);
            SplittableRandom rnd = new SplittableRandom(seed);
            for (int i = 0; i < 200_000; i++) {
                long lo = rnd.nextLong(200);
                long hi = lo + rnd.nextLong(120);
                long size = 1 + rnd.nextLong(40);
                long align = 1L << rnd.nextInt(7);
                long phase = rnd.nextLong(align);
                long nocross = rnd.nextInt(3) == 0 ? 0 : 1L << rnd.nextInt(8);
                long expected = NONE;
                for (long s = lo; s + size <= hi; s++) {
                    if (s % align == phase && (nocross == 0 || s / nocross == (s + size - 1) / nocross)) {
                        expected = s;
                        break;
                    }
                }
                assertEquals(expected, lowestAdmissible(lo, hi, size, align, phase, nocross),
                        "seed=" + seed + " lo=" + lo + " hi=" + hi + " size=" + size + " align=" + align + " phase=" + phase
                                + " nocross=" + nocross);
            }
        }
    }

    /** Seeded runs of random operations, each step checked against the reference model. */
    @Nested
    class RandomOperations {

        static Stream<Arguments> configurations() {
            List<Arguments> out = new ArrayList<>();
            for (Policy policy : Policy.values()) {
                for (long quantum : QUANTA) {
                    out.add(Arguments.of(policy, quantum, false));
                    out.add(Arguments.of(policy, quantum, true));
                }
            }
            return out.stream();
        }

        @ParameterizedTest(name = "{0}, quantum={1}, source={2}, quarantined")
        @MethodSource("configurations")
        void randomOperationsWithQuarantine_agreeWithReferenceModel(Policy policy, long quantum, boolean withSource) {
            long seed = Long.getLong("vmem.seed",
                    0x0A4A_0000L + policy.ordinal() * 100L + Long.numberOfTrailingZeros(quantum) * 2L + (withSource ? 1 : 0));
            // The rule by seed: a delay, a count, or both.
            long kind = seed % 3;
            Quarantine rule = kind == 0 ? Quarantine.of(Duration.ofMillis(20)) : kind == 1 ? Quarantine.ofFrees(12)
                    : Quarantine.of(Duration.ofMillis(10)).withFrees(5);
            Run run = new Run(MEMORY, seed, policy, quantum, withSource, rule);
            try {
                run.execute(STEPS / 3);
            } finally {
                TOTAL_OPERATIONS.addAndGet(run.operations);
                System.out.printf("model %-11s q=%-4d source=%-5b %s seed=%d ops=%d allocs=%d exhausted=%d released=%d%n",
                        policy, quantum, withSource, rule, seed, run.operations, run.allocations, run.failures,
                        run.releasedModel);
            }
            assertTrue(run.allocations > STEPS / 20, "seed=" + seed + ": too few successful allocations: " + run.allocations);
            assertTrue(run.releasedModel > 0, "seed=" + seed + ": nothing ever left quarantine");
        }

        @ParameterizedTest(name = "{0}, quantum={1}, source={2}")
        @MethodSource("configurations")
        void randomOperations_agreeWithReferenceModel(Policy policy, long quantum, boolean withSource) {
            long seed = Long.getLong("vmem.seed",
                    0x5EED_0000L + policy.ordinal() * 100L + Long.numberOfTrailingZeros(quantum) * 2L + (withSource ? 1 : 0));
            Run run = new Run(MEMORY, seed, policy, quantum, withSource);
            try {
                run.execute(STEPS);
            } finally {
                TOTAL_OPERATIONS.addAndGet(run.operations);
                System.out.printf("model %-11s q=%-4d source=%-5b seed=%d parentQ=%d ops=%d allocs=%d exhausted=%d "
                                + "ctorRejected=%d arenaRejected=%d badFrees=%d imports=%d claims=%d reconciles=%d%n",
                        policy, quantum, withSource, seed, run.parentQ, run.operations, run.allocations, run.failures,
                        run.ctorRejected, run.arenaRejected, run.badFrees, run.importingAllocs, run.claims,
                        run.reconciles);
            }
            assertTrue(run.allocations > STEPS / 10, "seed=" + seed + ": too few successful allocations: " + run.allocations);
            assertTrue(run.claims > STEPS / 100 && run.reconciles > STEPS / 400, "seed=" + seed + ": too few claims "
                    + run.claims + " or reconciles " + run.reconciles);
        }
    }


    /** One seeded run of random operations against one arena (and its parent, if any). */
    public static final class Run {
        final long seed;
        final Policy policy;
        final long q;
        final SplittableRandom rnd;
        VmemArena arena;
        VmemArena parent;
        final long parentQ;
        final long grain;
        /** Spans added to the child with addSpan lie in [0, ownEnd); the parent's one span follows. */
        final long ownEnd;
        final long parentBase;
        final long parentSize;
        final long addedCap;

        final TreeMap<Long, Long> spans = new TreeMap<>();
        final TreeMap<Long, Block> live = new TreeMap<>();
        long allocatedModel;
        long rotor;
        long allocations;
        long frees;
        long failures;
        long operations;
        long ctorRejected;
        long arenaRejected;
        long badFrees;
        long importingAllocs;
        /** Claims that succeeded and reconciles that changed something, by {@link ModelClaims}. */
        long claims;
        long reconciles;

        int step;
        String ctx;
        List<Segment> lastSegments;
        ArenaStats lastStats;
        List<Segment> lastParentSegments;
        ArenaStats lastParentStats;
        TreeMap<Long, Long> imported = new TreeMap<>();
        /** The quarantine rule and the model's queue of held blocks, oldest first: {base, size, due}. */
        final Quarantine rule;
        final QuarantineTest.ManualClock clock = new QuarantineTest.ManualClock();
        final ArrayDeque<long[]> held = new ArrayDeque<>();
        final TreeMap<Long, Block> heldBlocks = new TreeMap<>();
        long heldModel;
        long releasedModel;
        /** When the arena reads the clock, followed by the model in step: null without a delay. */
        final ClockReadings readings;
        /** The newest held blocks, not yet stamped with a reading. */
        int pendingModel;

        public Run(Backend backend, long seed, Policy policy, long quantum, boolean withSource) {
            this(backend, seed, policy, quantum, withSource, Quarantine.NONE);
        }

        public Run(Backend backend, long seed, Policy policy, long quantum, boolean withSource, Quarantine rule) {
            this.rule = rule;
            this.readings = rule.delay().isZero() ? null : new ClockReadings(clock, rule.delayMillis());
            this.seed = seed;
            this.policy = policy;
            this.q = quantum;
            this.rnd = new SplittableRandom(seed);
            this.ctx = "seed=" + seed + " (" + policy + ", quantum=" + quantum + ", source=" + withSource + ") setup";
            this.ownEnd = 8192 * quantum;
            int qIndex = quantum == 1 ? 0 : quantum == 8 ? 1 : 2;
            if (withSource) {
                // Parent quantum the same as, a multiple of, or a divisor of the child's, by configuration.
                int mode = (policy.ordinal() + qIndex) % 3;
                this.parentQ = mode == 0 ? quantum : mode == 1 ? quantum * 8 : Math.max(1, quantum / 8);
                this.grain = Math.max(quantum, parentQ);
                this.parentBase = ownEnd;
                this.parentSize = 2048 * quantum;
                this.parent = backend.parent(parentQ, parentBase, parentSize);
                long importQuanta = (seed & 2) == 0 ? 4 : 16;
                this.arena = backend.arena("child", quantum, parent, importQuanta * quantum, rule, clock);
                this.addedCap = 256 * quantum;
            } else {
                this.parentQ = 0;
                this.grain = quantum;
                this.parentBase = 0;
                this.parentSize = 0;
                this.parent = null;
                this.arena = backend.arena("model", quantum, null, 0, rule, clock);
                this.addedCap = 2048 * quantum;
            }
            checkState();
            int initialSpans = withSource ? (int) (seed & 1) : 2;
            for (int i = 0; i < initialSpans; i++) {
                addSpan(true);
                checkState();
            }
        }

        /** Number of operations so far. */
        public long operations() {
            return operations;
        }

        /** Number of successful allocations so far. */
        public long allocations() {
            return allocations;
        }

        /** The arenas now under test (after {@link #reattach}, the new ones). */
        public VmemArena arena() {
            return arena;
        }

        public VmemArena parent() {
            return parent;
        }

        /**
         * Continues the run on other objects for the same arenas (after a store was reopened). After a
         * crash the {@code failures} counter may have lost the failures since the last checkpoint (failed
         * allocations change no state, so they are not journalled): pass {@code failuresKept=false}.
         */
        public void reattach(VmemArena arena, VmemArena parent, boolean failuresKept) {
            this.arena = arena;
            this.parent = parent;
            if (!failuresKept) {
                failures = arena.stats().failures();
            }
            checkState();
        }

        /** Runs {@code steps} more operations, calling {@code between} after each. */
        public void execute(int steps, Runnable between) {
            int end = step + steps;
            while (step < end) {
                executeOne();
                step++;
                between.run();
            }
        }

        void execute(int steps) {
            execute(steps, () -> { });
            finish();
        }

        private void executeOne() {
            {
                ctx = "seed=" + seed + " (" + policy + ", quantum=" + q + ", source=" + (parent != null) + ") step=" + step;
                boolean grow = (step / 400) % 2 == 0;
                int r = rnd.nextInt(100);
                if (r < 3) {
                    addSpan(false);
                } else if (r < 5) {
                    badFree();
                } else if (r < 7 && !rule.isActive()) {
                    ModelClaims.claim(this);
                } else if (r < 8 && !rule.isActive()) {
                    ModelClaims.reconcile(this);
                } else if (r < 8 && rule.isActive()) {
                    clock.advance(rnd.nextLong(1 + 2 * rule.delayMillis()));
                    if (rnd.nextBoolean()) {
                        long released = held.isEmpty() ? 0 : releaseDue(0, freshReading());
                        assertEquals(released, arena instanceof Arena a ? a.reapQuarantine() : released, ctx + ": reapQuarantine");
                    }
                } else if (r < (grow ? 40 : 20)) {
                    allocate(false);
                } else if (r < (grow ? 75 : 35)) {
                    allocate(true);
                } else if (!live.isEmpty()) {
                    free();
                } else {
                    allocate(false);
                }
                operations++;
                checkState();
            }
        }

        /** Frees every live block and checks that the arenas (and the parent) are back to empty. */
        public void finish() {
            ctx = "seed=" + seed + " (" + policy + ", quantum=" + q + ", source=" + (parent != null) + ") final free";
            List<Block> all = new ArrayList<>(live.values());
            while (!all.isEmpty()) {
                Block b = all.remove(rnd.nextInt(all.size()));
                freeBlock(b, rnd.nextBoolean());
                operations++;
                checkState();
            }
            ArenaStats st = arena.stats();
            assertEquals(0, st.allocated(), ctx + ": allocated after freeing everything\n" + brief(arena.dump()));
            assertEquals(0, st.liveAllocations(), ctx);
            if (!held.isEmpty()) {
                return; // what is still quarantined keeps its spans: checkState compared it with the model
            }
            assertEquals(0, st.imported(), ctx + ": imported spans not given back\n" + brief(arena.dump()));
            assertTrue(arena.segments().stream().noneMatch(s -> s.kind() == Segment.Kind.IMPORTED_SPAN), ctx);
            if (parent != null) {
                assertEquals(0, parent.stats().allocated(), ctx + ": parent still lends space\n" + brief(parent.dump()));
                assertEquals(parentSize, parent.stats().free(), ctx);
                Invariants.assertSound(arena, parent);
            } else {
                Invariants.assertSound(arena);
            }
        }

        void addSpan(boolean initial) {
            long totalAdded = spans.values().stream().mapToLong(Long::longValue).sum();
            if (!initial && totalAdded >= addedCap) {
                allocate(false);
                return;
            }
            long size = q * (1 + rnd.nextLong(initial ? 256 : 128));
            long base;
            int how = rnd.nextInt(10);
            if (!spans.isEmpty() && how < 3) {
                Map.Entry<Long, Long> s = randomEntry(spans);
                base = s.getKey() + s.getValue(); // adjacent after
            } else if (!spans.isEmpty() && how < 5) {
                Map.Entry<Long, Long> s = randomEntry(spans);
                base = s.getKey() - size; // adjacent before
            } else if (parent != null && how < 6) {
                base = ownEnd - size; // adjacent to the parent's range, where imported spans lie
            } else {
                base = q * rnd.nextLong(ownEnd / q);
            }
            if (base < 0 || base + size > ownEnd) {
                return;
            }
            boolean overlaps = overlapsModelSpan(base, size);
            if (overlaps) {
                assertThrows(IllegalArgumentException.class, () -> arena.addSpan(base, size),
                        ctx + ": overlapping span [" + base + ", " + (base + size) + ") accepted");
                assertUnchanged(false, "rejected addSpan");
                return;
            }
            arena.addSpan(base, size);
            spans.put(base, size);
        }

        boolean overlapsModelSpan(long base, long size) {
            for (TreeMap<Long, Long> m : List.of(spans, imported)) {
                Map.Entry<Long, Long> below = m.floorEntry(base);
                if (below != null && below.getKey() + below.getValue() > base) {
                    return true;
                }
                Map.Entry<Long, Long> above = m.higherEntry(base);
                if (above != null && above.getKey() < base + size) {
                    return true;
                }
            }
            return false;
        }

        <V> Map.Entry<Long, V> randomEntry(TreeMap<Long, V> map) {
            long first = map.firstKey();
            long last = map.lastKey();
            long probe = first + (last > first ? rnd.nextLong(last - first + 1) : 0);
            return map.floorEntry(probe);
        }

        long randomSize() {
            int r = rnd.nextInt(100);
            long quanta = r < 55 ? 1 + rnd.nextInt(4) : r < 90 ? 1 + rnd.nextInt(32) : 1 + rnd.nextInt(256);
            long size = quanta * q;
            if (q > 1 && rnd.nextBoolean()) {
                size -= rnd.nextLong(q); // the arena rounds up to the quantum
            }
            return size;
        }

        Constraints randomConstraints(long size) {
            int qBits = Long.numberOfTrailingZeros(q);
            long align = 1L << rnd.nextInt(qBits + 7);
            long phase = 0;
            int pr = rnd.nextInt(100);
            if (pr < 2) {
                phase = rnd.nextLong(align); // usually not a multiple of the quantum: rejected by the arena
            } else if (align > q && pr < 60) {
                phase = q * rnd.nextLong(align / q);
            }
            long nocross = 0;
            int nr = rnd.nextInt(100);
            if (nr < 3) {
                nocross = Math.max(1, Long.highestOneBit(size) / 2); // below size: over-constrained
            } else if (nr < 30) {
                nocross = nextPowerOfTwo(size) << rnd.nextInt(6);
            }
            long min = 0;
            long max = Constraints.NO_MAX;
            int w = rnd.nextInt(100);
            if (w < 45) {
                long lo = 0;
                long hi = ownEnd;
                if (parent != null && rnd.nextInt(10) < 7) {
                    lo = parentBase;
                    hi = parentBase + parentSize;
                }
                min = lo + rnd.nextLong(hi - lo);
                max = min + 1 + rnd.nextLong(Math.max(2, 64 * q + 4 * size));
                if (rnd.nextInt(4) != 0) {
                    min = roundDown(min, q);
                }
                if (rnd.nextInt(4) != 0) {
                    max = roundUp(max, q);
                }
            } else if (w < 55) {
                min = rnd.nextLong(parent != null ? parentBase + parentSize : ownEnd);
            } else if (w < 62) {
                max = 1 + rnd.nextLong(parent != null ? parentBase + parentSize : ownEnd);
            }
            return Constraints.builder(size).align(align).phase(phase).nocross(nocross).min(min).max(max).build();
        }

        static long nextPowerOfTwo(long x) {
            return x <= 1 ? 1 : Long.highestOneBit(x - 1) << 1;
        }

        void allocate(boolean constrained) {
            long size = randomSize();
            Policy p = rnd.nextInt(100) < 85 ? policy : Policy.values()[rnd.nextInt(3)];
            Constraints c = null;
            if (constrained) {
                try {
                    c = randomConstraints(size);
                } catch (IllegalArgumentException e) {
                    ctorRejected++;
                    return;
                }
            }
            long sizeR = roundUp(size, q);
            RoundedRequest req;
            boolean rejected;
            if (c == null) {
                req = new RoundedRequest(sizeR, q, 0, 0, 0, roundDown(Long.MAX_VALUE, q));
                rejected = false;
            } else {
                req = new RoundedRequest(sizeR, Math.max(c.align(), q), c.phase(), c.nocross(), roundUp(c.min(), q),
                        roundDown(c.max(), q));
                rejected = c.phase() % q != 0 || req.min() >= req.max()
                        || lowestAdmissible(req.min(), req.max(), req.size(), req.align(), req.phase(), req.nocross()) == NONE;
            }
            String what = ctx + " " + p + " " + (c == null ? "alloc(" + size + ")" : "xalloc(" + c + ")")
                    + " rounded to " + req;
            boolean tryForm = rnd.nextBoolean();
            long base;
            try {
                if (c == null) {
                    base = tryForm ? arena.tryAlloc(size, p) : arena.alloc(size, p);
                } else {
                    base = tryForm ? arena.tryXalloc(c, p) : arena.xalloc(c, p);
                }
                assertTrue(tryForm || base != NONE, what + ": alloc returned NONE instead of throwing");
            } catch (IllegalArgumentException e) {
                assertTrue(rejected, what + ": rejected although satisfiable after rounding: " + e.getMessage());
                arenaRejected++;
                assertUnchanged(false, "rejected " + what);
                return;
            } catch (ArenaExhaustedException e) {
                assertTrue(!tryForm, what + ": try form threw " + e);
                base = NONE;
            }
            assertTrue(!rejected, what + ": over-constrained request not rejected, returned " + base);

            List<Range> freeBefore = freeRanges(allSpans(spans, imported), occupied());
            boolean reaped = false;
            if (!held.isEmpty() && lowestAnywhere(freeBefore, req) == NONE && (parent == null || parentRoom(req) == NONE)) {
                reaped = releaseDue(0, freshReading()) > 0; // the arena releases what is due before it fails
                freeBefore = freeRanges(allSpans(spans, imported), occupied());
            }
            if (base == NONE) {
                failures++;
                long fits = lowestAnywhere(freeBefore, req);
                assertEquals(NONE, fits, what + ": failed although the free range holding " + fits
                        + " admits the block; free ranges " + freeBefore + "\n" + brief(arena.dump()));
                if (parent != null) {
                    long room = parentRoom(req);
                    assertEquals(NONE, room, what + ": failed although the parent could lend a span holding the block at "
                            + room + "\n" + brief(parent.dump()) + brief(arena.dump()));
                }
                if (!reaped) {
                    assertUnchanged(true, "failed " + what);
                }
                return;
            }

            // Success: where did it go, and was an import needed?
            List<Segment> segs = arena.segments();
            TreeMap<Long, Long> importedAfter = importedSpans(segs);
            for (Map.Entry<Long, Long> e : imported.entrySet()) {
                assertEquals(e.getValue(), importedAfter.get(e.getKey()), what + ": an allocation released span at "
                        + e.getKey());
            }
            TreeMap<Long, Long> fresh = new TreeMap<>(importedAfter);
            fresh.keySet().removeAll(imported.keySet());
            if (!fresh.isEmpty()) {
                importingAllocs++;
                long fits = lowestAnywhere(freeBefore, req);
                assertEquals(NONE, fits, what + ": imported " + fresh + " although " + fits + " was free and admissible");
                assertEquals(1, fresh.size(), what + ": imported more than one span " + fresh);
                Map.Entry<Long, Long> span = fresh.firstEntry();
                assertTrue(span.getKey() <= base && base + sizeR <= span.getKey() + span.getValue(),
                        what + ": block " + base + " not in the span " + fresh + " imported for it");
            }
            List<Range> free = freeRanges(allSpans(spans, importedAfter), occupied());
            String where = what + " -> " + base;

            assertTrue(req.admits(base), where + ": block violates the rounded constraints");
            assertTrue(base % q == 0, where + ": base not a multiple of the quantum");
            if (c != null) {
                assertTrue(c.admits(base), where + ": block violates " + c);
                Constraints rounded = new Constraints(req.size(), req.align(), req.phase(), req.nocross(), req.min(), req.max());
                assertTrue(rounded.admits(base), where + ": block violates " + rounded);
            }
            Map.Entry<Long, Block> below = occupied().floorEntry(base + sizeR - 1);
            assertTrue(below == null || below.getValue().base() + below.getValue().size() <= base,
                    where + ": overlaps live or quarantined block " + (below == null ? "" : below.getValue()));
            Range holder = null;
            for (Range r : free) {
                if (r.holds(base, sizeR)) {
                    holder = r;
                }
            }
            assertTrue(holder != null, where + ": block not inside a free range of the model " + free);

            switch (p) {
                case NEXT_FIT:
                    assertEquals(nextFitExpected(free, rotor, req), base,
                            where + ": NEXT_FIT with rotor=" + rotor + " over free ranges " + free);
                    break;
                case BEST_FIT: {
                    assertEquals(req.lowestIn(holder), base, where + ": not the lowest admissible start in " + holder);
                    Range best = null;
                    for (Range r : free) {
                        if (req.lowestIn(r) != NONE && (best == null || r.size() < best.size())) {
                            best = r;
                        }
                    }
                    assertEquals(best, holder, where + ": BEST_FIT chose " + holder + ", the smallest admitting range is "
                            + best + " (free ranges " + free + ")");
                    break;
                }
                default: {
                    assertEquals(req.lowestIn(holder), base, where + ": not the lowest admissible start in " + holder);
                    if (req.plain(q)) {
                        checkInstantFitClass(free, holder, sizeR, where);
                    }
                    break;
                }
            }

            live.put(base, new Block(base, size, sizeR));
            allocatedModel += sizeR;
            allocations++;
            if (p == Policy.NEXT_FIT) {
                rotor = base + sizeR;
            }
        }

        /** INSTANT_FIT on a plain request: the first freelist whose members all fit, else the own class. */
        void checkInstantFitClass(List<Range> free, Range holder, long size, String where) {
            int sure = size == 1 ? 0 : 64 - Long.numberOfLeadingZeros(size - 1);
            int own = 63 - Long.numberOfLeadingZeros(size);
            int bestClass = Integer.MAX_VALUE;
            for (Range r : free) {
                int c = 63 - Long.numberOfLeadingZeros(r.size());
                if (c >= sure) {
                    bestClass = Math.min(bestClass, c);
                }
            }
            int got = 63 - Long.numberOfLeadingZeros(holder.size());
            if (bestClass != Integer.MAX_VALUE) {
                assertEquals(bestClass, got, where + ": INSTANT_FIT took " + holder + " of size class " + got
                        + ", the first class whose members all fit is " + bestClass);
            } else {
                assertEquals(own, got, where + ": INSTANT_FIT fallback outside the own size class");
            }
        }

        /** The lowest block start the parent could lend a span for, or NONE. */
        long parentRoom(RoundedRequest req) {
            TreeMap<Long, Long> parentSpan = new TreeMap<>();
            parentSpan.put(parentBase, parentSize);
            TreeMap<Long, Block> lent = new TreeMap<>();
            for (Map.Entry<Long, Long> e : imported.entrySet()) {
                lent.put(e.getKey(), new Block(e.getKey(), e.getValue(), e.getValue()));
            }
            for (Range r : freeRanges(parentSpan, lent)) {
                Range usable = new Range(roundUp(r.base(), grain), roundDown(r.end(), grain));
                if (usable.base() < usable.end()) {
                    long s = req.lowestIn(usable);
                    if (s != NONE) {
                        return s;
                    }
                }
            }
            return NONE;
        }

        void free() {
            List<Block> blocks = new ArrayList<>(live.values());
            Block b = blocks.get(rnd.nextInt(blocks.size()));
            freeBlock(b, rnd.nextBoolean());
        }

        void freeBlock(Block b, boolean withSize) {
            String what = ctx + " free(" + b + ", withSize=" + withSize + ")";
            if (rule.isActive()) {
                long now = 0;
                long due = 0;
                if (readings != null) { // the arena reads the clock at some frees; between them it goes by the last reading
                    boolean fresh = readings.freeReads();
                    now = fresh ? stamp(readings.readAtFree()) : readings.last();
                    due = fresh ? now + rule.delayMillis() + 1 : QuarantineQueue.PENDING;
                }
                releaseDue(1, now);
                held.addLast(new long[] {b.base(), b.size(), due});
                pendingModel += due == QuarantineQueue.PENDING ? 1 : 0;
                heldBlocks.put(b.base(), b);
                heldModel += b.size();
            }
            if (withSize) {
                arena.free(b.base(), rnd.nextBoolean() ? b.requested() : b.size());
            } else {
                arena.free(b.base());
            }
            live.remove(b.base());
            allocatedModel -= b.size();
            frees++;
            TreeMap<Long, Long> importedAfter = importedSpans(arena.segments());
            for (Map.Entry<Long, Long> e : imported.entrySet()) {
                boolean empty = occupied().subMap(e.getKey(), e.getKey() + e.getValue()).isEmpty();
                assertEquals(empty ? null : e.getValue(), importedAfter.get(e.getKey()),
                        what + ": imported span at " + e.getKey() + (empty ? " not given back once wholly free"
                                : " given back while in use"));
            }
            assertEquals(imported.size() - importedAfter.size(),
                    imported.keySet().stream().filter(k -> !importedAfter.containsKey(k)).count(),
                    what + ": a free imported a span");
        }

        void badFree() {
            int kind = rnd.nextInt(5);
            long base;
            long size = NONE;
            if (kind == 4 && !heldBlocks.isEmpty()) {
                base = randomEntry(heldBlocks).getKey(); // a double free of a quarantined block
            } else if (kind == 0 && !live.isEmpty()) {
                Block b = randomEntry(live).getValue();
                base = b.base();
                size = b.size() + q; // wrong size
            } else if (kind == 1 && !live.isEmpty()) {
                Block b = randomEntry(live).getValue();
                base = b.base() + (b.size() > 1 ? 1 + rnd.nextLong(b.size() - 1) : 1); // inside, not a base
            } else {
                base = rnd.nextLong(ownEnd + parentSize + 64 * q);
            }
            if (live.containsKey(base) && size == NONE) {
                return;
            }
            long v = base;
            long sz = size;
            assertThrows(InvalidFreeException.class, () -> {
                if (sz == NONE) {
                    arena.free(v);
                } else {
                    arena.free(v, sz);
                }
            }, ctx + ": free(" + v + (sz == NONE ? "" : ", " + sz) + ") of no live allocation accepted");
            badFrees++;
            assertUnchanged(false, "rejected free(" + v + ")");
        }

        /** The arena (and parent) are as after the previous step; a failed allocation counts one failure. */
        void assertUnchanged(boolean countsFailure, String what) {
            assertEquals(lastSegments, arena.segments(), ctx + " " + what + ": segments changed\n" + brief(arena.dump()));
            ArenaStats st = arena.stats();
            ArenaStats was = lastStats;
            assertEquals(List.of(was.total(), was.allocated(), was.free(), was.imported(), was.spans(), was.segments(),
                            was.liveAllocations(), was.allocations(), was.frees(), was.failures() + (countsFailure ? 1 : 0),
                            was.imports() - was.releases()),
                    List.of(st.total(), st.allocated(), st.free(), st.imported(), st.spans(), st.segments(),
                            st.liveAllocations(), st.allocations(), st.frees(), st.failures(), st.imports() - st.releases()),
                    ctx + " " + what + ": stats changed from " + was + " to " + st);
            assertEquals(rotor, arena.nextFitCursor(), ctx + " " + what + ": cursor moved");
            if (parent != null) {
                assertEquals(lastParentSegments, parent.segments(), ctx + " " + what + ": parent changed\n" + brief(parent.dump()));
                ArenaStats ps = parent.stats();
                assertEquals(List.of(lastParentStats.total(), lastParentStats.allocated(), lastParentStats.imported()),
                        List.of(ps.total(), ps.allocated(), ps.imported()), ctx + " " + what + ": parent stats changed");
            }
        }

        void checkState() {
            assertEquals(List.of(), arena.checkInvariants(), ctx + ": invariants\n" + brief(arena.dump()));
            List<Segment> segs = arena.segments();
            ArenaStats st = arena.stats();
            TreeMap<Long, Long> added = new TreeMap<>();
            TreeMap<Long, Long> importedNow = new TreeMap<>();
            TreeMap<Long, Long> allocatedSegs = new TreeMap<>();
            TreeMap<Long, Long> quarantinedSegs = new TreeMap<>();
            List<Range> freeSegs = new ArrayList<>();
            for (Segment s : segs) {
                switch (s.kind()) {
                    case SPAN:
                        added.put(s.base(), s.size());
                        break;
                    case IMPORTED_SPAN:
                        importedNow.put(s.base(), s.size());
                        break;
                    case ALLOCATED:
                        allocatedSegs.put(s.base(), s.size());
                        break;
                    case QUARANTINED:
                        quarantinedSegs.put(s.base(), s.size());
                        break;
                    default:
                        freeSegs.add(new Range(s.base(), s.end()));
                        break;
                }
            }
            assertEquals(spans, added, ctx + ": added spans differ from the model");
            TreeMap<Long, Long> liveSizes = new TreeMap<>();
            live.forEach((k, b) -> liveSizes.put(k, b.size()));
            assertEquals(liveSizes, allocatedSegs, ctx + ": allocated segments differ from the model's live blocks");
            TreeMap<Long, Long> heldSizes = new TreeMap<>();
            heldBlocks.forEach((k, b) -> heldSizes.put(k, b.size()));
            assertEquals(heldSizes, quarantinedSegs, ctx + ": quarantined segments differ from the model's held blocks");
            assertEquals(freeRanges(allSpans(spans, importedNow), occupied()), freeSegs,
                    ctx + ": free segments differ from spans minus live blocks (coalescing?)");
            long importedSum = 0;
            for (Map.Entry<Long, Long> e : importedNow.entrySet()) {
                long b = e.getKey();
                long sz = e.getValue();
                importedSum += sz;
                assertTrue(parent != null, ctx + ": imported span without a source");
                assertTrue(b >= parentBase && b + sz <= parentBase + parentSize, ctx + ": imported span " + b
                        + "+" + sz + " outside the parent's span");
                assertTrue(b % grain == 0 && sz % grain == 0, ctx + ": imported span " + b + "+" + sz
                        + " not aligned to " + grain);
                assertTrue(!occupied().subMap(b, b + sz).isEmpty(), ctx + ": imported span " + b + "+" + sz
                        + " is wholly free but was not given back");
            }
            long spansSum = spans.values().stream().mapToLong(Long::longValue).sum() + importedSum;
            assertEquals(allocatedModel, st.allocated(), ctx + ": stats().allocated");
            assertEquals(spansSum, st.total(), ctx + ": stats().total");
            assertEquals(spansSum - allocatedModel - heldModel, st.free(), ctx + ": stats().free");
            assertEquals(heldModel, st.quarantined(), ctx + ": stats().quarantined");
            assertEquals(importedSum, st.imported(), ctx + ": stats().imported");
            assertEquals(spans.size() + importedNow.size(), st.spans(), ctx + ": stats().spans");
            assertEquals(live.size(), st.liveAllocations(), ctx + ": stats().liveAllocations");
            assertEquals(live.size() + heldBlocks.size() + freeSegs.size(), st.segments(), ctx + ": stats().segments");
            assertEquals(allocations, st.allocations(), ctx + ": stats().allocations");
            assertEquals(frees, st.frees(), ctx + ": stats().frees");
            assertEquals(failures, st.failures(), ctx + ": stats().failures");
            assertEquals(importedNow.size(), st.imports() - st.releases(), ctx + ": imports - releases");
            assertEquals(rotor, arena.nextFitCursor(), ctx + ": nextFitCursor()");
            lastSegments = segs;
            lastStats = st;
            imported = importedNow;
            if (parent != null) {
                assertEquals(List.of(), parent.checkInvariants(), ctx + ": parent invariants\n" + brief(parent.dump()));
                List<Segment> psegs = parent.segments();
                TreeMap<Long, Long> lent = new TreeMap<>();
                for (Segment s : psegs) {
                    if (s.kind() == Segment.Kind.ALLOCATED) {
                        lent.put(s.base(), s.size());
                    }
                }
                assertEquals(importedNow, lent, ctx + ": the parent's allocations are not the child's imported spans");
                ArenaStats ps = parent.stats();
                assertEquals(importedSum, ps.allocated(), ctx + ": parent allocated");
                assertEquals(parentSize, ps.total(), ctx + ": parent total");
                lastParentSegments = psegs;
                lastParentStats = ps;
            }
        }

        /** The live blocks and the quarantined ones: what no allocation may overlap. */
        TreeMap<Long, Block> occupied() {
            if (heldBlocks.isEmpty()) {
                return live;
            }
            TreeMap<Long, Block> all = new TreeMap<>(live);
            all.putAll(heldBlocks);
            return all;
        }

        /**
         * The model of the quarantine's release: the oldest blocks that have waited out the delay and have
         * at least {@code frees} blocks quarantined after them, counting {@code incoming} about to be; an
         * imported span left wholly free goes back. Returns how many blocks left.
         */
        long releaseDue(int incoming, long now) {
            long n = 0;
            while (!held.isEmpty() && held.size() - 1 + incoming >= rule.frees() && held.peekFirst()[2] <= now) {
                long[] h = held.pollFirst();
                heldBlocks.remove(h[0]);
                heldModel -= h[1];
                n++;
            }
            releasedModel += n;
            if (n > 0) {
                imported.entrySet().removeIf(e -> occupied().subMap(e.getKey(), e.getKey() + e.getValue()).isEmpty());
            }
            return n;
        }

        /** A reading at a reap (the arena's, or before a failing allocation): the pending blocks are stamped with it. */
        long freshReading() {
            return readings == null ? 0 : stamp(readings.read());
        }

        /** Stamps the pending held blocks with the reading {@code now}, which it returns. */
        long stamp(long now) {
            Iterator<long[]> newest = held.descendingIterator();
            for (; pendingModel > 0; pendingModel--) {
                newest.next()[2] = now + rule.delayMillis() + 1;
            }
            return now;
        }

        static TreeMap<Long, Long> importedSpans(List<Segment> segs) {
            TreeMap<Long, Long> out = new TreeMap<>();
            for (Segment s : segs) {
                if (s.kind() == Segment.Kind.IMPORTED_SPAN) {
                    out.put(s.base(), s.size());
                }
            }
            return out;
        }

        static TreeMap<Long, Long> allSpans(TreeMap<Long, Long> a, TreeMap<Long, Long> b) {
            TreeMap<Long, Long> out = new TreeMap<>(a);
            out.putAll(b);
            return out;
        }
    }
}

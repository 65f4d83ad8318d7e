package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vmem.testing.ChangeLog;
import dev.vmem.testing.Segments;
import dev.vmem.testing.Stats;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Seeded property tests of importing (from the review's scratch fuzzers): the requests of
 * {@link ImportPlan}, and a child arena importing from a parent arena of a different quantum.
 *
 * <p>What the plan promises (its Javadoc): every request is a span at the grain {@code g}, the coarser
 * quantum; only a shifted request, which names the single span starting at the grain that holds
 * {@code min - d}, may lend a span that does not hold the block; and the requests are exact, so a source
 * that grants any request it can satisfy (as an {@link Arena} does) is always asked for a span it has
 * whenever it has a free g-aligned span around some admissible block. The promise does not cover a custom
 * source that refuses requests while holding a fitting range, so the parent here is always an arena.
 *
 * <p>Each run prints nothing unless it fails; a failure names its seed. {@code -Dvmem.importFuzz.seed=S}
 * changes the base seed.
 */
class ImportFuzzTest {

    private static final long BASE_SEED = Long.getLong("vmem.importFuzz.seed", 0x5EED_1A7EL);

    /** The requests of ImportPlan, checked against what they promise without any arena. */
    @Nested
    class ThePlanAlone {

        /** Values that stress the arithmetic: near 2^63, near 2^62, anywhere, small, near a power of two. */
        private static long pick(Random r) {
            switch (r.nextInt(5)) {
                case 0:
                    return Long.MAX_VALUE - r.nextInt(1 << 12);
                case 1:
                    return (1L << 62) + r.nextInt(1 << 12) - (1 << 11);
                case 2:
                    return r.nextLong() & Long.MAX_VALUE;
                case 3:
                    return r.nextInt(1 << 12);
                default:
                    return ((1L << r.nextInt(63)) + r.nextInt(64) - 32) & Long.MAX_VALUE;
            }
        }

        /** Whether a span {@code [base, base + n)} holds some block that meets the request. */
        private static boolean holds(long base, long n, long size, long align, long phase, long nocross, long min,
                long max) {
            long lo = Math.max(base, min);
            long hi = Math.min(base + n, max);
            return lo < hi && Fit.lowest(lo, hi, size, align, phase, nocross) != Fit.NONE;
        }

        @Test
        void plan_requestsAreGrainSpans_onlyShiftedOnesMayBeFutile_andSomeRequestFitsEveryBlock() {
            long seed = BASE_SEED;
            Random r = new Random(seed);
            int planned = 0;
            int futileRequests = 0;
            for (int i = 0; i < 200_000; i++) {
                long q = 1L << r.nextInt(r.nextBoolean() ? 13 : 62);
                long sq = 1L << r.nextInt(r.nextBoolean() ? 13 : 62);
                long iq = q << r.nextInt(8);
                if (iq <= 0) {
                    iq = q;
                }
                long size = Fit.roundUp(r.nextBoolean() ? 1 + r.nextInt(5000) : Math.max(1, pick(r)), q);
                long align = Math.max(q, 1L << r.nextInt(63));
                long phase = r.nextBoolean() ? 0 : (r.nextLong() & (align - 1)) & -q;
                long nocross = r.nextInt(3) == 0 ? 0 : 1L << r.nextInt(63);
                long min = Fit.roundUp(pick(r), q);
                long max = pick(r) & -q;
                if (size == Fit.NONE || min == Fit.NONE || !Constraints.feasible(size, align, phase, nocross, min, max)) {
                    continue;
                }
                String ctx = "seed=" + seed + " i=" + i + ": requests(quantum=" + q + ", sourceQuantum=" + sq
                        + ", importQuantum=" + iq + ", size=" + size + ", align=" + align + ", phase=" + phase
                        + ", nocross=" + nocross + ", min=" + min + ", max=" + max + ")";
                List<Constraints> requests;
                try {
                    requests = ImportPlan.requests(q, sq, iq, new Request(size, align, phase, nocross, min, max,
                            Policy.INSTANT_FIT));
                } catch (RuntimeException e) {
                    throw new AssertionError(ctx + " threw", e);
                }
                ctx += " = " + requests;
                planned++;
                long g = Math.max(q, sq);
                assertTrue(requests.size() <= 4, ctx);
                for (Constraints c : requests) {
                    assertEquals(0, c.size() % g, "span size not a multiple of the grain: " + ctx);
                    assertEquals(0, c.align() % g, "span align not a multiple of the grain: " + ctx);
                    assertEquals(0, c.phase() % g, "span phase not a multiple of the grain: " + ctx);
                    long lowest = Fit.lowest(c.min(), c.max(), c.size(), c.align(), c.phase(), c.nocross());
                    long top = c.max() - c.size();
                    long highest = top - ((top - c.phase()) & (c.align() - 1));
                    if (!holds(lowest, c.size(), size, align, phase, nocross, min, max)) {
                        // Only a shifted request may lend a futile span: the single span at the grain holding
                        // min - d, which lies at or below min.
                        futileRequests++;
                        assertEquals(c.size(), c.max() - c.min(), "a futile request admits more than one base: " + c
                                + " of " + ctx);
                        assertEquals(0, c.min() % g, "a futile request off the grain: " + c + " of " + ctx);
                        assertTrue(c.min() <= min, "a futile request above min: " + c + " of " + ctx);
                        continue;
                    }
                    if (highest >= c.min() && (c.nocross() == 0 || !Fit.crosses(highest, c.size(), c.nocross()))) {
                        assertTrue(holds(highest, c.size(), size, align, phase, nocross, min, max),
                                "request " + c + " admits base " + highest + ", whose span cannot hold the block: " + ctx);
                    }
                }
                // Completeness: a source holding only the smallest grain span [b, e) around an admissible block
                // can grant some request there, with a span that holds the block (the lowest base it admits
                // there, which is what an arena source hands out).
                long[] blocks = {
                    Fit.lowest(min, max, size, align, phase, nocross),
                    Fit.lowest(min + ((r.nextLong() & Long.MAX_VALUE) % (max - min)), max, size, align, phase, nocross),
                };
                for (long p : blocks) {
                    if (p == Fit.NONE) {
                        continue;
                    }
                    long b = Fit.roundDown(p, g);
                    long e = Fit.roundUp(p + size, g);
                    if (e == Fit.NONE) {
                        continue; // the span would run past Long.MAX_VALUE: no source can lend it
                    }
                    boolean granted = false;
                    for (Constraints c : requests) {
                        long lo = Math.max(b, c.min());
                        long hi = Math.min(e, c.max());
                        long base = lo < hi ? Fit.lowest(lo, hi, c.size(), c.align(), c.phase(), c.nocross()) : Fit.NONE;
                        granted |= base != Fit.NONE && holds(base, c.size(), size, align, phase, nocross, min, max);
                    }
                    assertTrue(granted, "no request can be granted inside [" + b + ", " + e + "), around the block at "
                            + p + ": " + ctx);
                }
            }
            assertTrue(planned > 30_000, "seed=" + seed + ": only " + planned + " feasible cases");
            assertTrue(futileRequests > 1_000, "seed=" + seed + ": only " + futileRequests + " shifted requests");
        }
    }

    /** A child importing from a parent arena of a different quantum, checked against a brute-force search of the parent. */
    @Nested
    class AChildImportingFromAParent {

        /** Coverage of one whole test, so that a fuzzer that stopped exercising a path fails. */
        private static final class Tally {
            int successes;
            int imports;
            int futileThenImported;
            int belowMin;
            int confirmedFailures;
            int reverts;
        }

        /**
         * Where the parent could lend a span holding an admissible block, found by brute force: an
         * admissible start {@code p} whose grain span {@code [p & -g, roundUp(p + size, g))} lies inside one
         * free segment of the parent, or -1. The constraints are the child's, already rounded to its quantum.
         */
        static long lendable(List<Segment> parentFree, long g, long size, long align, long phase, long nocross,
                long min, long max) {
            for (Segment s : parentFree) {
                // p & -g >= base <=> p >= roundUp(base, g); roundUp(p + size, g) <= end <=> p + size <= roundDown(end, g)
                long lo = Math.max(Fit.roundUp(s.base(), g), min);
                long hi = Math.min(Fit.roundDown(s.end(), g), max);
                long p = lo + Math.floorMod(phase - lo, align);
                if (nocross != 0 && p / nocross != (p + size - 1) / nocross) {
                    // Every start before the boundary crossed crosses it too. From the boundary on, the lowest
                    // aligned start sits as low in its window as any start can (align <= nocross), or where
                    // every start sits (align > nocross): if it crosses, all do.
                    long boundary = (p / nocross + 1) * nocross;
                    p = boundary + Math.floorMod(phase - boundary, align);
                    if (p / nocross != (p + size - 1) / nocross) {
                        continue;
                    }
                }
                if (lo < hi && p + size <= hi) {
                    return p;
                }
            }
            return -1;
        }

        private static long count(List<ArenaChange> changes, Class<? extends ArenaChange> kind) {
            return changes.stream().filter(kind::isInstance).count();
        }

        /** Reverts every logged change newest first and checks that both arenas are back where they were. */
        private static void revertAndCheck(ChangeLog log, Arena child, Arena parent, String childDump,
                ArenaStats childStats, String parentDump, ArenaStats parentStats, String ctx) {
            long parentFailures = parent.stats().failures(); // failed import requests: not a change, not reverted
            for (ChangeLog.Event e : log.newestFirst()) {
                new ObservedArena(e.arena()).revert(e.change());
            }
            assertEquals(childDump, child.dump(), "child dump after revert, " + ctx);
            assertEquals(childStats, child.stats(), "child stats after revert, " + ctx);
            assertEquals(parentDump, parent.dump(), "parent dump after revert, " + ctx);
            assertEquals(Stats.withFailures(parentStats, parentFailures), parent.stats(), "parent stats after revert, " + ctx);
        }

        private static void run(long seed, long q, long pq, int steps, Tally tally) {
            Random rnd = new Random(seed);
            long g = Math.max(q, pq);
            long origin = rnd.nextBoolean() ? 0 : 1L << 50;
            long pspan = 256 * g;
            // One span, or many small adjacent ones: spans never coalesce, so their boundaries (some on a grain,
            // some not) decide which spans the parent can lend.
            boolean separate = rnd.nextBoolean();
            ChangeLog log = new ChangeLog();
            Arena.Builder pb = Arena.builder("parent").quantum(pq);
            if (separate) {
                for (long b = 0, n; b < pspan; b += n) {
                    n = rnd.nextBoolean() ? g * (1 + rnd.nextInt(4)) : pq * (1 + rnd.nextInt((int) (4 * g / pq)));
                    n = Math.min(n, pspan - b);
                    pb.span(origin + b, n);
                }
            } else {
                pb.span(origin, pspan);
            }
            Arena parent = ObservedArena.create(pb, log).arena();
            long importQuantum = q << rnd.nextInt(6);
            Arena child = ObservedArena.create(Arena.builder("child").quantum(q).source(parent)
                    .importQuantum(importQuantum), log).arena();
            String run = "seed=" + seed + " quantum=" + q + " parentQuantum=" + pq + " importQuantum=" + importQuantum
                    + " origin=" + origin + " separateSpans=" + separate;
            List<long[]> live = new ArrayList<>();
            List<Long> parentLive = new ArrayList<>();

            for (int step = 0; step < steps; step++) {
                String ctx = run + " step=" + step;
                // dump() is the exact state but slow to build: taken only where the step will revert.
                boolean revert = rnd.nextInt(10) == 0;
                String childDump = revert ? child.dump() : null;
                String parentDump = revert ? parent.dump() : null;
                List<Segment> childSegments = child.segments();
                List<Segment> parentSegments = parent.segments();
                long childCursor = child.nextFitCursor();
                ArenaStats childStats = child.stats();
                ArenaStats parentStats = parent.stats();
                log.clear();
                int op = rnd.nextInt(10);
                if (op == 0) {
                    // The parent's own work, so that its free space is fragmented.
                    if (parentLive.isEmpty() || rnd.nextBoolean()) {
                        long b = parent.tryAlloc(pq * (1 + rnd.nextInt(64)), Policy.INSTANT_FIT);
                        if (b != Arena.NONE) {
                            parentLive.add(b);
                        }
                    } else {
                        parent.free(parentLive.remove(rnd.nextInt(parentLive.size())));
                    }
                } else if (op <= 6) {
                    Policy policy = Policy.values()[rnd.nextInt(Policy.values().length)];
                    long size = q * (1 + rnd.nextInt(rnd.nextBoolean() ? 4 : 24));
                    long align = rnd.nextBoolean() ? 1 : 1L << rnd.nextInt(14);
                    long phase = align == 1 ? 0 : (rnd.nextLong() & (align - 1)) & -q;
                    long nocross = rnd.nextInt(3) == 0 ? Long.highestOneBit(size - 1) << (1 + rnd.nextInt(8)) : 0;
                    long min = rnd.nextBoolean() ? 0 : origin + (rnd.nextLong() & (pspan - 1));
                    long max;
                    switch (rnd.nextInt(3)) {
                        case 0:
                            max = Constraints.NO_MAX;
                            break;
                        case 1:
                            max = min + (rnd.nextLong() & (pspan / 4 - 1)) + 1;
                            break;
                        default: // tight: the block barely fits, often across a grain boundary
                            max = min + size + (rnd.nextLong() & (2 * g - 1));
                            break;
                    }
                    Constraints c;
                    try {
                        c = new Constraints(size, align, phase, nocross, min, max);
                    } catch (IllegalArgumentException e) {
                        continue;
                    }
                    String call = ctx + " tryXalloc(" + c + ", " + policy + ")";
                    long ra = Math.max(align, q);
                    long rmin = Fit.roundUp(min, q);
                    long rmax = Fit.roundDown(max, q);
                    List<Segment> parentFree = Segments.ofKind(parent, Segment.Kind.FREE);
                    long got;
                    try {
                        got = child.tryXalloc(c, policy);
                    } catch (IllegalArgumentException e) {
                        // Over-constrained once rounded to the child's quantum: rejected before anything happened.
                        assertEquals(List.of(), log.events(), call);
                        assertEquals(childSegments, child.segments(), call);
                        assertEquals(childStats, child.stats(), call);
                        continue;
                    }
                    List<ArenaChange> childChanges = log.changesOf(child);
                    List<ArenaChange> parentChanges = log.changesOf(parent);
                    boolean futile = count(parentChanges, ArenaChange.Freed.class) > 0;
                    if (got == Arena.NONE) {
                        long p = lendable(parentFree, g, size, ra, phase, nocross, rmin, rmax);
                        if (p >= 0) {
                            fail("the child failed, but the parent could lend [" + Fit.roundDown(p, g) + ", "
                                    + Fit.roundUp(p + size, g) + ") around the block at " + p + ": " + call
                                    + "\nparent before: " + parentSegments + "\nchild before: " + childSegments);
                        }
                        tally.confirmedFailures++;
                        assertEquals(List.of(), childChanges, "a failure reports nothing, " + call);
                        assertEquals(childSegments, child.segments(), call);
                        assertEquals(childCursor, child.nextFitCursor(), call);
                        assertEquals(Stats.withOneMoreFailure(childStats), child.stats(),
                                "a failure moves only the failures counter, " + call);
                        assertEquals(parentSegments, parent.segments(), "futile spans went back, " + call);
                    } else {
                        tally.successes++;
                        assertTrue(Constraints.feasible(size, ra, phase, nocross, rmin, rmax)
                                && got >= rmin && got <= rmax - size && Math.floorMod(got - phase, ra) == 0
                                && (nocross == 0 || got / nocross == (got + size - 1) / nocross),
                                "the block at " + got + " breaks the constraints, " + call);
                        assertTrue(child.contains(got) && child.contains(got + size - 1), call);
                        long added = count(childChanges, ArenaChange.SpanAdded.class);
                        assertTrue(added <= 1, "at most one import is reported, " + call + ": " + childChanges);
                        assertEquals(0, count(childChanges, ArenaChange.SpanRemoved.class),
                                "a futile import is not reported, " + call + ": " + childChanges);
                        assertEquals(childStats.imports() + added, child.stats().imports(), call);
                        assertEquals(childStats.releases(), child.stats().releases(), call);
                        assertEquals(childStats.allocations() + 1, child.stats().allocations(), call);
                        if (added == 1) {
                            tally.imports++;
                            if (futile) {
                                tally.futileThenImported++;
                            }
                            ArenaChange.SpanAdded span = childChanges.stream()
                                    .filter(ArenaChange.SpanAdded.class::isInstance).map(ArenaChange.SpanAdded.class::cast)
                                    .findFirst().orElseThrow();
                            if (span.base() < rmin) {
                                tally.belowMin++;
                            }
                        } else {
                            assertEquals(List.of(), parentChanges, "no import, so the parent was not asked, " + call);
                        }
                        live.add(new long[] {got, size});
                        if (revert) {
                            tally.reverts++;
                            revertAndCheck(log, child, parent, childDump, childStats, parentDump, parentStats, call);
                            live.remove(live.size() - 1);
                        }
                    }
                } else if (!live.isEmpty()) {
                    long[] b = live.remove(rnd.nextInt(live.size()));
                    String call = ctx + " free(" + b[0] + ", " + b[1] + ")";
                    child.free(b[0], b[1]);
                    List<ArenaChange> childChanges = log.changesOf(child);
                    assertEquals(childStats.releases() + count(childChanges, ArenaChange.SpanRemoved.class),
                            child.stats().releases(), call);
                    if (revert) {
                        tally.reverts++;
                        revertAndCheck(log, child, parent, childDump, childStats, parentDump, parentStats, call);
                        live.add(b);
                    }
                }
                for (Arena a : List.of(child, parent)) {
                    List<String> problems = a.checkInvariants();
                    if (!problems.isEmpty()) {
                        fail(ctx + ": " + a + " is unsound: " + problems + "\n" + a.dump());
                    }
                }
            }
            // Closing the child gives every imported span back, leaked blocks with them.
            child.close();
            assertEquals(0, child.stats().imported(), run);
            assertEquals(child.stats().imports(), child.stats().releases(), run);
            assertEquals(0, child.stats().liveAllocations(), run);
            assertEquals(parentLive.size(), parent.stats().liveAllocations(),
                    "only the parent's own blocks remain, " + run);
            Invariants.assertSound(child, parent);
        }

        @Test
        void child_neverFailsWhileTheParentCouldLendASpan_andRevertRestoresBothArenas() {
            // {child quantum, parent quantum}: equal, parent finer (no shifted request), child finer (shifted ones).
            long[][] quanta = {{1, 1}, {8, 1}, {4096, 1}, {64, 8}, {1, 16}, {2, 32}, {8, 64}, {1, 4096}};
            Tally tally = new Tally();
            Random seeds = new Random(BASE_SEED);
            for (int i = 0; i < 10; i++) {
                for (long[] qs : quanta) {
                    run(seeds.nextLong(), qs[0], qs[1], 400, tally);
                }
            }
            String summary = "base seed=" + BASE_SEED + ": " + tally.successes + " successes, " + tally.imports
                    + " imports (" + tally.belowMin + " of a span starting below min, " + tally.futileThenImported
                    + " after a futile try), " + tally.confirmedFailures
                    + " confirmed failures, " + tally.reverts + " reverts";
            assertTrue(tally.imports > 100, summary);
            assertTrue(tally.belowMin > 50, summary);
            assertTrue(tally.futileThenImported > 5, summary);
            assertTrue(tally.confirmedFailures > 100, summary);
            assertTrue(tally.reverts > 100, summary);
        }
    }
}

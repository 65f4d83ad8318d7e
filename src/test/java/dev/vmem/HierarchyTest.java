package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.testing.ChangeLog;
import dev.vmem.testing.Dumps;
import dev.vmem.testing.RecordingSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Arenas importing from arenas: a root, a middle arena and leaves, plus sources that misbehave. */
class HierarchyTest {
    private static final long SEED = Long.getLong("vmem.seed", 0x41E7L);

    /** root (quantum 1, one span) ← middle (quantum q, imports 64 quanta) ← leaves (quantum q, import 4 quanta). */
    static final class Tree {
        final long q;
        final long rootBase;
        final long rootSize;
        final Arena root;
        final Arena middle;
        final Arena[] leaves;

        Tree(long q, long rootQuanta, int leafCount) {
            this.q = q;
            this.rootBase = 1024 * q;
            this.rootSize = rootQuanta * q;
            this.root = Arena.builder("root").quantum(1).span(rootBase, rootSize).build();
            this.middle = Arena.builder("middle").quantum(q).source(root).importQuantum(64 * q).build();
            this.leaves = new Arena[leafCount];
            for (int i = 0; i < leafCount; i++) {
                leaves[i] = Arena.builder("leaf" + i).quantum(q).source(middle).importQuantum(4 * q).build();
            }
        }

        Arena[] all() {
            Arena[] out = new Arena[leaves.length + 2];
            out[0] = root;
            out[1] = middle;
            System.arraycopy(leaves, 0, out, 2, leaves.length);
            return out;
        }

        /** Each level lends exactly what the level below imported. */
        void assertAccounting(String ctx) {
            long leafImported = 0;
            for (Arena leaf : leaves) {
                leafImported += leaf.stats().imported();
            }
            assertEquals(leafImported, middle.stats().allocated(), ctx + ": middle allocated != leaves' imported\n" + Dumps.of(all()));
            assertEquals(middle.stats().imported(), root.stats().allocated(), ctx + ": root allocated != middle imported");
        }
    }

    /** Requests a leaf with no spans must import for, each with constraints the import quanta do not give. */
    static List<Constraints> importingRequests(long q, long rootBase) {
        return List.of(
                Constraints.builder(q).align(256 * q).build(),
                Constraints.builder(3 * q).align(256 * q).phase(24 * q).build(),
                Constraints.builder(16 * q).align(1024 * q).phase(512 * q).nocross(2048 * q).build(),
                Constraints.builder(5 * q - (q > 1 ? 1 : 0)).min(rootBase + 5000 * q + 3).max(rootBase + 5040 * q).build(),
                Constraints.builder(2 * q).align(128 * q).phase(64 * q).min(rootBase + 3000 * q).max(rootBase + 3300 * q)
                        .build(),
                Constraints.builder(100 * q).nocross(128 * q).min(rootBase + 60 * q).build(),
                Constraints.builder(q).max(rootBase + 2 * q).build());
    }

    private static List<ArenaStats> stats(Arena... arenas) {
        List<ArenaStats> out = new ArrayList<>();
        for (Arena a : arenas) {
            out.add(a.stats());
        }
        return out;
    }

    /**
     * Arena sources: each level lends exactly what the level below imported, a constrained request gets
     * a span that holds it, and everything goes back up when freed or closed.
     */
    @Nested
    class ArenaSources {

        @ParameterizedTest(name = "{0}, quantum={1}")
        @MethodSource("dev.vmem.testing.Configurations#policiesAndQuanta")
        void threeLevels_whenTheLeavesFreeEverything_theSpaceReturnsToTheRoot(Policy policy, long q) {
            long seed = SEED + policy.ordinal() * 16 + Long.numberOfTrailingZeros(q);
            String ctx = "seed=" + seed + " " + policy + " quantum=" + q;
            SplittableRandom rnd = new SplittableRandom(seed);
            Tree t = new Tree(q, 1 << 14, 3);
            TreeMap<Long, long[]> live = new TreeMap<>(); // base -> {size, leaf}
            long mostLent = 0;
            for (int i = 0; i < 4000; i++) {
                String at = ctx + " step=" + i;
                int leaf = rnd.nextInt(t.leaves.length);
                Arena a = t.leaves[leaf];
                if (live.isEmpty() || rnd.nextInt(100) < (i < 2000 ? 60 : 35)) {
                    long size = q * (1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 200 : 16)) - (q > 1 ? rnd.nextLong(q) : 0);
                    long base;
                    Constraints c = null;
                    if (rnd.nextBoolean()) {
                        c = Constraints.builder(size).align(q << rnd.nextInt(8)).build();
                        base = a.tryXalloc(c, policy);
                    } else {
                        base = a.tryAlloc(size, policy);
                    }
                    if (base == Arena.NONE) {
                        continue;
                    }
                    long rounded = (size + q - 1) / q * q;
                    assertTrue(base % q == 0 && (c == null || c.admits(base)), at + ": block " + base + " violates " + c);
                    assertTrue(a.contains(base) && a.contains(base + rounded - 1), at + ": block outside leaf " + leaf);
                    Map.Entry<Long, long[]> below = live.floorEntry(base + rounded - 1);
                    assertTrue(below == null || below.getKey() + below.getValue()[0] <= base,
                            at + ": block [" + base + ", " + (base + rounded) + ") overlaps a live block of leaf "
                                    + (below == null ? -1 : below.getValue()[1]));
                    live.put(base, new long[] {rounded, leaf});
                } else {
                    List<Long> bases = new ArrayList<>(live.keySet());
                    long base = bases.get(rnd.nextInt(bases.size()));
                    long[] b = live.remove(base);
                    t.leaves[(int) b[1]].free(base, b[0]);
                }
                mostLent = Math.max(mostLent, t.root.stats().allocated());
                if (i % 100 == 0) {
                    t.assertAccounting(at);
                    Invariants.assertSound(t.all());
                }
            }
            t.assertAccounting(ctx);
            assertTrue(mostLent > 64 * q, ctx + ": the leaves should have made the root lend space, at most " + mostLent);
            for (Map.Entry<Long, long[]> e : live.entrySet()) {
                t.leaves[(int) e.getValue()[1]].free(e.getKey());
            }
            for (Arena leaf : t.leaves) {
                assertEquals(0, leaf.stats().allocated(), ctx + " " + leaf);
                assertEquals(0, leaf.stats().imported(), ctx + ": " + leaf + " kept imported spans\n" + leaf.dump());
            }
            assertEquals(0, t.middle.stats().allocated(), ctx + "\n" + t.middle.dump());
            assertEquals(0, t.middle.stats().imported(), ctx + ": middle kept imported spans\n" + t.middle.dump());
            assertEquals(0, t.root.stats().allocated(), ctx + "\n" + t.root.dump());
            assertEquals(t.rootSize, t.root.stats().free(), ctx);
            Invariants.assertSound(t.all());
        }

        @ParameterizedTest(name = "{0}, quantum={1}")
        @MethodSource("dev.vmem.testing.Configurations#policiesAndQuanta")
        void constrainedAllocationThatMustImport_satisfiesItsConstraints(Policy policy, long q) {
            Tree t = new Tree(q, 1 << 13, 1);
            Arena leaf = t.leaves[0];
            List<Long> got = new ArrayList<>();
            for (Constraints c : importingRequests(q, t.rootBase)) {
                long importsBefore = leaf.stats().imports();
                long b = leaf.xalloc(c, policy);
                assertTrue(c.admits(b), policy + " q=" + q + ": " + b + " violates " + c + "\n" + Dumps.of(t.all()));
                assertEquals(0, b % q, "base " + b + " not a multiple of the quantum");
                assertTrue(leaf.contains(b), c.toString());
                assertTrue(leaf.stats().imports() > importsBefore, c + " should have needed an import\n" + leaf.dump());
                t.assertAccounting(c.toString());
                got.add(b);
                // Free it again so that the next request must import as well.
                leaf.free(b, c.size());
                assertEquals(0, leaf.stats().imported(), c + ": the span was not given back");
            }
            assertEquals(importingRequests(q, t.rootBase).size(), got.size());
            assertEquals(0, t.root.stats().allocated());
            Invariants.assertSound(t.all());
        }

        /**
         * A child whose source has a coarser quantum than its own: the source lends grain-aligned spans, and
         * the block only has to lie inside one. Each case has a parent with room for such a span.
         */
        enum CoarseSourceCase {
            /** Block [3, 5) in the span [0, 8); the span starts below min. */
            WINDOW_MIN_BELOW_GRAIN(8, Constraints.builder(2).min(3).max(8).build()),
            /** Block [0, 2) in the span [0, 8); the span ends past max. */
            WINDOW_MAX_BELOW_GRAIN(8, Constraints.builder(2).max(5).build()),
            /** Block [3, 5) in the span [0, 8); the span starts below min and ends past max. */
            WINDOW_INSIDE_ONE_GRAIN(8, Constraints.builder(2).min(3).max(7).build()),
            /** Block [0, 4) in the span [0, 8), which itself straddles the nocross boundary 4. */
            NOCROSS_BELOW_GRAIN(64, Constraints.builder(4).nocross(4).build()),
            /** Block [4, 8) in the span [0, 8); the phase is finer than the source's grain (the parent has only 16). */
            PHASE_FINER_THAN_GRAIN(16, Constraints.builder(4).align(16).phase(4).build());

            final long parentSpan;
            final Constraints request;

            CoarseSourceCase(long parentSpan, Constraints request) {
                this.parentSpan = parentSpan;
                this.request = request;
            }
        }

        @ParameterizedTest
        @EnumSource(CoarseSourceCase.class)
        void importFromACoarserSource_whenTheSourceHasRoomForASpanHoldingTheBlock_succeeds(CoarseSourceCase k) {
            Arena parent = Arena.builder("parent").quantum(8).span(0, k.parentSpan).build();
            Arena child = Arena.builder("child").quantum(1).source(parent).build();
            long b = child.tryXalloc(k.request, Policy.INSTANT_FIT);
            assertTrue(b != Arena.NONE, k + ": " + k.request + " failed although the parent can lend a span holding it\n"
                    + Dumps.of(parent, child));
            assertTrue(k.request.admits(b), k + ": " + b);
            child.free(b);
            assertEquals(0, parent.stats().allocated());
            Invariants.assertSound(parent, child);
        }

        @ParameterizedTest(name = "{0}, quantum={1}")
        @MethodSource("dev.vmem.testing.Configurations#policiesAndQuanta")
        void importThatCannotBeSatisfied_failsCleanly_andLeavesEveryArenaUnchanged(Policy policy, long q) {
            Tree t = new Tree(q, 256, 2);
            Arena leaf = t.leaves[0];
            long kept = leaf.alloc(3 * q, policy); // the state is not trivial: the root lends 64 quanta to the middle
            long other = t.leaves[1].alloc(70 * q, policy);
            List<Constraints> impossible = List.of(
                    Constraints.of(200 * q), // more than the root has left
                    Constraints.builder(q).min(t.rootBase + 256 * q).build(), // above the root's span
                    Constraints.builder(q).max(t.rootBase).build(), // below it
                    Constraints.builder(q).align(1L << 40).build(), // no aligned value inside it
                    Constraints.builder(110 * q).align(128 * q).build()); // the one aligned start left is taken
            for (Constraints c : impossible) {
                String before = Dumps.of(t.all());
                List<ArenaStats> statsBefore = stats(t.all());
                assertThrows(ArenaExhaustedException.class, () -> leaf.xalloc(c, policy), c.toString());
                assertEquals(Arena.NONE, leaf.tryXalloc(c, policy), c.toString());
                assertEquals(before, Dumps.of(t.all()), c + " changed an arena");
                List<ArenaStats> statsAfter = stats(t.all());
                for (int i = 0; i < statsBefore.size(); i++) {
                    ArenaStats x = statsBefore.get(i);
                    ArenaStats y = statsAfter.get(i);
                    assertEquals(List.of(x.total(), x.allocated(), x.imported(), x.spans(), x.segments(), x.allocations() - x.frees()),
                            List.of(y.total(), y.allocated(), y.imported(), y.spans(), y.segments(), y.allocations() - y.frees()),
                            c + ": stats of " + t.all()[i]);
                }
                assertEquals(statsBefore.get(2).failures() + 2, leaf.stats().failures(), c + ": failures counter");
            }
            leaf.free(kept);
            t.leaves[1].free(other);
            assertEquals(0, t.root.stats().allocated());
            Invariants.assertSound(t.all());
        }

        @ParameterizedTest(name = "{0}, quantum={1}")
        @MethodSource("dev.vmem.testing.Configurations#policiesAndQuanta")
        void closeOfAChild_givesItsImportedSpansBackToTheParent(Policy policy, long q) {
            Tree t = new Tree(q, 1 << 12, 2);
            Arena leaf = t.leaves[0];
            Arena sibling = t.leaves[1];
            for (int i = 0; i < 20; i++) {
                leaf.alloc((1 + i % 7) * q, policy);
            }
            leaf.xalloc(Constraints.builder(q).align(512 * q).build(), policy);
            long siblingBlock = sibling.alloc(5 * q, policy);
            long leafImported = leaf.stats().imported();
            assertTrue(leafImported > 0);
            assertEquals(leafImported + sibling.stats().imported(), t.middle.stats().allocated());

            leaf.close(); // leaks its live blocks (logged), but returns every imported span

            assertEquals(sibling.stats().imported(), t.middle.stats().allocated(), "middle still lends to the closed leaf\n"
                    + t.middle.dump());
            assertEquals(t.middle.stats().imported(), t.root.stats().allocated());
            assertThrows(IllegalStateException.class, () -> leaf.alloc(q, policy));
            assertThrows(IllegalStateException.class, () -> leaf.addSpan(0, q));
            leaf.close(); // idempotent
            sibling.free(siblingBlock);
            assertEquals(0, t.middle.stats().allocated());
            assertEquals(0, t.middle.stats().imported());
            assertEquals(0, t.root.stats().allocated(), "root still lends space after every leaf let go\n" + t.root.dump());
            Invariants.assertSound(t.all());
        }
    }

    /**
     * Custom sources that answer wrongly, run out or refuse a span back: the arena fails with an
     * exception that says so, gives back what it was lent, and is left as it was.
     */
    @Nested
    class CustomSources {


        /** Ways for a source to answer wrongly, with a request that provokes each. */
        enum BadBase {
            MISALIGNED(Constraints.of(16), r -> 4096 + 4),
            BELOW_MIN(Constraints.builder(16).min(8192).build(), r -> 4096),
            RUNS_PAST_MAX(Constraints.builder(16).max(8192).build(), r -> 8192 - 8),
            WRONG_PHASE(Constraints.builder(16).align(64).phase(16).build(), r -> 4096),
            OVERLAPS_A_SPAN(Constraints.of(128), r -> 0),
            NEGATIVE(Constraints.of(16), r -> -8),
            NONE_VALUE(Constraints.of(16), r -> Arena.NONE);

            final Constraints request;
            final ToLongFunction<Constraints> answer;

            BadBase(Constraints request, ToLongFunction<Constraints> answer) {
                this.request = request;
                this.answer = answer;
            }
        }

        @ParameterizedTest
        @EnumSource(BadBase.class)
        void sourceReturningABadBase_failsWithIllegalState_leavesTheArenaUnchanged_andGetsTheSpanBack(BadBase bad) {
            for (Policy policy : Policy.values()) {
                RecordingSource source = RecordingSource.scripted(1, bad.answer);
                // The arena's own span has 8 values free after `kept`: every request below must import.
                Arena arena = Arena.builder("child").quantum(8).source(source).importQuantum(64).span(0, 16).build();
                long kept = arena.alloc(8, policy);
                String before = arena.dump();
                ArenaStats was = arena.stats();

                IllegalStateException e = assertThrows(IllegalStateException.class, () -> arena.xalloc(bad.request, policy),
                        bad + " " + policy);
                assertTrue(e.getMessage().contains("source"), e.getMessage());

                assertEquals(before, arena.dump(), bad + " " + policy + ": arena changed");
                ArenaStats now = arena.stats();
                assertEquals(List.of(was.total(), was.allocated(), was.imported(), was.spans(), was.segments(),
                                was.allocations(), was.frees(), was.imports() - was.releases()),
                        List.of(now.total(), now.allocated(), now.imported(), now.spans(), now.segments(),
                                now.allocations(), now.frees(), now.imports() - now.releases()),
                        bad + " " + policy + ": stats changed");
                assertEquals(1, source.imports().size(), bad + " " + policy + ": one bad answer is enough to give up");
                assertEquals(1, source.releases().size(), bad + " " + policy + ": the bad span was not given back");
                assertEquals(source.imports().get(0), source.releases().get(0),
                        bad + " " + policy + ": released something else than the span the source lent");
                arena.free(kept);
                Invariants.assertSound(arena);
            }
        }

        @ParameterizedTest
        @EnumSource(Policy.class)
        void exhaustedCustomSource_failsWithArenaExhausted_andLeavesTheArenaUnchanged(Policy policy) {
            RecordingSource source = RecordingSource.scripted(8, r -> {
                throw new ArenaExhaustedException("nothing left for " + r);
            });
            Arena arena = Arena.builder("child").quantum(8).source(source).importQuantum(256).span(0, 64).build();
            long kept = arena.alloc(40, policy);
            String before = arena.dump();
            assertThrows(ArenaExhaustedException.class, () -> arena.alloc(64, policy));
            assertEquals(before, arena.dump());
            assertEquals(256, source.requests().get(0).size(), "first the import quantum: " + source.requests());
            assertTrue(source.requests().stream().anyMatch(r -> r.size() == 64),
                    "then, refused, just the block: " + source.requests());
            assertEquals(1, arena.stats().failures());
            arena.free(kept);
            Invariants.assertSound(arena);
        }

        @ParameterizedTest
        @EnumSource(Policy.class)
        void freeWhoseSpanReleaseFails_throws_andLeavesTheArenaUnchanged(Policy policy) {
            long[] next = {1 << 20};
            RecordingSource source = RecordingSource.scripted(8, r -> {
                long b = next[0];
                next[0] += 1 << 16;
                return b;
            });
            Arena arena = Arena.builder("child").quantum(8).source(source).importQuantum(256).build();
            long a = arena.alloc(16, policy);
            long b = arena.alloc(16, policy);
            arena.free(a);
            source.failReleasesWith(() -> new IllegalStateException("source refuses the span"));
            String before = arena.dump();
            ArenaStats was = arena.stats();
            assertThrows(IllegalStateException.class, () -> arena.free(b));
            assertEquals(before, arena.dump(), "a free whose release failed changed the arena");
            assertEquals(was, arena.stats());
            source.failReleasesWith(null);
            arena.free(b);
            assertEquals(0, arena.stats().imported());
            assertEquals(1, source.releases().size());
            assertEquals(source.imports().get(0), source.releases().get(0));
            Invariants.assertSound(arena);
        }

        @Test
        void badBaseFromTheSource_keepsTheErrorAboutIt_withTheRefusedReleaseSuppressed() {
            // Guards against: the refused release of a bad span hiding the error about its bad base.
            Arena parent = Arena.builder("parent").quantum(8).span(0, 1024).build();
            // Lends 4 past the span the parent handed out; its release is refused: no allocation starts there.
            Source offByFour = RecordingSource.over(parent.asSource()).shiftImportsBy(4);
            ChangeLog log = new ChangeLog();
            Arena child = ObservedArena.create(Arena.builder("child").quantum(8).source(offByFour), log).arena();
            String dump = child.dump();
            ArenaStats stats = child.stats();

            IllegalStateException e = assertThrows(IllegalStateException.class, () -> child.alloc(8, Policy.INSTANT_FIT));

            assertTrue(e.getMessage().contains("returned base=4"), e.getMessage());
            assertEquals(1, e.getSuppressed().length, "the refused release is attached");
            assertInstanceOf(InvalidFreeException.class, e.getSuppressed()[0]);
            assertEquals(List.of(), log.events());
            assertEquals(dump, child.dump());
            assertEquals(stats, child.stats());
            Invariants.assertSound(parent, child);
        }
    }
}

package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * An adversarial review of the dense form: two arenas fed the same operations, one kept in boundary tags,
 * one whose spans move between the forms; edge-case spans (1, 63, 64, 65 quanta, base 0, near
 * Long.MAX_VALUE), every constraint, bad frees.
 */
class DenseReviewTest {

    static Arena arena(String label, long quantum, long[][] spans, DenseRule rule) {
        Arena.Builder b = Arena.builder(label).quantum(quantum);
        for (long[] s : spans) {
            b.span(s[0], s[1]);
        }
        Arena a = b.build();
        a.engine.forms.use(rule);
        return a;
    }

    static long[][] edgeSpans(long q) {
        long top = Fit.roundDown(Long.MAX_VALUE, q);
        List<long[]> out = new ArrayList<>();
        out.add(new long[] {0, q});
        out.add(new long[] {4 * q, 63 * q});
        out.add(new long[] {100 * q, 64 * q});
        out.add(new long[] {200 * q, 65 * q});
        out.add(new long[] {300 * q, 130 * q});
        out.add(new long[] {top - 129 * q, 129 * q});
        return out.toArray(new long[0][]);
    }

    /** One run of the differential fuzz; returns nothing, asserts everything. */
    static void differential(long seed, long q, DenseRule rule, int steps) {
        differential(seed, q, rule, steps, edgeSpans(q), 1);
    }

    static void differential(long seed, long q, DenseRule rule, int steps, long[][] spans, int checkEvery) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Arena tags = arena("tags", q, spans, DenseRule.NEVER);
        Arena dense = arena("dense", q, spans, rule);
        List<long[]> live = new ArrayList<>();
        for (int step = 0; step < steps; step++) {
            String where = "seed=" + seed + " q=" + q + " step=" + step;
            int op = rnd.nextInt(100);
            if (live.isEmpty() || op < 55) {
                long[] s = spans[rnd.nextInt(spans.length)];
                long quanta = rnd.nextInt(4) == 0 ? 1 + rnd.nextLong(Math.min(s[1] / q, 1L << (6 + rnd.nextInt(18))))
                        : 1 + rnd.nextInt(3);
                long size = quanta * q;
                Constraints c;
                if (rnd.nextInt(3) == 0) {
                    c = Constraints.of(size);
                } else {
                    long align = q << rnd.nextInt(4);
                    long phase = rnd.nextBoolean() ? 0 : (rnd.nextLong(align / q)) * q;
                    long nocross = rnd.nextInt(3) == 0 ? Long.highestOneBit(size) << (1 + rnd.nextInt(3)) : 0;
                    if (nocross != 0 && nocross < size) {
                        nocross = 0;
                    }
                    long min = rnd.nextBoolean() ? 0 : s[0] + rnd.nextLong(s[1] / q) * q;
                    long max = rnd.nextBoolean() ? Constraints.NO_MAX : Math.min(Constraints.NO_MAX, s[0] + s[1]
                            + (rnd.nextBoolean() ? 0 : q));
                    try {
                        c = Constraints.builder(size).align(align).phase(phase).nocross(nocross).min(min).max(max)
                                .build();
                    } catch (IllegalArgumentException e) {
                        c = Constraints.of(size);
                    }
                }
                Policy policy = Policy.values()[rnd.nextInt(3)];
                long got;
                if (policy == Policy.INSTANT_FIT) {
                    got = dense.tryXalloc(c, policy);
                    long mirror = got == Arena.NONE ? tags.tryXalloc(c, Policy.BEST_FIT)
                            : tags.tryXalloc(Constraints.builder(size).min(got).max(got + size).build(), Policy.BEST_FIT);
                    assertEquals(got, mirror, where + ": INSTANT_FIT " + c + " vs what the list admits");
                    if (got != Arena.NONE) {
                        assertEquals(true, c.admits(got), where + " " + c + " admits " + got);
                    }
                } else {
                    long expected = tags.tryXalloc(c, policy);
                    got = dense.tryXalloc(c, policy);
                    assertEquals(expected, got, where + ": " + policy + " " + c);
                }
                if (got != Arena.NONE) {
                    live.add(new long[] {got, size});
                }
            } else if (op < 90) {
                long[] a = live.remove(rnd.nextInt(live.size()));
                if (rnd.nextBoolean()) {
                    tags.free(a[0], a[1]);
                    dense.free(a[0], a[1]);
                } else {
                    tags.free(a[0]);
                    dense.free(a[0]);
                }
            } else {
                long[] a = live.get(rnd.nextInt(live.size()));
                List<Segment> before = dense.segments();
                ArenaStats stats = dense.stats();
                long bad;
                long badSize = Arena.NONE;
                switch (rnd.nextInt(4)) {
                    case 0 -> bad = a[0] + (a[1] > q ? q : 0) + (a[1] > q ? 0 : 1); // inside, or unaligned
                    case 1 -> {
                        bad = a[0];
                        badSize = a[1] + q;
                    }
                    case 2 -> bad = 90 * q; // in no span
                    default -> bad = a[0] + a[1]; // maybe free, maybe another allocation's base
                }
                boolean tagsThrew = false;
                boolean denseThrew = false;
                try {
                    if (badSize == Arena.NONE) {
                        tags.free(bad);
                    } else {
                        tags.free(bad, badSize);
                    }
                } catch (InvalidFreeException e) {
                    tagsThrew = true;
                }
                try {
                    if (badSize == Arena.NONE) {
                        dense.free(bad);
                    } else {
                        dense.free(bad, badSize);
                    }
                } catch (InvalidFreeException e) {
                    denseThrew = true;
                }
                assertEquals(tagsThrew, denseThrew, where + ": free(" + bad + ", " + badSize + ")");
                if (!denseThrew) {
                    live.removeIf(x -> x[0] == bad);
                } else {
                    assertEquals(before, dense.segments(), where);
                    assertEquals(stats, dense.stats(), where);
                }
            }
            if (step % checkEvery == 0) {
                assertEquals(List.of(), dense.checkInvariants(), where);
            }
            if (step % 25 == 0) {
                assertEquals(tags.segments(), dense.segments(), where);
                assertEquals(tags.stats(), dense.stats(), where);
                assertEquals(tags.nextFitCursor(), dense.nextFitCursor(), where);
            }
        }
        assertEquals(tags.segments(), dense.segments(), "seed=" + seed);
        assertEquals(tags.stats(), dense.stats(), "seed=" + seed);
        assertEquals(List.of(), tags.checkInvariants());
        System.out.println("  moves=" + dense.engine.forms.moves + " dense now=" + dense.engine.forms.dense.size());
        assertEquals(true, dense.engine.forms.moves > 0, "seed=" + seed + ": some span went dense");
    }

    @Test
    void edgeSpans_restless_quantum1() {
        for (long seed = 1; seed <= 20; seed++) {
            System.out.println("review seed=" + seed);
            differential(seed, 1, DenseFormTest.RESTLESS, 600);
        }
    }

    @Test
    void edgeSpans_sticky_quantum4096() {
        for (long seed = 101; seed <= 120; seed++) {
            System.out.println("review seed=" + seed);
            differential(seed, 4096, DenseFormTest.STICKY, 600);
        }
    }

    @Test
    void edgeSpans_restless_quantum2pow40() {
        for (long seed = 201; seed <= 220; seed++) {
            System.out.println("review seed=" + seed);
            differential(seed, 1L << 40, DenseFormTest.RESTLESS, 600);
        }
    }

    @Test
    void edgeSpans_sticky_quantum2pow40() {
        for (long seed = 301; seed <= 320; seed++) {
            System.out.println("review seed=" + seed);
            differential(seed, 1L << 40, DenseFormTest.STICKY, 600);
        }
    }

    @Test
    void bigSpans_sticky_quantum1() {
        long[][] spans = {{0, 1L << 26}, {(1L << 26) + 64, (1L << 18) + 65}, {1L << 30, (1L << 20) - 1}};
        for (long seed = 401; seed <= 403; seed++) {
            System.out.println("review seed=" + seed);
            differential(seed, 1, DenseFormTest.STICKY, 1500, spans, 300);
        }
    }

    /** One random operation on {@code a}; returns whether it changed anything. */
    static void randomOp(SplittableRandom rnd, Arena a, List<long[]> live, long q, boolean onlyRepeatable) {
        if (live.isEmpty() || rnd.nextInt(100) < 55) {
            long size = (rnd.nextInt(5) == 0 ? 1 + rnd.nextInt(40) : 1 + rnd.nextInt(2)) * q;
            Policy policy = onlyRepeatable ? (rnd.nextBoolean() ? Policy.NEXT_FIT : Policy.BEST_FIT)
                    : Policy.values()[rnd.nextInt(3)];
            Constraints c = rnd.nextInt(3) != 0 ? Constraints.of(size)
                    : Constraints.builder(size).align(q << rnd.nextInt(3)).min(rnd.nextInt(3000) * q).build();
            long got = a.tryXalloc(c, policy);
            if (got != Arena.NONE) {
                live.add(new long[] {got, size});
            }
        } else {
            long[] x = live.remove(rnd.nextInt(live.size()));
            a.free(x[0], x[1]);
        }
    }

    @Test
    void revertInsideDenseSpans_givesBackTheExactState() {
        for (long seed = 501; seed <= 530; seed++) {
            System.out.println("review revert seed=" + seed);
            long q = seed % 2 == 0 ? 1 : 4096;
            SplittableRandom rnd = new SplittableRandom(seed);
            Arena parent = Arena.builder("parent").quantum(q).span(1L << 20 << 12, 1L << 16 << 12).build();
            List<ArenaChange> changes = new ArrayList<>();
            Arena.Builder def = Arena.builder("child").quantum(q).span(0, 3000 * q).span(4000 * q, 65 * q);
            if (seed % 3 == 0) {
                def.source(parent).importQuantum(64 * q);
            }
            ObservedArena o = ObservedArena.create(def, (ar, ch) -> changes.add(ch));
            Arena a = o.arena();
            a.engine.forms.use(seed % 4 < 2 ? DenseFormTest.RESTLESS : DenseFormTest.STICKY);
            List<long[]> live = new ArrayList<>();
            for (int round = 0; round < 150; round++) {
                String where = "seed=" + seed + " round=" + round;
                ArenaState before = o.exportState();
                
                List<long[]> liveBefore = new ArrayList<>(live);
                changes.clear();
                int k = 1 + rnd.nextInt(12);
                for (int i = 0; i < k; i++) {
                    randomOp(rnd, a, live, q, false);
                }
                assertEquals(List.of(), a.checkInvariants(), where);
                if (rnd.nextInt(3) == 0) {
                    for (int i = changes.size() - 1; i >= 0; i--) {
                        o.revert(changes.get(i));
                        assertEquals(List.of(), a.checkInvariants(), where + " after reverting " + changes.get(i));
                    }
                    assertEquals(withoutFailures(before), withoutFailures(o.exportState()), where);
                    live = liveBefore;
                }
            }
            System.out.println("  moves=" + a.engine.forms.moves);
        }
    }

    @Test
    void restoreOfAStateThatQualifiesForDenseForm_placesAsTheListDoes() {
        for (long seed = 601; seed <= 606; seed++) {
            System.out.println("review restore seed=" + seed);
            long q = seed % 2 == 0 ? 1 : 4096;
            SplittableRandom rnd = new SplittableRandom(seed);
            ObservedArena original = ObservedArena.create(Arena.builder("ids").quantum(q).span(0, 4096 * q)
                    .span(8192 * q, 4096 * q), (ar, ch) -> { });
            Arena tags = original.arena();
            tags.engine.forms.use(DenseRule.NEVER);
            List<long[]> live = new ArrayList<>();
            for (int i = 0; i < 3000; i++) {
                live.add(new long[] {tags.alloc(q, Policy.NEXT_FIT), q});
            }
            for (int i = live.size() - 1; i >= 0; i -= 1 + rnd.nextInt(3)) {
                long[] x = live.remove(i);
                tags.free(x[0]);
            }
            ArenaState state = original.exportState();
            ObservedArena restored = ObservedArena.restore(Arena.builder("ids").quantum(q), state, (ar, ch) -> { });
            Arena dense = restored.arena();
            assertEquals(List.of(), dense.checkInvariants());
            assertEquals(true, !dense.engine.forms.dense.isEmpty(), "the restored span is dense");
            assertEquals(state, restored.exportState());
            assertEquals(tags.segments(), dense.segments());
            for (int step = 0; step < 3000; step++) {
                String where = "seed=" + seed + " step=" + step;
                long r1 = rnd.split().nextLong();
                List<long[]> liveCopy = new ArrayList<>(live);
                randomOp(new SplittableRandom(r1), tags, live, q, true);
                randomOp(new SplittableRandom(r1), dense, liveCopy, q, true);
                assertEquals(live.size(), liveCopy.size(), where);
                if (!live.isEmpty()) {
                    assertEquals(live.get(live.size() - 1)[0], liveCopy.get(liveCopy.size() - 1)[0], where);
                }
                if (step % 100 == 0) {
                    assertEquals(tags.segments(), dense.segments(), where);
                    assertEquals(tags.stats(), dense.stats(), where);
                    assertEquals(List.of(), dense.checkInvariants(), where);
                }
            }
            assertEquals(original.exportState(), restored.exportState());
        }
    }

    /** Failed allocations are not changes, so a revert does not take their count back. */
    static ArenaState withoutFailures(ArenaState s) {
        ArenaStats c = s.counters();
        return new ArenaState(s.spans(), s.allocations(), s.cursor(), new ArenaStats(c.total(), c.allocated(), c.free(),
                c.imported(), c.spans(), c.segments(), c.liveAllocations(), c.allocations(), c.frees(), 0, c.imports(),
                c.releases(), c.cached()));
    }

    @Test
    void quantumCachesWithSlabsInDenseSpans_andImportedSpans_keepEveryFigureExact() {
        for (long seed = 701; seed <= 716; seed++) {
            System.out.println("review qcache seed=" + seed);
            long q = seed % 2 == 0 ? 1 : 4096;
            SplittableRandom rnd = new SplittableRandom(seed);
            Arena parent = Arena.builder("parent").quantum(q).span(1L << 24, 1L << 14 << 12).build();
            parent.engine.forms.use(DenseRule.NEVER);
            Arena.Builder def = Arena.builder("child").quantum(q).qcacheMax(4 * q).span(0, 2000 * q);
            if (seed % 4 < 2) {
                def.source(parent).importQuantum(256 * q);
            }
            Arena a = def.build();
            a.engine.forms.use(seed % 3 == 0 ? DenseFormTest.STICKY : DenseFormTest.RESTLESS);
            TreeMap<Long, Long> live = new TreeMap<>();
            for (int step = 0; step < 3000; step++) {
                String where = "seed=" + seed + " step=" + step;
                int op = rnd.nextInt(100);
                if (live.isEmpty() || op < 55) {
                    long size = (rnd.nextInt(6) == 0 ? 1 + rnd.nextInt(300) : 1 + rnd.nextInt(4)) * q;
                    Policy policy = Policy.values()[rnd.nextInt(3)];
                    long got = rnd.nextInt(4) == 0
                            ? a.tryXalloc(Constraints.builder(size).align(q << rnd.nextInt(3)).build(), policy)
                            : a.tryAlloc(size, policy);
                    if (got != Arena.NONE) {
                        Long below = live.floorKey(got + size - 1);
                        if (below != null && below + live.get(below) > got) {
                            throw new AssertionError(where + ": [" + got + "+" + size + ") overlaps live [" + below
                                    + "+" + live.get(below) + ")");
                        }
                        live.put(got, size);
                    }
                } else if (op < 92) {
                    long base = live.keySet().stream().skip(rnd.nextInt(live.size())).findFirst().orElseThrow();
                    a.free(base, live.remove(base));
                } else if (op < 96) {
                    a.reapCaches();
                } else {
                    long base = live.firstKey();
                    ArenaStats before = a.stats();
                    assertThrows(InvalidFreeException.class, () -> a.free(base, live.get(base) + q), where);
                    assertThrows(InvalidFreeException.class, () -> a.free(base + q * 100_000), where);
                    assertEquals(before, a.stats(), where);
                }
                assertEquals(List.of(), a.checkInvariants(), where);
                ArenaStats st = a.stats();
                assertEquals(live.size(), st.liveAllocations(), where);
                assertEquals(live.values().stream().mapToLong(Long::longValue).sum(), st.allocated(), where);
            }
            for (var e : new ArrayList<>(live.entrySet())) {
                a.free(e.getKey(), e.getValue());
            }
            a.reapCaches();
            assertEquals(List.of(), a.checkInvariants());
            assertEquals(0, a.stats().imported(), "seed=" + seed + ": every imported span went back");
            assertEquals(0, parent.stats().allocated(), "seed=" + seed);
            a.close();
            assertEquals(List.of(), parent.checkInvariants());
            System.out.println("  moves=" + a.engine.forms.moves);
        }
    }

    /**
     * Span A: 4,096 single IDs with a gap after each in 2^17 quanta, which the default rule admits (64 or
     * more, one per 256 quanta, mean 1 quantum, one gap per allocation). {@code bigNeighbour}: span B holds
     * one allocation of 2^21 quanta. Then 40,000 list-form allocations (each freed) pass four reviews.
     */
    static Arena gappedIdsBesideABigBlock(boolean bigNeighbour) {
        Arena a = Arena.builder("ids").quantum(1).span(0, 1 << 17).span(1 << 20, 1 << 22).build();
        if (bigNeighbour) {
            a.xalloc(Constraints.builder(1 << 21).min(1 << 20).build(), Policy.BEST_FIT);
        }
        long[] ids = new long[8192];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = a.alloc(1, Policy.NEXT_FIT);
        }
        for (int i = 0; i < ids.length; i += 2) {
            a.free(ids[i]);
        }
        for (int i = 0; i < 40_000; i++) { // past four reviews: the arena-wide check lets three in four off
            a.free(a.xalloc(Constraints.builder(1).min(1 << 16).max(1 << 17).build(), Policy.INSTANT_FIT));
        }
        assertEquals(List.of(), a.checkInvariants());
        return a;
    }

    @Test
    void aSpanTheDefaultRuleAdmits_goesDense_alone() {
        Arena a = gappedIdsBesideABigBlock(false);
        assertEquals(true, a.engine.forms.holding(1) != null, "span A is dense: " + a.engine.forms.dense);
    }

    /**
     * The same span A goes dense beside a span holding one large block: the arena-wide check that makes most
     * reviews O(1) lets every fourth review walk the spans (a review found by the adversarial review: before,
     * span A stayed in boundary tags for ever).
     */
    @Test
    void aSpanTheDefaultRuleAdmits_goesDense_evenBesideASpanOfLargeBlocks() {
        Arena a = gappedIdsBesideABigBlock(true);
        assertEquals(true, a.engine.forms.holding(1) != null, "span A (4,096 single IDs, 4,096 gaps, 2^17 quanta)"
                + " is dense, whatever span B holds: " + a.engine.forms.dense);
    }

    @Test
    void aSpanOf2pow26LargeQuantaEndingNearLongMax() {
        long q = 1L << 36;
        long[][] spans = {{0, 64 * q}, {(1L << 62) - q, 1L << 62}};
        for (long seed = 801; seed <= 803; seed++) {
            System.out.println("review seed=" + seed);
            differential(seed, q, DenseFormTest.STICKY, 1200, spans, 200);
        }
    }

    @Test
    void quantumBitmaps_agreeWithABitSet_acrossBothSummaryLevels() {
        for (long seed = 901; seed <= 906; seed++) {
            System.out.println("review bitmaps seed=" + seed);
            SplittableRandom rnd = new SplittableRandom(seed);
            long quanta = new long[] {1, 63, 64, 65, (1L << 18) + 1, (1L << 20) + 63}[(int) (seed - 901)];
            QuantumBitmaps b = new QuantumBitmaps(quanta);
            BitSet used = new BitSet();
            for (int step = 0; step < 3000; step++) {
                long from = rnd.nextLong(quanta);
                long to = Math.min(quanta, from + 1 + (rnd.nextBoolean() ? rnd.nextLong(1 + quanta / 2) : rnd.nextInt(130)));
                boolean value = rnd.nextInt(5) < 3;
                b.setRange(from, to, value);
                used.set((int) from, (int) to, value);
                for (int probe = 0; probe < 8; probe++) {
                    long i = rnd.nextLong(quanta);
                    String where = "seed=" + seed + " step=" + step + " i=" + i;
                    long nf = used.nextClearBit((int) i);
                    assertEquals(nf >= quanta ? quanta : nf, b.nextFree(i), where + " nextFree");
                    long nu = used.nextSetBit((int) i);
                    assertEquals(nu < 0 || nu >= quanta ? quanta : nu, b.nextUsed(i), where + " nextUsed");
                    assertEquals(used.previousSetBit((int) i), b.previousUsed(i), where + " previousUsed");
                }
                if (step % 37 == 0) { // the groups changed since the last count are counted now
                    assertEquals(freeRuns(used, quanta), b.freeRuns(), "seed=" + seed + " step=" + step + " free runs");
                }
                if (step % 500 == 0) {
                    List<String> problems = new ArrayList<>();
                    b.check("b", problems);
                    // starts are not maintained here: only the summary and padding problems matter
                    problems.removeIf(p -> p.contains("without a start"));
                    assertEquals(List.of(), problems, "seed=" + seed + " step=" + step);
                }
            }
        }
    }

    /** Maximal runs of clear bits below {@code quanta} in {@code used}. */
    private static long freeRuns(BitSet used, long quanta) {
        long runs = 0;
        for (int i = used.nextClearBit(0); i < quanta; i = used.nextClearBit(i)) {
            runs++;
            i = used.nextSetBit(i);
            if (i < 0) {
                break;
            }
        }
        return runs;
    }

    @Test
    void threadsOnACachedRestlessArena_neverShareAValue() throws Exception {
        long seed = 0xCAFEL;
        System.out.println("review concurrency seed=" + seed);
        Arena parent = Arena.builder("parent").quantum(1).span(1 << 24, 1 << 22).build();
        Arena a = Arena.builder("ids").quantum(1).qcacheMax(4).span(0, 1 << 12).source(parent).importQuantum(1 << 10)
                .build();
        a.engine.forms.use(DenseFormTest.RESTLESS);
        java.util.concurrent.ConcurrentHashMap<Long, Integer> held = new java.util.concurrent.ConcurrentHashMap<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int id = t;
            threads.add(new Thread(() -> {
                SplittableRandom rnd = new SplittableRandom(seed + id);
                List<long[]> mine = new ArrayList<>();
                try {
                    for (int i = 0; i < 20_000; i++) {
                        if (mine.isEmpty() || rnd.nextInt(100) < 52) {
                            long size = 1 + (rnd.nextInt(6) == 0 ? rnd.nextInt(9) : rnd.nextInt(2));
                            long v = a.tryAlloc(size, Policy.values()[rnd.nextInt(3)]);
                            if (v != Arena.NONE) {
                                for (long x = v; x < v + size; x++) {
                                    Integer other = held.putIfAbsent(x, id);
                                    if (other != null) {
                                        throw new AssertionError("value " + x + " handed to " + id + " while " + other
                                                + " holds it");
                                    }
                                }
                                mine.add(new long[] {v, size});
                            }
                        } else {
                            long[] x = mine.remove(rnd.nextInt(mine.size()));
                            for (long y = x[0]; y < x[0] + x[1]; y++) {
                                held.remove(y);
                            }
                            a.free(x[0], x[1]);
                        }
                        if (i % 5000 == 0) {
                            a.reapCaches();
                        }
                    }
                    for (long[] x : mine) {
                        for (long y = x[0]; y < x[0] + x[1]; y++) {
                            held.remove(y);
                        }
                        a.free(x[0], x[1]);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join(60_000);
        }
        assertEquals(List.of(), failures, "seed=" + seed);
        assertEquals(0, a.stats().liveAllocations());
        assertEquals(List.of(), a.checkInvariants());
        a.reapCaches();
        assertEquals(0, a.stats().imported());
        assertEquals(0, parent.stats().allocated());
        System.out.println("  moves=" + a.engine.forms.moves);
    }

    /**
     * INSTANT_FIT and BEST_FIT look at every dense span, so an arena of many small spans that all qualify
     * keeps at most {@link SpanForms#MAX_DENSE_SPANS} of them dense (the review found 20,000 dense spans
     * making an INSTANT_FIT pair cost about 99 us), and places as before with the rest in boundary tags.
     */
    @Test
    void manyQualifyingSpans_atMostTheBoundAreDense() {
        int spans = 1_000;
        Arena.Builder b = Arena.builder("many").quantum(1);
        for (int i = 0; i < spans; i++) {
            b.span((long) i << 12, 1 << 12);
        }
        Arena a = b.build();
        a.engine.forms.use(new DenseRule(1, 1L << 40, 1L << 36, 1L << 36, Long.MAX_VALUE, 1L << 36, 1L << 36, 1, 0));
        for (int i = 0; i < spans; i++) {
            for (int k = 0; k < 8; k++) {
                a.xalloc(Constraints.builder(1).min(((long) i << 12) + 2 * k).build(), Policy.NEXT_FIT);
            }
        }
        assertEquals(SpanForms.MAX_DENSE_SPANS, a.engine.forms.dense.size(), "dense spans");
        for (int i = 0; i < 10_000; i++) {
            a.free(a.alloc(1, Policy.INSTANT_FIT));
        }
        assertEquals(8L * spans, a.stats().liveAllocations());
        assertEquals(List.of(), a.checkInvariants());
    }
}

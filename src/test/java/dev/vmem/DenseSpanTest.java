package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link DenseSpan} against a model kept as a sorted map of allocations: every search it answers with
 * word operations is compared, after every step of a seeded random run, with a scan of the model.
 */
class DenseSpanTest {

    /**
     * With {@code idleAfter} positive the span lets its size classes go after that many operations, and the
     * searches that read them come only now and then: the free-run count (counted when read) and the classes
     * counted again must agree with the model all the same.
     */
    @ParameterizedTest(name = "quanta={0}, quantum={1}, seed={2}, idleAfter={3}")
    @CsvSource({"1, 1, 1, 0", "63, 1, 2, 0", "64, 8, 3, 0", "65, 1, 4, 0", "200, 4096, 5, 0", "4097, 1, 6, 0",
            "10000, 2, 7, 0", "1, 1, 8, 1", "65, 1, 9, 2", "200, 8, 10, 1", "4097, 1, 11, 3", "10000, 1, 12, 7"})
    void randomOperations_agreeWithAModel(long quanta, long quantum, long seed, long idleAfter) {
        System.out.println("DenseSpanTest seed=" + seed + " quanta=" + quanta + " idleAfter=" + idleAfter);
        SplittableRandom rnd = new SplittableRandom(seed);
        long base = quantum * 1000;
        DenseSpan d = new DenseSpan(base, quanta * quantum, quantum, idleAfter);
        TreeMap<Long, Long> model = new TreeMap<>(); // start index -> length in quanta
        int steps = (int) Math.min(20_000, 40 * quanta + 200);
        for (int step = 0; step < steps; step++) {
            String where = "seed=" + seed + " step=" + step;
            boolean[] used = usedOf(model, quanta);
            if (model.isEmpty() || rnd.nextInt(100) < 55) {
                long k = 1 + (rnd.nextInt(4) == 0 ? rnd.nextLong(Math.min(quanta, 70)) : rnd.nextLong(2));
                long from = rnd.nextLong(quanta);
                if (k == 1 && rnd.nextBoolean()) { // NEXT_FIT's one-quantum path: no wrapping, NONE past the last free
                    long expected = scan(used, from, false);
                    long taken = d.takeOneFrom(d.value(from) - rnd.nextLong(quantum)); // a value between quanta rounds up
                    assertEquals(expected < quanta ? d.value(expected) : Fit.NONE, taken, where + ": takeOneFrom " + from);
                    if (taken != Fit.NONE) {
                        model.put(expected, 1L);
                    }
                } else {
                    long i = firstFreeRun(used, from, k);
                    if (i >= 0) {
                        d.allocate(d.value(i), k * quantum);
                        model.put(i, k);
                    }
                }
            } else if (rnd.nextInt(4) == 0) { // the one-quantum free: anything but a one-quantum allocation is refused
                long i = rnd.nextLong(quanta);
                long value = d.value(i) + (quantum > 1 && rnd.nextInt(8) == 0 ? 1 : 0);
                boolean single = value == d.value(i) && model.containsKey(i) && model.get(i) == 1;
                assertEquals(single, d.freeOne(value), where + ": freeOne " + value);
                if (single) {
                    model.remove(i);
                }
            } else {
                List<Long> starts = new ArrayList<>(model.keySet());
                long i = starts.get(rnd.nextInt(starts.size()));
                assertEquals(model.get(i) * quantum, d.sizeAt(d.value(i)), where + ": size of the allocation at " + i);
                d.free(d.value(i), model.remove(i) * quantum);
            }
            used = usedOf(model, quanta);
            compare(d, model, used, quanta, quantum, rnd, idleAfter == 0 || rnd.nextInt(8) == 0, where);
        }
    }

    /**
     * A span of whole bitmap words whose tail is full: the searches run off its last word, where the next free
     * index is exactly the span's length, and must say NONE rather than hand out the value just past the span.
     */
    @ParameterizedTest(name = "quanta={0}, quantum={1}")
    @CsvSource({"64, 1", "128, 8", "4096, 2"})
    void aFullTailOfWholeWords_hasNoFreeQuantumAfterIt(long quanta, long quantum) {
        long base = quantum * 1000;
        DenseSpan d = new DenseSpan(base, quanta * quantum, quantum);
        Request one = Request.plain(quantum, quantum, Policy.NEXT_FIT);
        for (long i = quanta - 64; i < quanta; i++) { // the last word, one quantum at a time
            assertEquals(d.value(i), d.takeOneFrom(d.value(quanta - 64)));
        }
        for (long from : new long[] {quanta - 64, quanta - 1}) {
            assertEquals(Fit.NONE, d.takeOneFrom(d.value(from)), "takeOneFrom " + from);
            assertEquals(Fit.NONE, d.search.lowest(one, d.value(from)), "lowest one from " + from);
        }
        assertEquals(Fit.NONE, d.takeOneFrom(d.end()));
        assertEquals(quanta > 64 ? base : Fit.NONE, d.takeOneFrom(base), "the words before the tail are free, if any");
        assertTrue(d.freeOne(d.value(quanta - 1)));
        assertEquals(d.value(quanta - 1), d.takeOneFrom(d.value(quanta - 64)), "the one freed is found again");
        List<String> problems = new ArrayList<>();
        d.check("span", problems);
        assertEquals(List.of(), problems);
    }

    /**
     * Long stretches wholly allocated or wholly free, which only the top summary level crosses in a few
     * reads: every search agrees with a scan, and the check finds the summaries consistent.
     */
    @ParameterizedTest(name = "seed={0}")
    @CsvSource({"11", "12", "13"})
    void fullAndEmptyStretches_searchAsAScanDoes(long seed) {
        System.out.println("DenseSpanTest stretches seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        long quanta = (1 << 20) + rnd.nextInt(5000);
        DenseSpan d = new DenseSpan(0, quanta, 1);
        TreeMap<Long, Long> model = new TreeMap<>();
        for (long i = 0; i + 65_536 <= quanta; i += 65_536) {
            if (rnd.nextInt(3) != 0) { // about two thirds of the 64 Ki stretches allocated, whole
                d.allocate(i, 65_536);
                model.put(i, 65_536L);
            }
        }
        for (int round = 0; round < 40; round++) {
            String where = "seed=" + seed + " round=" + round;
            if (rnd.nextBoolean() && !model.isEmpty()) {
                List<Long> starts = new ArrayList<>(model.keySet());
                long i = starts.get(rnd.nextInt(starts.size()));
                d.free(i, model.remove(i));
            } else {
                long i = rnd.nextLong(quanta);
                boolean[] used = usedOf(model, quanta);
                if (!used[(int) i]) {
                    d.allocate(i, 1);
                    model.put(i, 1L);
                }
            }
            compare(d, model, usedOf(model, quanta), quanta, 1, rnd, true, where);
        }
    }

    /**
     * An ID pool that now and then takes a longer block: the starts bitmap is rebuilt at the longer block, kept
     * while it is live and, after its free, until the one-quantum operations since the rebuild number one per
     * bitmap word; then let go. The free runs are read only at the end of each step, after many groups changed.
     */
    @ParameterizedTest(name = "quanta={0}, seed={1}")
    @CsvSource({"5000, 21", "4096, 22", "130, 23"})
    void anOccasionalLongerBlock_keepsTheStartsBitmapOnlyWhileNeeded(long quanta, long seed) {
        System.out.println("DenseSpanTest starts kept seed=" + seed + " quanta=" + quanta);
        SplittableRandom rnd = new SplittableRandom(seed);
        long quantum = 8;
        DenseSpan d = new DenseSpan(quantum * 1000, quanta * quantum, quantum);
        QuantumBitmaps bits = bitsOf(d);
        TreeMap<Long, Long> model = new TreeMap<>();
        long words = (quanta + 63) / 64;
        singles(d, model, quanta, rnd, 3 * words, "seed=" + seed);
        assertFalse(bits.startsKept(), "seed=" + seed + ": one-quantum allocations only");
        for (int round = 0; round < 4; round++) {
            String where = "seed=" + seed + " round=" + round;
            long k = 2 + rnd.nextInt(4);
            long i = firstFreeRun(usedOf(model, quanta), rnd.nextLong(quanta), k);
            d.allocate(d.value(i), k * quantum);
            model.put(i, k);
            assertTrue(bits.startsKept(), where + ": a block of " + k + " quanta keeps the starts bitmap");
            assertEquals(k * quantum, d.sizeAt(d.value(i)), where + ": its size");
            singles(d, model, quanta, rnd, words / 2, where);
            assertTrue(bits.startsKept(), where + ": kept while the block is live");
            compare(d, model, usedOf(model, quanta), quanta, quantum, rnd, true, where);
            d.free(d.value(i), model.remove(i) * quantum);
            singles(d, model, quanta, rnd, words - words / 2 - 1, where);
            assertTrue(bits.startsKept(), where + ": kept until a word's worth of operations paid for the rebuild");
            compare(d, model, usedOf(model, quanta), quanta, quantum, rnd, true, where);
            singles(d, model, quanta, rnd, 1 + rnd.nextInt(3), where);
            assertFalse(bits.startsKept(), where + ": let go once paid for, every allocation one quantum");
            compare(d, model, usedOf(model, quanta), quanta, quantum, rnd, true, where);
        }
    }

    /** {@code n} one-quantum allocations and frees at random places, each checked against the model. */
    private static void singles(DenseSpan d, TreeMap<Long, Long> model, long quanta, SplittableRandom rnd, long n,
                                String where) {
        for (long done = 0, tries = 0; done < n; tries++) {
            assertTrue(tries < 100 * n + 100, where + ": no one-quantum operation left to make");
            long i = rnd.nextLong(quanta);
            Long k = model.get(i);
            if (k != null && k == 1) {
                assertTrue(d.freeOne(d.value(i)), where + ": free " + i);
                model.remove(i);
                done++;
            } else if (k != null) {
                assertFalse(d.freeOne(d.value(i)), where + ": the one-quantum free of a longer block at " + i);
            } else if (model.size() < quanta / 2) {
                long taken = d.takeOneFrom(d.value(i));
                if (taken != Fit.NONE) {
                    assertEquals(null, model.put(d.index(taken), 1L), where + ": took a live quantum " + taken);
                    done++;
                }
            }
        }
    }

    private static QuantumBitmaps bitsOf(DenseSpan d) {
        try {
            java.lang.reflect.Field f = DenseSpan.class.getDeclaredField("bits");
            f.setAccessible(true);
            return (QuantumBitmaps) f.get(d);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** Compares every search with a scan of the model; the size-class searches only if {@code readClasses}. */
    private static void compare(DenseSpan d, TreeMap<Long, Long> model, boolean[] used, long quanta, long quantum,
                                SplittableRandom rnd, boolean readClasses, String where) {
        List<String> problems = new ArrayList<>();
        d.check("span", problems);
        assertEquals(List.of(), problems, where);
        assertEquals(model.size(), d.allocations, where + ": allocations");
        assertEquals(freeRunsOf(used), d.freeRuns(), where + ": free runs");
        for (int probe = 0; probe < 8; probe++) {
            long i = rnd.nextLong(quanta + 1);
            assertEquals(scan(used, i, false), d.nextFree(i), where + ": nextFree(" + i + ")");
            assertEquals(scan(used, i, true), d.nextUsed(i), where + ": nextUsed(" + i + ")");
            long before = -1;
            for (long j = Math.min(i, quanta - 1); j >= 0; j--) {
                if (used[(int) j]) {
                    before = j;
                    break;
                }
            }
            assertEquals(before, d.previousUsed(Math.min(i, quanta - 1)), where + ": previousUsed(" + i + ")");
            long expectedSize = model.containsKey(i) ? model.get(i) * quantum : Fit.NONE;
            assertEquals(expectedSize, d.sizeAt(d.value(i)), where + ": sizeAt(" + i + ")");
        }
        // A single quantum not aligned: the run walk; a request for two quanta aligned to 2: constraints.
        Request one = Request.plain(quantum, quantum, Policy.NEXT_FIT);
        long from = d.value(rnd.nextLong(quanta));
        long expected = scanFit(used, d.index(from), 1, 1);
        assertEquals(expected < 0 ? Fit.NONE : d.value(expected), d.search.lowest(one, from),
                where + ": lowest one from " + from);
        Request two = new Request(2 * quantum, 2 * quantum, 0, 0, 0, Fit.roundDown(Constraints.NO_MAX, quantum),
                Policy.NEXT_FIT);
        // The base is 1000 quanta, even, so alignment to two quanta is alignment of the index.
        long expectedTwo = scanFit(used, d.index(from), 2, 2);
        assertEquals(expectedTwo < 0 ? Fit.NONE : d.value(expectedTwo), d.search.lowest(two, from),
                where + ": lowest two from " + from);
        if (!readClasses) {
            return;
        }
        // Best fit for one quantum: the smallest free run, the lowest on a tie.
        long bestBase = -1;
        long bestLength = Long.MAX_VALUE;
        for (long i = 0; i < quanta; ) {
            if (used[(int) i]) {
                i++;
                continue;
            }
            long end = scan(used, i, true);
            if (end - i < bestLength) {
                bestLength = end - i;
                bestBase = i;
            }
            i = end;
        }
        // classesFrom is what placement reads first (a recount of a span that let its classes go starts there);
        // a span with no free run at all recounts to no class.
        if (bestBase < 0 || (d.allocations & 1) == 0) {
            long listed = d.classesFrom(0);
            assertEquals(bestBase < 0, listed == 0, where + ": classes listed " + Long.toBinaryString(listed));
        }
        long best = d.search.bestFit(one);
        assertEquals(bestBase < 0 ? Fit.NONE : d.value(bestBase), best, where + ": best fit of one");
        if (bestBase >= 0) {
            assertEquals(bestLength * quantum, d.search.bestRunSize, where + ": best run size");
            int c = FreeLists.classOf(bestLength * quantum);
            long inClass = d.search.firstInClass(c, one);
            assertTrue(inClass != Fit.NONE, where + ": a run of class " + c + " exists");
            long i = d.index(inClass);
            long end = scan(used, i, true);
            assertTrue(!used[(int) i] && (i == 0 || used[(int) i - 1]) && FreeLists.classOf((end - i) * quantum) == c,
                    where + ": firstInClass(" + c + ") gave " + inClass + ", not the start of a run of that class");
            assertTrue((d.classesFrom(c) & (1L << c)) != 0, where + ": class " + c + " is listed");
        }
        // Best fit of k quanta, k around the word size: shorter runs are passed over a word at a time.
        long k = 2 + rnd.nextLong(Math.min(quanta, 130));
        long fitBase = -1;
        long fitLength = Long.MAX_VALUE;
        for (long i = 0; i < quanta; i++) {
            if (!used[(int) i] && (i == 0 || used[(int) i - 1])) {
                long end = scan(used, i, true);
                if (end - i >= k && end - i < fitLength) {
                    fitLength = end - i;
                    fitBase = i;
                }
            }
        }
        Request many = Request.plain(k * quantum, quantum, Policy.BEST_FIT);
        assertEquals(fitBase < 0 ? Fit.NONE : d.value(fitBase), d.search.bestFit(many), where + ": best fit of " + k);
        if (fitBase >= 0) {
            assertEquals(fitLength * quantum, d.search.bestRunSize, where + ": best run size for " + k);
        }
    }

    private static long freeRunsOf(boolean[] used) {
        long runs = 0;
        for (int j = 0; j < used.length; j++) {
            if (!used[j] && (j == 0 || used[j - 1])) {
                runs++;
            }
        }
        return runs;
    }

    private static boolean[] usedOf(TreeMap<Long, Long> model, long quanta) {
        boolean[] used = new boolean[(int) quanta];
        model.forEach((i, k) -> {
            for (long j = i; j < i + k; j++) {
                used[(int) j] = true;
            }
        });
        return used;
    }

    /** The first index at or after {@code i} that is used (or free), or the end. */
    private static long scan(boolean[] used, long i, boolean wantUsed) {
        for (long j = i; j < used.length; j++) {
            if (used[(int) j] == wantUsed) {
                return j;
            }
        }
        return used.length;
    }

    /** The lowest index at or after {@code from}, a multiple of {@code align}, starting {@code k} free quanta. */
    private static long scanFit(boolean[] used, long from, long k, long align) {
        for (long i = from; i + k <= used.length; i++) {
            if (i % align != 0) {
                continue;
            }
            boolean free = true;
            for (long j = i; j < i + k && free; j++) {
                free = !used[(int) j];
            }
            if (free) {
                return i;
            }
        }
        return -1;
    }

    private static long firstFreeRun(boolean[] used, long from, long k) {
        long i = scanFit(used, from, k, 1);
        return i >= 0 ? i : scanFit(used, 0, k, 1);
    }

    /**
     * A span is plain (one-quantum operations need only its bits) once its size classes are let go and while no
     * starts are kept; each search by class, and each longer block, ends that, and the operations after bring it
     * back. The plain paths do nothing in a span that is not plain.
     */
    @Test
    void plain_whileNoClassesAndNoStartsAreKept() {
        long quantum = 4;
        DenseSpan d = new DenseSpan(0, 200 * quantum, quantum, 3);
        assertTrue(d.plain(), "a new span counts its classes only when a search first reads them");
        assertEquals(4 * quantum, d.takePlainOneFrom(4 * quantum));
        assertTrue(d.freePlainOne(4 * quantum));
        assertEquals(1L << 9, d.classesFrom(0), "one free run of 800 values: class 9");
        assertFalse(d.plain(), "a search by class counts them");
        for (int i = 0; i < 4; i++) {
            assertEquals(i * quantum, d.takeOneFrom(0));
        }
        assertTrue(d.plain(), "the classes let go after 3 operations without a search");
        assertEquals(4 * quantum, d.takePlainOneFrom(0));
        assertTrue(d.freePlainOne(0));
        assertFalse(d.freePlainOne(0), "a free quantum");
        assertFalse(d.freePlainOne(quantum + 1), "a value off the quantum");
        d.classesFrom(0);
        assertFalse(d.plain(), "a search by class counts them again");
        assertEquals(Fit.NONE, d.takePlainOneFrom(0));
        assertFalse(d.freePlainOne(quantum));
        for (int i = 0; i < 4; i++) {
            d.free(d.takeOneFrom(0), quantum);
        }
        assertTrue(d.plain());
        Request any = Request.plain(quantum, quantum, Policy.INSTANT_FIT);
        assertEquals(0, d.search.firstInClass(Long.numberOfTrailingZeros(quantum), any), "the run freed at 0");
        assertFalse(d.plain(), "so does a search of one class");
        for (int i = 0; i < 4; i++) {
            d.free(d.takeOneFrom(0), quantum);
        }
        long withoutStarts = d.footprint();
        d.allocate(100 * quantum, 3 * quantum);
        assertFalse(d.plain(), "a longer block keeps the starts");
        assertEquals(withoutStarts + 8 * 4, d.footprint(), "a starts bitmap of 4 words");
        assertEquals(3 * quantum, d.sizeAt(100 * quantum));
        d.free(100 * quantum, 3 * quantum);
        for (int i = 0; i < 4; i++) {
            d.free(d.takeOneFrom(0), quantum);
        }
        assertTrue(d.plain(), "the starts let go a word's worth of operations after the block's free");
        assertEquals(withoutStarts, d.footprint(), "and their memory");
        List<String> problems = new ArrayList<>();
        d.check("span", problems);
        assertEquals(List.of(), problems);
    }
}

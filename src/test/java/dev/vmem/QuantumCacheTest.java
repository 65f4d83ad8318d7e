package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.testing.RecordingSource;
import dev.vmem.testing.Segments;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Quantum caches: what they serve, what they refuse, how they give space back, and a seeded model run. */
class QuantumCacheTest {

    private static Arena cached(long quantum, long qcacheMax, long spanSize) {
        return Arena.builder("cached").quantum(quantum).qcacheMax(qcacheMax).span(0, spanSize).build();
    }

    @Test
    void smallAllocationsComeFromASlab_andTheWalkShowsHeldAndIdleBlocks() {
        Arena a = cached(8, 32, 1 << 20);
        long b = a.alloc(16, Policy.INSTANT_FIT);
        ArenaStats s = a.stats();
        assertEquals(16, s.allocated(), "only the caller's block counts as allocated");
        assertEquals(62 * 16, s.cached(), "the rest of the 63-block slab is cached");
        assertEquals(1, s.liveAllocations());
        assertEquals(1, s.allocations());
        assertEquals(s.total() - 16, s.free(), "cached values are free to callers");
        assertEquals(16, Segments.sizeOf(a, Segment.Kind.ALLOCATED));
        assertEquals(62 * 16, Segments.sizeOf(a, Segment.Kind.CACHED));
        assertTrue(a.segments().contains(new Segment(b, 16, Segment.Kind.ALLOCATED)));
        a.free(b, 16);
        assertEquals(0, a.stats().allocated());
        assertEquals(63 * 16, a.stats().cached());
        assertEquals(b, a.alloc(9, Policy.BEST_FIT), "a freed block is the first one handed out again");
        a.free(b);
        Invariants.assertSound(a);
    }

    @Test
    void eachSizeHasItsOwnCache_andBlocksAreDistinct() {
        Arena a = cached(1, 4, 1 << 16);
        TreeMap<Long, Long> live = new TreeMap<>();
        for (int i = 0; i < 400; i++) {
            long size = 1 + i % 4;
            long b = a.alloc(size, Policy.INSTANT_FIT);
            Map.Entry<Long, Long> below = live.floorEntry(b + size - 1);
            assertTrue(below == null || below.getKey() + below.getValue() <= b, "block " + b + " overlaps " + below);
            live.put(b, size);
        }
        assertEquals(live.values().stream().mapToLong(Long::longValue).sum(), a.stats().allocated());
        assertEquals(400, a.stats().liveAllocations());
        live.forEach(a::free);
        assertEquals(0, a.stats().allocated());
        assertEquals(0, a.stats().liveAllocations());
        Invariants.assertSound(a);
    }

    @Test
    void badFreesOfCachedBlocks_areRefusedAndChangeNothing() {
        Arena a = cached(1, 4, 1 << 16);
        long b = a.alloc(2, Policy.INSTANT_FIT);
        long other = a.alloc(2, Policy.INSTANT_FIT);
        a.free(other, 2);
        String dump = a.dump();
        ArenaStats stats = a.stats();
        InvalidFreeException wrongSize = assertThrows(InvalidFreeException.class, () -> a.free(b, 3));
        assertTrue(wrongSize.getMessage().contains("size=3") && wrongSize.getMessage().contains("size=2"),
                wrongSize.getMessage());
        InvalidFreeException doubleFree = assertThrows(InvalidFreeException.class, () -> a.free(other, 2));
        assertTrue(doubleFree.getMessage().contains("base=" + other), doubleFree.getMessage());
        assertThrows(InvalidFreeException.class, () -> a.free(other));
        assertThrows(InvalidFreeException.class, () -> a.free(b + 1), "the middle of a block");
        assertThrows(InvalidFreeException.class, () -> a.free(b + 4, 2), "an idle block never handed out");
        assertEquals(dump, a.dump());
        assertEquals(stats, a.stats());
        a.free(b, 2);
        assertEquals(0, a.stats().allocated());
        Invariants.assertSound(a);
    }

    @Test
    void nextFitAndXallocBypassTheCaches() {
        Arena a = cached(1, 8, 1 << 16);
        long n1 = a.alloc(1, Policy.NEXT_FIT);
        long n2 = a.alloc(1, Policy.NEXT_FIT);
        long x = a.xalloc(Constraints.builder(4).align(4).build(), Policy.INSTANT_FIT);
        assertEquals(0, a.stats().cached(), "no slab was made");
        assertEquals(List.of(0L, 1L), List.of(n1, n2), "NEXT_FIT keeps its rotor");
        a.free(n1);
        assertEquals(2, a.alloc(1, Policy.NEXT_FIT), "NEXT_FIT does not reuse a value before it wraps");
        a.free(x, 4);
        a.free(n2, 1);
        Invariants.assertSound(a);
    }

    @Test
    void anAllocationThatFindsNoRoom_reapsIdleSlabsFirst() {
        // One slab of 63 fits at 0 (aligned to 64); the rest of [0, 126) is served without a cache.
        Arena a = cached(1, 1, 126);
        List<Long> blocks = new ArrayList<>();
        for (int i = 0; i < 126; i++) {
            blocks.add(a.alloc(1, Policy.INSTANT_FIT));
        }
        assertEquals(126, a.stats().allocated());
        assertEquals(-1, a.tryAlloc(1, Policy.INSTANT_FIT));
        assertEquals(1, a.stats().failures());
        for (long b : blocks) {
            a.free(b, 1);
        }
        assertEquals(63, a.stats().cached());
        long big = a.alloc(100, Policy.INSTANT_FIT);
        assertEquals(0, a.stats().cached(), "the idle slab went back to make room");
        assertEquals(100, a.stats().allocated());
        assertEquals(1, a.stats().failures(), "a reap that makes room is no failure");
        a.free(big);
        Invariants.assertSound(a);
    }

    @Test
    void anArenaTooSmallForASlab_servesSmallRequestsItself() {
        Arena a = cached(1, 2, 10);
        for (int i = 0; i < 5; i++) {
            a.alloc(2, Policy.INSTANT_FIT);
        }
        ArenaExhaustedException e = assertThrows(ArenaExhaustedException.class, () -> a.alloc(1, Policy.INSTANT_FIT));
        assertTrue(e.getMessage().contains("free=0 of which cached=0"), e.getMessage());
        ArenaStats s = a.stats();
        assertEquals(10, s.allocated());
        assertEquals(0, s.cached());
        assertEquals(1, s.failures());
        Invariants.assertSound(a);
    }

    @Test
    void reapCaches_givesAnImportedSpanBackToTheSource() {
        Arena parent = Arena.builder("parent").quantum(1).span(1 << 20, 1 << 20).build();
        Arena child = Arena.builder("child").quantum(1).qcacheMax(4).source(parent).importQuantum(256).build();
        long b = child.alloc(3, Policy.INSTANT_FIT);
        child.free(b, 3);
        assertTrue(parent.stats().allocated() > 0, "the idle slab keeps the imported span");
        child.reapCaches();
        assertEquals(0, child.stats().total());
        assertEquals(0, parent.stats().allocated());
        Invariants.assertSound(parent, child);
    }

    @Test
    void aSlabWhoseSpanTheSourceRefuses_staysInTheCacheAndServesAgain() {
        Arena parent = Arena.builder("parent").quantum(1).span(0, 1 << 20).build();
        RecordingSource refusing = RecordingSource.over(parent.asSource());
        Arena child = Arena.builder("child").quantum(1).qcacheMax(2).source(refusing).build();
        long b = child.alloc(2, Policy.INSTANT_FIT);
        child.free(b, 2);
        String dump = child.dump();
        ArenaStats stats = child.stats();
        refusing.failReleasesWith(() -> new IllegalStateException("refused by test"));
        child.reapCaches();
        child.reapCaches();
        assertEquals(dump, child.dump(), "the slab is back in the cache, unchanged");
        assertEquals(stats, child.stats());
        assertEquals(b, child.alloc(2, Policy.INSTANT_FIT), "and serves again");
        child.free(b);
        refusing.failReleasesWith(null);
        child.reapCaches();
        assertEquals(0, child.stats().total());
        assertEquals(0, parent.stats().allocated());
        Invariants.assertSound(parent, child);
    }

    @Test
    void close_givesSlabsBack_countsHeldBlocksAsLeaks_andRefusesCachedCalls() {
        Arena parent = Arena.builder("parent").quantum(1).span(0, 1 << 20).build();
        Arena child = Arena.builder("child").quantum(1).qcacheMax(4).source(parent).build();
        long b = child.alloc(2, Policy.INSTANT_FIT);
        child.close();
        assertEquals(0, parent.stats().allocated(), "every imported span went back");
        ArenaStats s = child.stats();
        assertEquals(0, s.allocated());
        assertEquals(0, s.cached());
        assertEquals(s.allocations(), s.frees(), "the leaked block counts as freed");
        assertThrows(IllegalStateException.class, () -> child.alloc(2, Policy.INSTANT_FIT));
        assertThrows(IllegalStateException.class, () -> child.free(b, 2));
        Invariants.assertSound(parent, child);
    }

    @Test
    void close_ofAnArenaWithItsOwnSpans_givesTheSlabsRangesBackToItsSegments() {
        Arena a = Arena.builder("own").quantum(1).qcacheMax(4).span(0, 1 << 20).build();
        long b = a.alloc(2, Policy.INSTANT_FIT);
        a.close();
        ArenaStats s = a.stats();
        assertEquals(0, s.allocated(), "the slab's range is free again");
        assertEquals(0, s.cached());
        assertEquals(1 << 20, s.free());
        assertEquals(s.allocations(), s.frees(), "the leaked block " + b + " counts as freed");
        Invariants.assertSound(a);
    }

    @Test
    void definitionsThatCannotHaveCaches_areRefused() {
        IllegalArgumentException observed = assertThrows(IllegalArgumentException.class,
                () -> ObservedArena.create(Arena.builder("o").qcacheMax(4), (arena, change) -> { }));
        assertTrue(observed.getMessage().contains("qcacheMax=4"), observed.getMessage());
        long tooBig = Long.highestOneBit(Arena.MAX_QCACHE_VALUES) << 1;
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> Arena.builder("b").quantum(1L << 50).qcacheMax(tooBig).build());
        assertTrue(big.getMessage().contains("qcacheMax=" + tooBig), big.getMessage());
        // Export and revert are an observed arena's, which has no caches: a cached arena offers neither.
        Arena a = cached(1, 4, 1024);
        assertThrows(NoSuchMethodException.class, () -> Arena.class.getMethod("exportState"));
        assertThrows(NoSuchMethodException.class, () -> Arena.class.getMethod("revert", ArenaChange.class));
        Invariants.assertSound(a);
    }

    @Test
    void blockIndex_agreesWithDivisionForEverySizeAndOffset() {
        for (long q : new long[] {1, 4096}) {
            Arena a = cached(q, Arena.MAX_QCACHE_QUANTA * q, 1L << 40);
            for (int quanta = 1; quanta <= Arena.MAX_QCACHE_QUANTA; quanta++) {
                QuantumCache c = new QuantumCache(x -> null, a.label(), q, quanta, 1);
                QuantumCache.Slab slab = new QuantumCache.Slab(c, 1L << 30, new SlabIndex.Leaf(0), 0);
                for (long off = -q; off <= c.slabSize; off += q) {
                    long expected = off >= 0 && off < c.slabSize && off % c.blockSize == 0 ? off / c.blockSize : -1;
                    assertEquals(expected, c.blockIndex(slab, slab.base + off), "quanta=" + quanta + " offset=" + off);
                }
            }
            Invariants.assertSound(a);
        }
    }

    /**
     * Seeded random allocations and frees (good and bad) on a cached arena, checked step by step
     * against a model of the live blocks: no overlap, exact figures, and bad frees change nothing.
     */
    @ParameterizedTest(name = "quantum={0}, qcacheMax={1} quanta")
    @CsvSource({"1, 1", "1, 8", "8, 64", "4096, 16"})
    void randomOperations_matchAModelOfLiveBlocks(long q, int quanta) {
        long seed = Long.getLong("vmem.seed", 0x0CAC4EL) + q * 131 + quanta;
        System.out.println("QuantumCacheTest seed=" + seed + " quantum=" + q + " qcacheMax=" + quanta + " quanta");
        SplittableRandom rnd = new SplittableRandom(seed);
        long spanQuanta = 4 * 63 * quanta + 500;
        Arena a = cached(q, quanta * q, spanQuanta * q);
        TreeMap<Long, Long> live = new TreeMap<>();
        long allocations = 0;
        long frees = 0;
        long failures = 0;
        long mostCached = 0;
        for (int step = 0; step < 20_000; step++) {
            String ctx = "seed=" + seed + " step=" + step;
            int op = rnd.nextInt(10);
            if (op < 5) {
                long size = q * (1 + rnd.nextInt(quanta + quanta / 4 + 1));
                Policy policy = Policy.values()[rnd.nextInt(3)];
                long b = a.tryAlloc(size, policy);
                if (b == Arena.NONE) {
                    failures++;
                    continue;
                }
                Map.Entry<Long, Long> below = live.floorEntry(b + size - 1);
                assertFalse(below != null && below.getKey() + below.getValue() > b,
                        ctx + ": " + b + " overlaps " + below);
                assertEquals(0, b % q, ctx);
                live.put(b, size);
                allocations++;
            } else if (op < 9 && !live.isEmpty()) {
                Map.Entry<Long, Long> e = live.ceilingEntry(rnd.nextLong(spanQuanta * q));
                e = e == null ? live.firstEntry() : e;
                if (rnd.nextBoolean()) {
                    a.free(e.getKey(), e.getValue());
                } else {
                    a.free(e.getKey());
                }
                live.remove(e.getKey());
                frees++;
            } else {
                long bogus = q * rnd.nextLong(spanQuanta);
                if (live.containsKey(bogus)) {
                    continue;
                }
                String dump = a.dump();
                ArenaStats before = a.stats();
                assertThrows(InvalidFreeException.class, () -> a.free(bogus), ctx + ": free(" + bogus + ")");
                assertEquals(dump, a.dump(), ctx);
                assertEquals(before, a.stats(), ctx);
            }
            ArenaStats s = a.stats();
            assertEquals(live.values().stream().mapToLong(Long::longValue).sum(), s.allocated(), ctx);
            assertEquals(live.size(), s.liveAllocations(), ctx);
            assertEquals(allocations, s.allocations(), ctx);
            assertEquals(frees, s.frees(), ctx);
            assertEquals(failures, s.failures(), ctx);
            mostCached = Math.max(mostCached, s.cached());
            if (step % 1000 == 0) {
                assertEquals(List.of(), a.checkInvariants(), ctx);
            }
        }
        assertTrue(mostCached > 0, "the caches were used");
        assertTrue(failures > 0, "the run reached exhaustion, where the caches are reaped");
        Invariants.assertSound(a);
    }

    /** Runs {@code body} on a new thread (so on whatever stripe that thread hashes to) and waits for it. */
    private static void onNewThread(Runnable body) throws InterruptedException {
        Thread t = new Thread(body);
        t.start();
        t.join();
    }

    /**
     * Guards against a request failing while another stripe's slab has idle blocks of its size. A slab is
     * the current slab of the stripe of the thread that made it; a thread of another stripe must still
     * find its idle blocks ("a new slab is taken only when no stripe and no queued slab has room"; "every
     * idle block stays reachable") rather than fail. The arena holds exactly one slab.
     */
    @Test
    void idleBlocksOfAnotherStripesSlab_serveAThreadBeforeItsRequestFails() throws InterruptedException {
        Arena a = Arena.builder("one-slab").quantum(1).qcacheMax(1).span(0, 63).build();
        long held = a.alloc(1, Policy.INSTANT_FIT);
        assertEquals(62, a.stats().cached(), "one slab, one block held by this thread");
        List<Long> refused = new ArrayList<>();
        for (int i = 0; i < 32; i++) { // threads hash onto stripes: some of them land on other stripes
            AtomicLong got = new AtomicLong();
            onNewThread(() -> got.set(a.tryAlloc(1, Policy.INSTANT_FIT)));
            if (got.get() == Arena.NONE) {
                refused.add((long) i);
            } else {
                a.free(got.get(), 1);
            }
        }
        assertEquals(List.of(), refused, "threads refused although the slab had 62 idle blocks of their size");
        assertEquals(62, a.stats().cached());
        assertEquals(32, a.stats().frees());
        a.free(held, 1);
        Invariants.assertSound(a);
    }

    /**
     * Guards against a dump header whose space figures disagree with stats() and with its own segment
     * lines: a slab with one block held is 16 values allocated, not 63 * 16.
     */
    @Test
    void dumpHeader_showsTheCallersFiguresLikeStatsAndTheWalk() {
        Arena a = Arena.builder("dumped").quantum(8).qcacheMax(32).span(0, 1 << 20).build();
        long b = a.alloc(16, Policy.INSTANT_FIT);
        ArenaStats s = a.stats();
        String header = a.dump().lines().findFirst().orElseThrow();
        long walkedAllocated = Segments.sizeOf(a, Segment.Kind.ALLOCATED);
        assertEquals(16, walkedAllocated);
        assertTrue(header.contains(" allocated=" + s.allocated() + " ") && header.contains(" free=" + s.free() + " "),
                header + " vs " + s);
        assertTrue(header.contains(" cached=" + s.cached() + " "), header);
        a.free(b, 16);
        Invariants.assertSound(a);
    }
}

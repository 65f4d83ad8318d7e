package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Several threads allocating and freeing at once, on one arena and on a parent with children. Every
 * live block is recorded in one shared map: a block is checked against its neighbours when it goes in
 * (before and after the put, so that of two racing overlapping blocks at least one sees the other) and
 * taken out before it is freed, so an overlap in the map is an overlap in the arenas.
 */
class ConcurrencyTest {
    private static final long SEED = Long.getLong("vmem.seed", 0xC0C0L);
    private static final int THREADS = 6;
    private static final int ITERATIONS = 30_000;

    static Stream<Arguments> policiesAndQuanta() {
        List<Arguments> out = new ArrayList<>();
        for (Policy p : Policy.values()) {
            for (long q : new long[] {1, 8, 4096}) {
                out.add(Arguments.of(p, q, false));
                out.add(Arguments.of(p, q, true));
            }
        }
        return out.stream();
    }

    /** A live block: where it is and which arena holds it. */
    record Block(long base, long size, Arena owner) {
        long end() {
            return base + size;
        }
    }

    /** The shared state of one run: the live-block map, the failures seen, counters. */
    static final class Shared {
        final String ctx;
        final ConcurrentSkipListMap<Long, Block> live = new ConcurrentSkipListMap<>();
        final ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        final AtomicLong allocations = new AtomicLong();
        final AtomicLong exhausted = new AtomicLong();
        final AtomicLong frees = new AtomicLong();
        final AtomicBoolean stop = new AtomicBoolean();

        Shared(String ctx) {
            this.ctx = ctx;
        }

        void fail(String message) {
            errors.add(new AssertionError(ctx + ": " + message));
            stop.set(true);
        }

        /** The live block overlapping {@code b}, other than {@code b} itself, or null. */
        Block overlapping(Block b) {
            Map.Entry<Long, Block> below = live.lowerEntry(b.base);
            if (below != null && below.getValue().end() > b.base) {
                return below.getValue();
            }
            Map.Entry<Long, Block> above = live.higherEntry(b.base);
            if (above != null && above.getKey() < b.end()) {
                return above.getValue();
            }
            return null;
        }

        void insert(Block b) {
            Block clash = overlapping(b);
            if (clash != null) {
                fail("new block " + b + " overlaps live block " + clash);
                return;
            }
            Block same = live.putIfAbsent(b.base, b);
            if (same != null) {
                fail("new block " + b + " has the base of live block " + same);
                return;
            }
            clash = overlapping(b);
            if (clash != null) {
                fail("new block " + b + " overlaps live block " + clash + " inserted meanwhile");
            }
        }

        void remove(Block b) {
            if (!live.remove(b.base, b)) {
                fail("block " + b + " vanished from the live map");
            }
        }
    }

    /** One thread's loop: allocate from its arenas, record, free its own blocks. */
    static void work(Shared s, long seed, Arena[] arenas, Policy policy, long q, CyclicBarrier start) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Block> mine = new ArrayList<>();
        try {
            start.await(30, TimeUnit.SECONDS);
            for (int i = 0; i < ITERATIONS && !s.stop.get(); i++) {
                if (mine.isEmpty() || rnd.nextInt(100) < 55) {
                    Arena a = arenas[rnd.nextInt(arenas.length)];
                    long size = q * (1 + rnd.nextInt(rnd.nextInt(8) == 0 ? 64 : 8)) - (q > 1 ? rnd.nextLong(q) : 0);
                    long rounded = (size + q - 1) / q * q;
                    Constraints c = null;
                    long base;
                    try {
                        if (rnd.nextInt(4) == 0) {
                            c = Constraints.builder(size).align(q << rnd.nextInt(6)).build();
                            base = a.xalloc(c, policy);
                        } else {
                            base = a.alloc(size, policy);
                        }
                    } catch (ArenaExhaustedException e) {
                        s.exhausted.incrementAndGet();
                        continue;
                    }
                    if (base % q != 0 || (c != null && !c.admits(base))) {
                        s.fail("block " + base + " of " + a + " violates " + (c == null ? "the quantum" : c));
                    }
                    Block b = new Block(base, rounded, a);
                    s.insert(b);
                    mine.add(b);
                    s.allocations.incrementAndGet();
                } else {
                    int i2 = rnd.nextInt(mine.size());
                    Block b = mine.get(i2);
                    mine.set(i2, mine.get(mine.size() - 1));
                    mine.remove(mine.size() - 1);
                    s.remove(b);
                    if (rnd.nextBoolean()) {
                        b.owner.free(b.base, b.size);
                    } else {
                        b.owner.free(b.base);
                    }
                    s.frees.incrementAndGet();
                }
            }
        } catch (Throwable t) { // recorded and rethrown by the test thread as an assertion failure
            s.errors.add(t);
            s.stop.set(true);
        }
    }

    /** Runs {@code THREADS} workers, thread {@code i} on {@code arenasOf.get(i)}, and waits for them. */
    static Shared runWorkers(String ctx, long seed, List<Arena[]> arenasOf, Policy policy, long q, Runnable probe)
            throws InterruptedException {
        Shared s = new Shared(ctx);
        CyclicBarrier start = new CyclicBarrier(THREADS + 1);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            long threadSeed = seed * 31 + i;
            Arena[] arenas = arenasOf.get(i);
            Thread t = new Thread(() -> work(s, threadSeed, arenas, policy, q, start), "vmem-worker-" + i);
            t.start();
            threads.add(t);
        }
        try {
            start.await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            s.errors.add(e);
            s.stop.set(true);
        }
        // While the workers run, check the structure from this thread too, a bounded number of times.
        for (int i = 0; i < 200 && threads.stream().anyMatch(Thread::isAlive); i++) {
            try {
                probe.run();
            } catch (Throwable t) {
                s.errors.add(t);
                s.stop.set(true);
            }
            Thread.sleep(1);
        }
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(50));
            assertTrue(!t.isAlive(), ctx + ": " + t.getName() + " did not finish");
        }
        if (!s.errors.isEmpty()) {
            AssertionError e = new AssertionError(ctx + ": " + s.errors.size() + " failure(s) in workers, first: "
                    + s.errors.peek(), s.errors.peek());
            s.errors.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
        return s;
    }

    static long liveIn(Shared s, Arena a) {
        return s.live.values().stream().filter(b -> b.owner == a).mapToLong(Block::size).sum();
    }

    /** Quantum caches for 1 to 8 quanta, where most of the workers' requests fall, or none. */
    static long qcacheMax(boolean cached, long q) {
        return cached ? 8 * q : 0;
    }

    @ParameterizedTest(name = "{0}, quantum={1}, caches={2}")
    @MethodSource("policiesAndQuanta")
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void threadsAllocatingAndFreeingOnOneArena_neverGetOverlappingBlocks(Policy policy, long q, boolean cached)
            throws Exception {
        long seed = SEED + policy.ordinal() * 16 + Long.numberOfTrailingZeros(q) + (cached ? 8 : 0);
        String ctx = "seed=" + seed + " " + policy + " quantum=" + q + " caches=" + cached;
        System.out.println(ctx);
        // Small enough that the threads run out of space now and then.
        Arena arena = Arena.builder("shared").quantum(q).qcacheMax(qcacheMax(cached, q)).span(0, 1024 * q)
                .span(4096 * q, 1024 * q).build();
        List<Arena[]> arenasOf = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            arenasOf.add(new Arena[] {arena});
        }
        Shared s = runWorkers(ctx, seed, arenasOf, policy, q, () -> {
            List<String> problems = arena.checkInvariants();
            assertEquals(List.of(), problems, ctx + ": invariants while running");
            ArenaStats st = arena.stats();
            assertEquals(st.total(), st.allocated() + st.free(), ctx);
        });
        assertTrue(s.allocations.get() > ITERATIONS, ctx + ": too few allocations " + s.allocations);
        assertTrue(s.exhausted.get() > 0, ctx + ": the arena never ran out; the test should reach exhaustion");
        Invariants.assertSound(arena);
        ArenaStats st = arena.stats();
        assertEquals(liveIn(s, arena), st.allocated(), ctx + ": allocated != sum of live blocks");
        assertEquals(s.live.size(), st.liveAllocations(), ctx);
        assertEquals(s.allocations.get(), st.allocations(), ctx + ": allocation counter");
        assertEquals(s.frees.get(), st.frees(), ctx + ": free counter");
        assertEquals(s.exhausted.get(), st.failures(), ctx + ": failure counter");
        for (Block b : s.live.values()) {
            arena.free(b.base, b.size);
        }
        assertEquals(0, arena.stats().allocated(), ctx);
        Invariants.assertSound(arena);
    }

    @ParameterizedTest(name = "{0}, quantum={1}, caches={2}")
    @MethodSource("policiesAndQuanta")
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void threadsOnAParentAndItsChildren_neverGetOverlappingBlocks(Policy policy, long q, boolean cached)
            throws Exception {
        long seed = SEED + 1000 + policy.ordinal() * 16 + Long.numberOfTrailingZeros(q) + (cached ? 8 : 0);
        String ctx = "seed=" + seed + " " + policy + " quantum=" + q + " caches=" + cached;
        System.out.println(ctx);
        Arena parent = Arena.builder("parent").quantum(q).qcacheMax(qcacheMax(cached, q)).span(q, 4096 * q).build();
        Arena[] children = new Arena[3];
        for (int i = 0; i < children.length; i++) {
            children[i] = Arena.builder("child" + i).quantum(q).qcacheMax(qcacheMax(cached, q)).source(parent)
                    .importQuantum(16 * q).build();
        }
        // Two threads per child; one of them also allocates from the parent directly, next to the imports.
        List<Arena[]> arenasOf = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            Arena child = children[i % children.length];
            arenasOf.add(i < children.length ? new Arena[] {child} : new Arena[] {child, child, parent});
        }
        Shared s = runWorkers(ctx, seed, arenasOf, policy, q, () -> {
            assertEquals(List.of(), parent.checkInvariants(), ctx + ": parent invariants while running");
            for (Arena c : children) {
                assertEquals(List.of(), c.checkInvariants(), ctx + ": " + c + " invariants while running");
            }
        });
        assertTrue(s.allocations.get() > ITERATIONS, ctx + ": too few allocations " + s.allocations);
        Arena[] all = {parent, children[0], children[1], children[2]};
        Invariants.assertSound(all);
        long childImported = 0;
        for (Arena c : children) {
            ArenaStats st = c.stats();
            assertEquals(liveIn(s, c), st.allocated(), ctx + ": " + c + " allocated != sum of its live blocks");
            childImported += st.imported();
            assertEquals(st.total(), st.imported(), ctx + ": children have only imported spans");
        }
        assertEquals(liveIn(s, parent) + childImported, parent.stats().allocated(),
                ctx + ": parent allocated != its own live blocks + the children's imported spans");
        for (Block b : s.live.values()) {
            b.owner.free(b.base);
        }
        for (Arena c : children) {
            c.reapCaches(); // idle slabs keep their imported spans until reaped
        }
        parent.reapCaches();
        for (Arena c : children) {
            assertEquals(0, c.stats().allocated(), ctx);
            assertEquals(0, c.stats().imported(), ctx + ": " + c + " kept imported spans");
        }
        assertEquals(0, parent.stats().allocated(), ctx + "\n" + parent.dump());
        Invariants.assertSound(all);
    }
}

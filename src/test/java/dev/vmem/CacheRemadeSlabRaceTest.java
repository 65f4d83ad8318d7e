package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A stripe's current slab is kept by number, so the slab at that number can be given back and made again while
 * a thread of the stripe waits to replace it. A free into the slab made again trusts the stripe to have it
 * current; the replacing thread must then queue it, or its idle block is neither current nor queued and the
 * cache answers "no room" while it holds one. Found by review; the steps are forced, one at a time, with
 * latches: three threads, two of them on stripe 0 and one on stripe 1 of a two-stripe cache.
 */
class CacheRemadeSlabRaceTest {
    private static final long SECONDS = 10;
    /** Slabs made here are in no arena's table of slabs. */
    private static final Consumer<QuantumCache.Slab> UNRECORDED = slab -> { };
    private final List<ExecutorService> actors = new ArrayList<>();

    @AfterEach
    void stopActors() {
        actors.forEach(ExecutorService::shutdownNow);
    }

    /** A thread whose id has parity {@code stripe}, which puts it on that stripe of a two-stripe cache. */
    @SuppressWarnings("deprecation") // Thread.threadId() replaces getId() only from Java 19
    private ExecutorService actor(int stripe) throws Exception {
        for (int tries = 0; tries < 100; tries++) {
            ExecutorService e = Executors.newSingleThreadExecutor();
            actors.add(e);
            if ((e.submit(() -> Thread.currentThread().getId()).get(SECONDS, TimeUnit.SECONDS) & 1) == stripe) {
                return e;
            }
        }
        throw new AssertionError("no thread on stripe " + stripe + " in 100 tries");
    }

    @Test
    void noBlockOfASlabMadeAgain_canBeTakenBeforeTheSlabIsRecorded() {
        boolean[] made = {false};
        QuantumCache c = new QuantumCache(x -> made[0] ? null : x.adopt(0, s -> made[0] = true), "recorded", 1, 1, 1);
        assertEquals(0, c.alloc(), "this thread's stripe now has slab number 0 current");
        QuantumCache.Slab gone = c.index.slab(0);
        assertTrue(c.freeIfCached(0));
        assertTrue(gone.cas(0, QuantumCache.RETIRED));
        c.slabs().remove(gone);
        c.unregister(gone);
        long[] takenWhileRecorded = {0};
        QuantumCache.Slab again = c.adopt(0, s -> takenWhileRecorded[0] = c.alloc());
        assertEquals(Arena.NONE, takenWhileRecorded[0], "the stripe's number is the new slab's, but its word is not live");
        assertEquals(0, c.alloc(), "live once recorded");
        assertEquals(1, again.word());
        List<String> problems = new ArrayList<>();
        c.checkIndex(problems);
        assertEquals(List.of(), problems);
    }

    private volatile int phase;
    private volatile Thread waiter;
    private volatile Thread refiller;
    private final CountDownLatch refillerIn = new CountDownLatch(1);
    private final CountDownLatch refillerGo = new CountDownLatch(1);
    private final CountDownLatch waiterIn = new CountDownLatch(1);
    private final CountDownLatch waiterGo = new CountDownLatch(1);

    @Test
    void aSlabMadeAgainWhileItsStripeWaits_isQueuedByTheThreadThatReplacesIt() throws Exception {
        ExecutorService a = actor(0);
        ExecutorService b = actor(0);
        ExecutorService j = actor(1);
        waiter = a.submit(Thread::currentThread).get(SECONDS, TimeUnit.SECONDS);
        refiller = j.submit(Thread::currentThread).get(SECONDS, TimeUnit.SECONDS);
        SlabSupply supply = c -> {
            try {
                if (phase == 0) {
                    return c.adopt(0, UNRECORDED); // the first slab at 0
                }
                if (phase == 1 && Thread.currentThread() == refiller) {
                    refillerIn.countDown();
                    assertTrue(refillerGo.await(SECONDS, TimeUnit.SECONDS));
                    return c.adopt(0, UNRECORDED); // made again at 0: the same number
                }
                if (phase == 1 && Thread.currentThread() == waiter) {
                    waiterIn.countDown();
                    assertTrue(waiterGo.await(SECONDS, TimeUnit.SECONDS));
                    return c.adopt(2L << 20, UNRECORDED);
                }
                return null; // no room: from here on only queued and current slabs serve
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        };
        QuantumCache c = new QuantumCache(supply, "race", 1, 1, 2);
        long first = a.submit(c::alloc).get(SECONDS, TimeUnit.SECONDS);
        assertTrue(a.submit(() -> c.freeIfCached(first)).get(SECONDS, TimeUnit.SECONDS));
        QuantumCache.Slab gone = c.index.slab(0);
        assertTrue(gone.cas(0, QuantumCache.RETIRED)); // reaped, as the arena does it, leaf and all
        c.slabs().remove(gone);
        c.unregister(gone);
        phase = 1;

        Future<Long> refill = j.submit(c::alloc); // stripe 1 makes a slab and holds the refill lock meanwhile
        assertTrue(refillerIn.await(SECONDS, TimeUnit.SECONDS));
        Future<Long> waiting = a.submit(c::alloc); // stripe 0's current is number 0, given back: it waits to refill
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        while (!c.refill.hasQueuedThread(waiter)) {
            assertTrue(System.nanoTime() < deadline, "the waiter never queued for the refill lock");
            Thread.sleep(1);
        }
        refillerGo.countDown();
        assertEquals(0L, refill.get(SECONDS, TimeUnit.SECONDS));
        assertTrue(waiterIn.await(SECONDS, TimeUnit.SECONDS));
        QuantumCache.Slab again = c.index.slab(0);
        QuantumCache.Slab other = c.adopt(1L << 20, UNRECORDED);
        j.submit(() -> c.enqueue(other)).get(SECONDS, TimeUnit.SECONDS);
        for (int i = 1; i < QuantumCache.BLOCKS; i++) {
            assertEquals(i, j.submit(c::alloc).get(SECONDS, TimeUnit.SECONDS), "stripe 1 fills the slab made again");
        }
        assertEquals(1L << 20, j.submit(c::alloc).get(SECONDS, TimeUnit.SECONDS), "and moves on to a queued one");
        assertTrue(b.submit(() -> c.freeIfCached(5)).get(SECONDS, TimeUnit.SECONDS), "a free into the slab made again");
        waiterGo.countDown();
        assertEquals(2L << 20, waiting.get(SECONDS, TimeUnit.SECONDS));
        phase = 2;

        for (ExecutorService e : List.of(a, b, j)) {
            for (int n = 0; n < 3 * QuantumCache.BLOCKS && e.submit(c::alloc).get(SECONDS, TimeUnit.SECONDS) != Arena.NONE;
                    n++) {
                // every stripe takes what it can reach
            }
        }
        assertSame(again, c.index.slab(0));
        assertEquals(3, c.slabs().size(), "the slab made again and two others");
        assertEquals(QuantumCache.FULL, again.word(), "the idle block 5 of the slab made again was handed out");
        List<String> problems = new ArrayList<>();
        c.checkIndex(problems);
        assertEquals(List.of(), problems);
    }
}

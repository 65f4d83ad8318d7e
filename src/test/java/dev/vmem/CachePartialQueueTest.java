package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * How a quantum cache keeps every idle block reachable once slabs run full: a slab that gets room is
 * adopted or queued, a full stripe takes from its queue before making a slab, and when the arena has no
 * room for a slab a stripe takes one queued by, or current in, another stripe. Threads run one after
 * the other, so every outcome is determined; the other thread's id differs from this one's in its lowest
 * bit, which puts it on another stripe however many there are.
 */
class CachePartialQueueTest {
    private static final int BLOCKS = 63;

    /** An arena of quantum {@code q} caching 1-quantum blocks, whose spans hold exactly {@code slabs} slabs. */
    private static Arena slabsOnly(long q, int slabs) {
        Arena a = Arena.builder("cache").quantum(q).qcacheMax(q).build();
        for (int i = 0; i < slabs; i++) {
            a.addSpan(i * 64 * q, BLOCKS * q); // a slab of 63 blocks is aligned to 64 blocks
        }
        return a;
    }

    private static List<Long> alloc(Arena a, long q, int n) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(a.alloc(q, Policy.INSTANT_FIT));
        }
        return out;
    }

    /** Values held in slabs: the callers' blocks and the idle cached ones (every allocation here is cached). */
    private static long slabValues(Arena a) {
        ArenaStats s = a.stats();
        return s.allocated() + s.cached();
    }

    @SuppressWarnings("deprecation") // Thread.threadId() replaces getId() only from Java 19
    private static <T> T onAnotherStripe(Callable<T> task) throws Exception {
        long mine = Thread.currentThread().getId();
        while (true) {
            FutureTask<T> f = new FutureTask<>(task);
            Thread t = new Thread(f, "another-stripe");
            if (((t.getId() ^ mine) & 1) != 0) {
                t.start();
                t.join();
                return f.get();
            }
        }
    }

    /**
     * Runs {@code task} on a new thread whose id is {@code residue} modulo 128. Stripes are picked by the
     * id's low bits and there are at most 128, so threads of residues 0 to 3 are on four different
     * stripes wherever there are at least four (two cores or more).
     */
    @SuppressWarnings("deprecation") // Thread.threadId() replaces getId() only from Java 19
    private static <T> T onThreadWithId(int residue, Callable<T> task) throws Exception {
        while (true) {
            FutureTask<T> f = new FutureTask<>(task);
            Thread t = new Thread(f, "stripe-" + residue);
            if (t.getId() % 128 == residue) {
                t.start();
                t.join();
                return f.get();
            }
        }
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void aSlabThatGetsRoomWhileAnotherIsCurrent_isTakenFromTheQueueBeforeANewSlab(long q) {
        Arena a = Arena.builder("cache").quantum(q).qcacheMax(q).span(0, (1L << 20) * q).build();
        List<Long> first = alloc(a, q, BLOCKS); // slab 1, now full
        alloc(a, q, 1); // slab 2 becomes current
        long freed = first.get(17);
        a.free(freed); // slab 1 gets room while slab 2 has some: slab 1 is queued
        alloc(a, q, BLOCKS - 1); // slab 2 runs full
        assertEquals(2 * BLOCKS * q, slabValues(a));
        assertEquals(freed, a.alloc(q, Policy.INSTANT_FIT), "the queued slab's idle block, not a new slab");
        assertEquals(2 * BLOCKS * q, slabValues(a), "no third slab");
        assertEquals(2 * BLOCKS * q, a.stats().allocated());
        assertEquals(List.of(), a.checkInvariants());
    }

    /** A current slab with every block idle has room: a full slab freed into meanwhile is queued, not adopted. */
    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void aFullSlabFreedIntoWhileTheCurrentIsWhollyIdle_isQueued(long q) {
        Arena a = Arena.builder("cache").quantum(q).qcacheMax(q).span(0, (1L << 20) * q).build();
        List<Long> first = alloc(a, q, BLOCKS); // slab 1, now full
        long only = a.alloc(q, Policy.INSTANT_FIT); // slab 2 becomes current
        a.free(only); // slab 2 is wholly idle
        a.free(first.get(5)); // slab 1 gets room
        assertEquals(only, a.alloc(q, Policy.INSTANT_FIT), "the current slab's block");
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void aFullSlabFreedIntoWhileTheCurrentIsFull_isAdopted(long q) {
        Arena a = slabsOnly(q, 2);
        List<Long> first = alloc(a, q, BLOCKS);
        alloc(a, q, BLOCKS); // slab 2, full too; the arena has no room left
        long freed = first.get(40);
        a.free(freed, q);
        assertEquals(freed, a.alloc(q, Policy.INSTANT_FIT));
        assertEquals(Arena.NONE, a.tryAlloc(q, Policy.INSTANT_FIT));
        assertEquals(2 * BLOCKS * q, a.stats().allocated());
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void everyBlockFreedIntoFullSlabs_isHandedOutAgain_beforeTheArenaRunsOut(long q) {
        Arena a = slabsOnly(q, 3);
        List<Long> all = alloc(a, q, 3 * BLOCKS);
        assertEquals(3 * BLOCKS, new HashSet<>(all).size());
        // One block from each slab: the first replaces the full current slab, the other two are queued.
        List<Long> freed = List.of(all.get(5), all.get(BLOCKS + 6), all.get(2 * BLOCKS + 7));
        for (long b : freed) {
            a.free(b);
        }
        assertEquals(freed, alloc(a, q, 3), "the adopted slab's block, then the queued ones in order");
        assertEquals(Arena.NONE, a.tryAlloc(q, Policy.INSTANT_FIT));
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void aFreeFromAnotherStripe_letsThatStripeAdoptTheFullSlab(long q) throws Exception {
        Arena a = Arena.builder("cache").quantum(q).qcacheMax(q).span(0, (1L << 20) * q).build();
        List<Long> first = alloc(a, q, BLOCKS);
        long freed = first.get(9);
        long got = onAnotherStripe(() -> {
            a.free(freed);
            return a.alloc(q, Policy.INSTANT_FIT);
        });
        assertEquals(freed, got, "the other stripe adopted the slab it freed into");
        assertEquals(BLOCKS * q, slabValues(a), "no second slab");
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void whenTheArenaHasNoRoom_aStripeTakesASlabQueuedByAnother(long q) throws Exception {
        Arena a = slabsOnly(q, 2);
        List<Long> first = alloc(a, q, BLOCKS); // slab 1, full
        alloc(a, q, 1); // slab 2, current
        long freed = first.get(33);
        a.free(freed); // slab 1 queued on this stripe
        alloc(a, q, BLOCKS - 1); // slab 2 full; the arena has no room for a third
        long got = onAnotherStripe(() -> a.tryAlloc(q, Policy.INSTANT_FIT));
        assertEquals(freed, got, "the other stripe found this stripe's queued slab");
        assertEquals(Arena.NONE, a.tryAlloc(q, Policy.INSTANT_FIT));
        assertEquals(List.of(), a.checkInvariants());
    }

    @Test
    void whenTheArenaHasNoRoom_everyOtherStripesQueueIsSearched() throws Exception {
        for (int owner = 0; owner < 4; owner++) {
            for (int searcher = 0; searcher < 4; searcher++) {
                if (searcher == owner) {
                    continue;
                }
                Arena a = slabsOnly(1, 2);
                long freed = onThreadWithId(owner, () -> {
                    List<Long> first = alloc(a, 1, BLOCKS);
                    alloc(a, 1, BLOCKS - 1); // slab 2, current with one block left; no room for a third slab
                    a.free(first.get(5)); // slab 1 queued on the owner's stripe (its current has room)
                    return first.get(5);
                });
                long got = onThreadWithId(searcher, () -> a.tryAlloc(1, Policy.INSTANT_FIT));
                assertEquals(freed, got, "owner " + owner + ", searcher " + searcher);
                assertEquals(List.of(), a.checkInvariants());
            }
        }
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void whenTheArenaHasNoRoom_aStripeTakesFromAnotherStripesCurrentSlab(long q) throws Exception {
        Arena a = slabsOnly(q, 1);
        long mine = a.alloc(q, Policy.INSTANT_FIT); // the only slab, current on this stripe
        List<Long> theirs = onAnotherStripe(() -> alloc(a, q, BLOCKS - 1));
        assertTrue(theirs.stream().noneMatch(b -> b == Arena.NONE), "every block of the shared slab: " + theirs);
        assertEquals(BLOCKS, new HashSet<>(theirs).size() + 1);
        assertTrue(theirs.stream().allMatch(b -> b >= 0 && b < BLOCKS * q && b != mine));
        assertEquals(Arena.NONE, a.tryAlloc(q, Policy.INSTANT_FIT));
        assertEquals(Arena.NONE, onAnotherStripe(() -> a.tryAlloc(q, Policy.INSTANT_FIT)));
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void aSlabLeftWhollyIdleByAnotherStripe_isReapedWhenTheArenaRunsOut(long q) throws Exception {
        Arena a = slabsOnly(q, 1);
        List<Long> blocks = alloc(a, q, BLOCKS);
        onAnotherStripe(() -> {
            blocks.forEach(a::free);
            return null;
        });
        assertEquals(BLOCKS * q, a.stats().cached());
        // Larger than the cache: the arena gives the idle slab back to make room.
        long big = a.alloc(2 * q, Policy.INSTANT_FIT);
        assertNotEquals(Arena.NONE, big);
        assertEquals(0, a.stats().cached());
        assertEquals(2 * q, a.stats().allocated());
        assertEquals(List.of(), a.checkInvariants());
    }
}

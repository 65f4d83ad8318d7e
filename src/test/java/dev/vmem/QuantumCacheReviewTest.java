package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** One test per defect the review of the quantum caches found; each fails without its fix. */
class QuantumCacheReviewTest {

    /** Runs {@code body} on a new thread (so on whatever stripe that thread hashes to) and waits for it. */
    private static void onNewThread(Runnable body) throws InterruptedException {
        Thread t = new Thread(body);
        t.start();
        t.join();
    }

    /**
     * A slab is the current slab of the stripe of the thread that made it; a thread of another stripe
     * must still find its idle blocks ("a new slab is taken only when no stripe and no queued slab has
     * room"; "every idle block stays reachable") rather than fail. The arena holds exactly one slab.
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
     * The dump's header gives the same space figures as stats() and as its own segment lines: a slab
     * with one block held is 16 values allocated, not 63 * 16.
     */
    @Test
    void dumpHeader_showsTheCallersFiguresLikeStatsAndTheWalk() {
        Arena a = Arena.builder("dumped").quantum(8).qcacheMax(32).span(0, 1 << 20).build();
        long b = a.alloc(16, Policy.INSTANT_FIT);
        ArenaStats s = a.stats();
        String header = a.dump().lines().findFirst().orElseThrow();
        long walkedAllocated = a.segments().stream().filter(x -> x.kind() == Segment.Kind.ALLOCATED)
                .mapToLong(Segment::size).sum();
        assertEquals(16, walkedAllocated);
        assertTrue(header.contains(" allocated=" + s.allocated() + " ") && header.contains(" free=" + s.free() + " "),
                header + " vs " + s);
        assertTrue(header.contains(" cached=" + s.cached() + " "), header);
        a.free(b, 16);
        Invariants.assertSound(a);
    }
}

package dev.vmem;

import dev.vmem.testing.ArenaWarnings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Giving idle cache slabs back: what a refused release leaves (the slab serves again, queued where its
 * blocks are reachable; one warning per slab), what a failed allocation asks of the source, and the
 * refusals of a closed or misused cached arena.
 */
class CacheReapAndRefusalTest {
    private static final int BLOCKS = 63;

    @RegisterExtension
    final ArenaWarnings arenaWarnings = new ArenaWarnings();

    private List<String> warnings() {
        return arenaWarnings.messages();
    }

    /** Imports from {@code parent}, refuses releases while {@code refuse[0]}, and counts imports asked for. */
    private static final class RefusingSource implements Source {
        final Arena parent;
        boolean refuse;
        int importsAsked;

        RefusingSource(Arena parent) {
            this.parent = parent;
        }

        @Override
        public long importSpan(Constraints request) {
            importsAsked++;
            return parent.asSource().importSpan(request);
        }

        @Override
        public void releaseSpan(long base, long size) {
            if (refuse) {
                throw new IllegalStateException("refused span [" + base + ", " + (base + size) + ")");
            }
            parent.asSource().releaseSpan(base, size);
        }
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

    @Test
    void aSlabWhoseReleaseIsRefused_isQueuedAndServesBeforeANewSlab() throws Exception {
        Arena parent = Arena.builder("parent").quantum(1).span(0, 1 << 20).build();
        RefusingSource source = new RefusingSource(parent);
        Arena child = Arena.builder("child").quantum(1).qcacheMax(1).source(source).build();
        List<Long> first = new ArrayList<>();
        for (int i = 0; i < BLOCKS; i++) {
            first.add(child.alloc(1, Policy.INSTANT_FIT));
        }
        for (int i = 0; i < BLOCKS; i++) {
            child.alloc(1, Policy.INSTANT_FIT); // a second slab, full and current
        }
        // Another stripe frees every block of the first slab and keeps it as its current slab.
        onAnotherStripe(() -> {
            first.forEach(child::free);
            return null;
        });
        source.refuse = true;
        child.reapCaches(); // the idle first slab is its imported span's only content: the source refuses it
        assertEquals(2, child.stats().imports());
        long again = child.alloc(1, Policy.INSTANT_FIT);
        assertTrue(first.contains(again), "the refused slab is queued on this stripe and serves: " + again);
        assertEquals(2, child.stats().imports(), "no new slab, so no new import");
        assertEquals(1, warnings().size(), warnings().toString());
        assertTrue(warnings().get(0).contains("could not give idle cache slab"), warnings().get(0));
        assertEquals(List.of(), child.checkInvariants());
        assertEquals(List.of(), parent.checkInvariants());
    }

    @Test
    void aRefusedSlab_isWarnedAboutOnce_howeverOftenItIsRetried() {
        Arena parent = Arena.builder("parent").quantum(1).span(0, 1 << 20).build();
        RefusingSource source = new RefusingSource(parent);
        Arena child = Arena.builder("child").quantum(1).qcacheMax(2).source(source).build();
        child.free(child.alloc(2, Policy.INSTANT_FIT));
        source.refuse = true;
        child.reapCaches();
        child.reapCaches();
        child.reapCaches();
        assertEquals(1, warnings().size(), warnings().toString());
        assertEquals("arena 'child' could not give idle cache slab [0, 126) back: "
                + "java.lang.IllegalStateException: refused span [0, 126)", warnings().get(0));
        source.refuse = false;
        child.reapCaches();
        assertEquals(0, child.stats().total(), "given back once the source takes it");
        assertEquals(List.of(), child.checkInvariants());
        assertEquals(List.of(), parent.checkInvariants());
    }

    @Test
    void aFailedAllocation_asksTheSourceNoMoreThanWithoutCaches() {
        int[] asked = new int[2];
        long[] qcacheMax = {0, 1};
        for (int i = 0; i < 2; i++) {
            Arena parent = Arena.builder("parent").quantum(1).span(0, 100).build();
            RefusingSource source = new RefusingSource(parent);
            Arena child = Arena.builder("child").quantum(1).importQuantum(64).qcacheMax(qcacheMax[i])
                    .source(source).build();
            source.importsAsked = 0;
            assertEquals(Arena.NONE, child.tryAlloc(1000, Policy.INSTANT_FIT));
            asked[i] = source.importsAsked;
            assertEquals(List.of(), child.checkInvariants());
        }
        assertTrue(asked[0] > 0);
        assertEquals(asked[0], asked[1], "with no idle slab to reap, no second round of imports");
    }

    @Test
    void freesOfNegativeOrUnalignedValues_onACachedArena_areRefused_andChangeNothing() {
        Arena a = Arena.builder("cached").quantum(8).qcacheMax(64).span(0, 1 << 16).build();
        long b = a.alloc(8, Policy.INSTANT_FIT);
        String dump = a.dump();
        assertThrows(InvalidFreeException.class, () -> a.free(-8));
        assertThrows(InvalidFreeException.class, () -> a.free(b + 3));
        assertThrows(InvalidFreeException.class, () -> a.free(b + 3, 8));
        assertThrows(InvalidFreeException.class, () -> a.free(Long.MIN_VALUE));
        assertEquals(dump, a.dump());
        a.free(b);
        assertEquals(List.of(), a.checkInvariants());
    }

    @Test
    void aClosedCachedArena_refusesReapCaches() {
        Arena a = Arena.builder("cached").quantum(1).qcacheMax(4).span(0, 1 << 16).build();
        a.free(a.alloc(3, Policy.INSTANT_FIT));
        a.close();
        assertThrows(IllegalStateException.class, a::reapCaches);
        assertEquals(List.of(), a.checkInvariants());
    }
}

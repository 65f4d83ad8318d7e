package dev.vmem.bench;

import dev.vmem.Arena;
import dev.vmem.Policy;

/**
 * Heap bytes per live segment, from heap deltas: builds an arena of 1,000,000 segments (500,000
 * allocated IDs alternating with 500,000 free gaps) and divides the growth of the used heap after full
 * GCs by the segment count; then the same with a quantum cache for single IDs, whose slabs keep one bit
 * per cached ID, per live ID. Run with a fixed heap so GC settles:
 *
 * <pre>
 *   java -Xms2g -Xmx2g -cp target/benchmarks.jar dev.vmem.bench.MemoryFootprint
 * </pre>
 */
public final class MemoryFootprint {
    private MemoryFootprint() {
    }

    static long usedAfterGc() throws InterruptedException {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(100);
            Runtime rt = Runtime.getRuntime();
            best = Math.min(best, rt.totalMemory() - rt.freeMemory());
        }
        return best;
    }

    public static void main(String[] args) throws InterruptedException {
        measure(0);
        measure(1);
    }

    /** Without caches: bytes per segment. With a cache for single IDs: bytes per live ID. */
    static void measure(long qcacheMax) throws InterruptedException {
        int ids = 1_000_000;
        long before = usedAfterGc();
        Arena arena = Arena.builder("ids").quantum(1).qcacheMax(qcacheMax).span(0, 2L * ids).build();
        for (int i = 0; i < ids; i++) {
            arena.alloc(1, Policy.INSTANT_FIT);
        }
        for (int i = 0; i < ids; i += 2) {
            arena.free(i);
        }
        long after = usedAfterGc();
        long growth = after - before;
        long segments = arena.stats().segments();
        long live = arena.stats().liveAllocations();
        System.out.printf("qcacheMax=%d: segments=%d live=%d heap growth=%d bytes: %.1f bytes per segment, "
                + "%.1f per live ID%n", qcacheMax, segments, live, growth, (double) growth / segments,
                (double) growth / live);
        if (arena.checkInvariants().isEmpty()) {
            System.out.println("arena sound");
        }
    }
}

package dev.vmem.bench;

import dev.vmem.Arena;
import dev.vmem.Policy;

/**
 * Heap bytes from heap deltas after full GCs, in three arenas of 1,000,000 segments:
 * <ul>
 *   <li>an ID pool (quantum 1, size-1 allocations) of 1,000,000 IDs, every other one live (50% occupancy):
 *       a span in dense form, so bytes per ID of the span, and per live ID;</li>
 *   <li>the same with a quantum cache for single IDs (slabs of 63 IDs, one bit per cached ID);</li>
 *   <li>an INSTANT_FIT pool of 500,000 single IDs side by side in a span of 1,000,000 (no gaps: INSTANT_FIT
 *       refills the hole a free leaves), dense since it holds more than 65,536;</li>
 *   <li>blocks of 16 quanta alternating with free gaps of 16: too large for the dense form, so bytes per
 *       boundary-tag segment.</li>
 * </ul>
 * Run with a fixed heap so GC settles:
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
        measure(0, 1); // warms up the code paths: one-time allocations of the JDK would count otherwise
        measure(0, 1);
        measure(1, 1);
        measurePacked();
        measure(0, 16);
    }

    /** 500,000 single IDs side by side at the bottom of a span of 1,000,000, taken and given back by INSTANT_FIT. */
    static void measurePacked() throws InterruptedException {
        long before = usedAfterGc();
        Arena arena = Arena.builder("ids").quantum(1).span(0, 1_000_000).build();
        for (int i = 0; i < 500_000; i++) {
            arena.alloc(1, Policy.INSTANT_FIT);
        }
        for (long i = 0; i < 600_000; i++) { // a free then an allocation: the hole is refilled
            arena.free((i * 7919) % 500_000);
            arena.alloc(1, Policy.INSTANT_FIT);
        }
        long growth = usedAfterGc() - before;
        long live = arena.stats().liveAllocations();
        System.out.printf("packed size=1: span=1000000 segments=%d live=%d heap growth=%d bytes: %.2f bytes per value "
                + "of the span, %.1f per live allocation%n", arena.stats().segments(), live, growth, growth / 1e6,
                (double) growth / live);
        if (arena.checkInvariants().isEmpty()) {
            System.out.println("arena sound");
        }
    }

    /** An arena of {@code 1,000,000} segments of {@code size} quanta, every other one allocated. */
    static void measure(long qcacheMax, long size) throws InterruptedException {
        long segmentsWanted = 1_000_000;
        long before = usedAfterGc();
        Arena arena = Arena.builder("ids").quantum(1).qcacheMax(qcacheMax).span(0, segmentsWanted * size).build();
        for (long i = 0; i < segmentsWanted; i++) {
            arena.alloc(size, Policy.INSTANT_FIT);
        }
        for (long i = 0; i < segmentsWanted * size; i += 2 * size) {
            arena.free(i);
        }
        // Run the pool a while, as a live one runs: the arena reviews the form of its spans every max(4,096,
        // segments / 2) allocations, so the ID pool turns dense only at the review after the frees above.
        for (long i = 0; i < segmentsWanted * 6 / 10; i++) {
            arena.free(arena.alloc(size, Policy.INSTANT_FIT));
        }
        long after = usedAfterGc();
        long growth = after - before;
        long segments = arena.stats().segments();
        long live = arena.stats().liveAllocations();
        System.out.printf("size=%d qcacheMax=%d: span=%d segments=%d live=%d heap growth=%d bytes: %.2f bytes per "
                + "value of the span, %.1f per segment, %.1f per live allocation%n", size, qcacheMax,
                segmentsWanted * size, segments, live, growth, (double) growth / (segmentsWanted * size),
                (double) growth / segments, (double) growth / live);
        if (arena.checkInvariants().isEmpty()) {
            System.out.println("arena sound");
        }
    }
}

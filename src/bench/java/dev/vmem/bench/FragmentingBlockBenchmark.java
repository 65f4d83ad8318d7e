package dev.vmem.bench;

import dev.vmem.Arena;
import dev.vmem.Policy;
import dev.vmem.bench.peers.RangeSetAllocator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Disk blocks: quantum 4096, sizes of 1 to 64 blocks, 100,000 live allocations in a space with room for
 * about twice that; each operation frees a random live allocation and allocates one of a random size.
 *
 * <pre>
 *   java -jar target/benchmarks.jar FragmentingBlockBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class FragmentingBlockBenchmark {
    static final long BLOCK = 4096;
    static final int LIVE = 100_000;

    @Param({"vmem-instant", "vmem-best", "treerangeset"})
    public String allocator;

    Arena arena;
    Policy policy;
    RangeSetAllocator ranges;
    long[] bases;
    long[] sizes;
    SplittableRandom rnd;

    @Setup
    public void fill() {
        rnd = new SplittableRandom(7);
        long space = BLOCK * 32 * 2 * LIVE; // mean size 32.5 blocks: about half full
        if (allocator.equals("treerangeset")) {
            ranges = new RangeSetAllocator(0, space);
        } else {
            arena = Arena.builder("disk").quantum(BLOCK).span(0, space).build();
            policy = allocator.equals("vmem-best") ? Policy.BEST_FIT : Policy.INSTANT_FIT;
        }
        bases = new long[LIVE];
        sizes = new long[LIVE];
        for (int i = 0; i < LIVE; i++) {
            sizes[i] = BLOCK * (1 + rnd.nextInt(64));
            bases[i] = alloc(sizes[i]);
        }
        for (int i = 0; i < LIVE; i++) {
            step();
        }
    }

    private long alloc(long size) {
        long b = ranges != null ? ranges.alloc(size) : arena.alloc(size, policy);
        if (b < 0) {
            throw new IllegalStateException("benchmark space exhausted");
        }
        return b;
    }

    @Benchmark
    public long step() {
        int i = rnd.nextInt(LIVE);
        if (ranges != null) {
            ranges.free(bases[i], sizes[i]);
        } else {
            arena.free(bases[i]);
        }
        sizes[i] = BLOCK * (1 + rnd.nextInt(64));
        bases[i] = alloc(sizes[i]);
        return bases[i];
    }
}

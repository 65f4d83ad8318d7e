package dev.vmem.bench;

import dev.vmem.Arena;
import dev.vmem.Constraints;
import dev.vmem.Policy;
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
 * A claim of a given range in an arena of 1,000,000 segments (500,000 allocations of 2 values, each followed
 * by a free gap of 2), and its free, against the same block taken by a constrained xalloc (min = base,
 * max = base + size) and its free, in the same run. Each operation takes the first value of a gap, in a
 * seeded random order of all gaps. The span is 2^27 values (too large for the dense form: segment list) or
 * 2^22 (dense if the form's rule takes it).
 *
 * <pre>
 *   java -jar target/benchmarks.jar ClaimBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class ClaimBenchmark {
    static final int ALLOCATIONS = 500_000;

    @Param({"134217728", "4194304"})
    long spanSize;

    @Param({"INSTANT_FIT", "BEST_FIT"})
    Policy policy;

    Arena arena;
    long[] gaps;
    int next;

    @Setup
    public void fill() {
        arena = Arena.builder("ids").span(0, spanSize).build();
        for (long i = 0; i < ALLOCATIONS; i++) {
            arena.claim(4 * i, 2);
        }
        arena.claim(4L * ALLOCATIONS, spanSize - 4L * ALLOCATIONS); // the rest: only the gaps are free
        gaps = new long[ALLOCATIONS];
        for (int i = 0; i < ALLOCATIONS; i++) {
            gaps[i] = 4L * i + 2;
        }
        SplittableRandom rnd = new SplittableRandom(42);
        for (int i = ALLOCATIONS - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            long t = gaps[i];
            gaps[i] = gaps[j];
            gaps[j] = t;
        }
        if (arena.stats().segments() < 1_000_000) {
            throw new IllegalStateException("expected 1,000,000 segments: " + arena.stats());
        }
    }

    private long nextGap() {
        long base = gaps[next];
        next = next + 1 == gaps.length ? 0 : next + 1;
        return base;
    }

    @Benchmark
    public long claimFree() {
        long base = nextGap();
        arena.claim(base, 1);
        arena.free(base);
        return base;
    }

    @Benchmark
    public long constrainedXallocFree() {
        long base = nextGap();
        long got = arena.xalloc(Constraints.builder(1).min(base).max(base + 1).build(), policy);
        arena.free(got);
        return got;
    }
}

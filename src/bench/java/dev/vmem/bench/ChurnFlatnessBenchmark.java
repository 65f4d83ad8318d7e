package dev.vmem.bench;

import dev.vmem.Arena;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Whether the fragmenting block workload of {@link FragmentingBlockBenchmark} stays flat: the same
 * step measured after 100,000 and after 1,000,000 steps of churn in setup. The teardown prints the
 * segment count, which shows how far the space has fragmented.
 *
 * <pre>
 *   java -jar target/benchmarks.jar ChurnFlatnessBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class ChurnFlatnessBenchmark {
    static final long BLOCK = FragmentingBlockBenchmark.BLOCK;
    static final int LIVE = FragmentingBlockBenchmark.LIVE;

    @Param({"INSTANT_FIT", "BEST_FIT"})
    public Policy policy;

    @Param({"100000", "1000000"})
    public int churn;

    Arena arena;
    long[] bases = new long[LIVE];
    SplittableRandom rnd = new SplittableRandom(7);

    @Setup
    public void fill() {
        arena = Arena.builder("disk").quantum(BLOCK).span(0, BLOCK * 32 * 2 * LIVE).build();
        for (int i = 0; i < LIVE; i++) {
            bases[i] = arena.alloc(BLOCK * (1 + rnd.nextInt(64)), policy);
        }
        for (int i = 0; i < churn; i++) {
            step();
        }
    }

    @TearDown
    public void report() {
        System.out.println("\n" + policy + " churn=" + churn + ": " + arena.stats());
    }

    @Benchmark
    public long step() {
        int i = rnd.nextInt(LIVE);
        arena.free(bases[i]);
        bases[i] = arena.alloc(BLOCK * (1 + rnd.nextInt(64)), policy);
        return bases[i];
    }
}

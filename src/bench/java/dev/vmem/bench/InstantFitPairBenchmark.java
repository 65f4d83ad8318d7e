package dev.vmem.bench;

import dev.vmem.Arena;
import dev.vmem.Policy;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of the common path: INSTANT_FIT alloc of one quantum and its free, in an arena of 1 GiB of
 * 4 KiB pages with 10,000 pages live.
 *
 * <pre>
 *   java -jar target/benchmarks.jar InstantFitPairBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class InstantFitPairBenchmark {
    Arena arena;

    @Setup
    public void fill() {
        arena = Arena.builder("pages").quantum(4096).span(0, 1L << 30).build();
        for (int i = 0; i < 10_000; i++) {
            arena.alloc(4096 * (1 + (i % 3)), Policy.INSTANT_FIT);
        }
    }

    @Benchmark
    public long allocFree() {
        long b = arena.alloc(4096, Policy.INSTANT_FIT);
        arena.free(b);
        return b;
    }
}

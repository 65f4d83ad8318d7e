package dev.vmem.bench;

import dev.vmem.Arena;
import dev.vmem.Policy;
import dev.vmem.Quarantine;
import java.time.Duration;
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
 * The cost of the common path: INSTANT_FIT alloc of one quantum and its free, in an arena of 1 GiB of
 * 4 KiB pages with 10,000 pages live, without quantum caches and with caches for 1 to 16 pages; and,
 * without caches, the same pair in an arena with a reuse quarantine: of 1 ms (a clock read every 64 frees
 * while they come this fast, about 13,000 blocks held at any time, so each release touches a block freed a
 * millisecond earlier, out of cache), of 1,024 frees (no clock), and of both.
 *
 * <pre>
 *   java -jar target/benchmarks.jar InstantFitPairBenchmark
 *   java -jar target/benchmarks.jar InstantFitPairBenchmark.allocFree$ -p cachedPages=0   (quarantine against none)
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class InstantFitPairBenchmark {
    /** The quantum-cache limit in pages; 0 for none. */
    @Param({"0", "16"})
    int cachedPages;

    /** The quarantine: none, a delay of 1 ms, 1,024 later frees, or both. */
    @Param({"none", "1ms", "1024frees", "both"})
    String quarantine;

    Arena arena;

    @Setup
    public void fill() {
        Arena.Builder b = Arena.builder("pages").quantum(4096).qcacheMax(4096L * cachedPages).span(0, 1L << 30);
        if (!quarantine.equals("none")) {
            if (cachedPages > 0) {
                throw new IllegalStateException("an arena with a quarantine has no caches: skip this combination");
            }
            b.quarantine(quarantine.equals("1ms") ? Quarantine.of(Duration.ofMillis(1))
                    : quarantine.equals("1024frees") ? Quarantine.ofFrees(1024)
                    : Quarantine.of(Duration.ofMillis(1)).withFrees(1024));
        }
        arena = b.build();
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

    /** The same with the size given back, as Bonwick's {@code vmem_free} takes it. */
    @Benchmark
    public long allocFreeSized() {
        long b = arena.alloc(4096, Policy.INSTANT_FIT);
        arena.free(b, 4096);
        return b;
    }
}

package dev.vmem.bench;

import dev.vmem.Arena;
import dev.vmem.Constraints;
import dev.vmem.Policy;
import dev.vmem.bench.peers.BitSetIdPool;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * One arena shared by every benchmark thread; run it with {@code -t 1}, {@code -t 2}, {@code -t 4} and
 * {@code -t 8}. Each thread holds its own live blocks and, per operation, frees a random one of them and
 * allocates a replacement. Workloads:
 * <ul>
 *   <li>{@code pages}: 1 to 8 pages of 4 KiB, INSTANT_FIT, no caches; {@code pages-cached}: the same
 *       with quantum caches for 1 to 8 pages;</li>
 *   <li>{@code aligned}: xalloc of 1 to 8 pages aligned to 8 pages, INSTANT_FIT;</li>
 *   <li>{@code pid-next}: PID churn, NEXT_FIT over {@code [300, 4194304)}; {@code pid-cached}: the same
 *       churn under INSTANT_FIT with a quantum cache for single IDs (striped, no lock on the common path);
 *       {@code pid-bitset}: the usual Java peer, a BitSet searched from a wrapping cursor under one lock.</li>
 * </ul>
 *
 * <pre>
 *   java -jar target/benchmarks.jar SharedArenaBenchmark -t 8
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class SharedArenaBenchmark {
    static final long PAGE = 4096;
    static final int LIVE_PER_THREAD = 20_000;
    static final int PID_MIN = 300;
    static final int PID_MAX = 4_194_304;

    @Param({"pages", "pages-cached", "aligned", "pid-next", "pid-cached", "pid-bitset"})
    public String workload;

    Arena arena;
    BitSetIdPool pids;
    final AtomicLong threadSeeds = new AtomicLong(1);

    @Setup
    public void create() {
        switch (workload) {
            case "pages", "aligned" -> arena = Arena.builder("pages").quantum(PAGE).span(0, PAGE << 30).build();
            case "pages-cached" -> arena = Arena.builder("pages").quantum(PAGE).qcacheMax(8 * PAGE)
                    .span(0, PAGE << 30).build();
            case "pid-next" -> arena = Arena.builder("pids").span(PID_MIN, PID_MAX - PID_MIN).build();
            case "pid-cached" -> arena = Arena.builder("pids").qcacheMax(1).span(PID_MIN, PID_MAX - PID_MIN).build();
            case "pid-bitset" -> pids = new BitSetIdPool.Locked(PID_MIN, PID_MAX, true);
            default -> throw new IllegalArgumentException("workload=" + workload);
        }
    }

    /** One thread's live blocks and random stream. */
    @State(Scope.Thread)
    public static class Mine {
        long[] bases = new long[LIVE_PER_THREAD];
        long[] sizes = new long[LIVE_PER_THREAD];
        SplittableRandom rnd;

        @Setup
        public void fill(SharedArenaBenchmark shared) {
            rnd = new SplittableRandom(shared.threadSeeds.getAndIncrement());
            for (int i = 0; i < LIVE_PER_THREAD; i++) {
                sizes[i] = shared.size(rnd);
                bases[i] = shared.alloc(sizes[i]);
            }
        }
    }

    long size(SplittableRandom rnd) {
        return workload.startsWith("pid") ? 1 : PAGE * (1 + rnd.nextInt(8));
    }

    long alloc(long size) {
        return switch (workload) {
            case "aligned" -> arena.xalloc(Constraints.builder(size).align(8 * PAGE).build(), Policy.INSTANT_FIT);
            case "pid-next" -> arena.alloc(1, Policy.NEXT_FIT);
            case "pid-bitset" -> pids.alloc();
            default -> arena.alloc(size, Policy.INSTANT_FIT);
        };
    }

    @Benchmark
    public long step(Mine mine) {
        int i = mine.rnd.nextInt(LIVE_PER_THREAD);
        if (pids != null) {
            pids.free(mine.bases[i]);
        } else {
            arena.free(mine.bases[i], mine.sizes[i]);
        }
        mine.sizes[i] = size(mine.rnd);
        mine.bases[i] = alloc(mine.sizes[i]);
        return mine.bases[i];
    }
}

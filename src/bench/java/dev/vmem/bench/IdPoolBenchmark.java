package dev.vmem.bench;

import dev.vmem.Arena;
import dev.vmem.Policy;
import dev.vmem.bench.peers.BitSetIdPool;
import dev.vmem.bench.peers.CasBitmapIdPool;
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
 * ID allocation (quantum 1, size 1) in a pool of 1,000,000 IDs held at a fixed occupancy: each
 * operation frees a random live ID and allocates one.
 *
 * <pre>
 *   java -jar target/benchmarks.jar IdPoolBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class IdPoolBenchmark {
    static final int IDS = 1_000_000;

    @Param({"10", "50", "90"})
    public int occupancy;

    /**
     * vmem-cached: INSTANT_FIT with a quantum cache for size 1. bitset-lowest: {@code nextClearBit(0)};
     * bitset-cursor: {@code nextClearBit} from just past the last ID handed out, wrapping; these two are
     * not thread-safe. bitset-locked: the cursor pool under a lock, as a thread-safe pool must be (vmem
     * arenas are thread-safe); bitset-reentrant: the same under a {@code ReentrantLock}, an arena's kind of lock.
     * cas-bitmap: a bitmap searched from a cursor, changed by compare-and-set with no
     * lock (thread-safe); cas-bitmap-counted: the same counting allocations and frees, as statistics need.
     */
    @Param({"vmem-instant", "vmem-cached", "vmem-next", "bitset-lowest", "bitset-cursor", "bitset-locked",
            "bitset-reentrant", "cas-bitmap", "cas-bitmap-counted"})
    public String pool;

    Arena arena;
    Policy policy;
    BitSetIdPool bitset;
    CasBitmapIdPool cas;
    long[] live;
    SplittableRandom rnd;

    @Setup
    public void fill() {
        rnd = new SplittableRandom(42);
        live = new long[IDS * occupancy / 100];
        if (pool.equals("bitset-locked")) {
            bitset = new BitSetIdPool.Locked(0, IDS, true);
        } else if (pool.equals("bitset-reentrant")) {
            bitset = new BitSetIdPool.ReentrantLocked(0, IDS, true);
        } else if (pool.startsWith("bitset")) {
            bitset = new BitSetIdPool(0, IDS, pool.equals("bitset-cursor"));
        } else if (pool.startsWith("cas-bitmap")) {
            cas = new CasBitmapIdPool(IDS, pool.equals("cas-bitmap-counted"));
        } else {
            arena = Arena.builder("ids").quantum(1).qcacheMax(pool.equals("vmem-cached") ? 1 : 0).span(0, IDS).build();
            policy = pool.equals("vmem-next") ? Policy.NEXT_FIT : Policy.INSTANT_FIT;
        }
        // Fill densely, then churn so that the free IDs are scattered as in a long-running pool.
        for (int i = 0; i < live.length; i++) {
            live[i] = alloc();
        }
        for (int i = 0; i < live.length; i++) {
            step();
        }
    }

    private long alloc() {
        return bitset != null ? bitset.alloc() : cas != null ? cas.alloc() : arena.alloc(1, policy);
    }

    private void free(long id) {
        if (bitset != null) {
            bitset.free(id);
        } else if (cas != null) {
            cas.free(id);
        } else {
            arena.free(id, 1);
        }
    }

    @Benchmark
    public long step() {
        int i = rnd.nextInt(live.length);
        free(live[i]);
        long id = alloc();
        live[i] = id;
        return id;
    }
}

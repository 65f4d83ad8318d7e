package dev.vmem.bench;

import dev.vmem.Allocation;
import dev.vmem.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Reconcile of 1,000,000 ranges (sizes 1 and 2, every fourth value) against an arena that holds none of
 * them ({@code empty}: a million claims), all of them ({@code same}: a merge that changes nothing), or
 * every other one with the size changed ({@code half}: 500,000 frees and 500,000 claims). One reconcile
 * per invocation, on a fresh arena.
 *
 * <pre>
 *   java -jar target/benchmarks.jar ReconcileBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 8)
@Fork(1)
@State(Scope.Thread)
public class ReconcileBenchmark {
    static final int RANGES = 1_000_000;

    @Param({"empty", "same", "half"})
    String arenaHolds;

    List<Allocation> want;
    Arena arena;

    @Setup(Level.Invocation)
    public void arena() {
        want = new ArrayList<>(RANGES);
        for (long i = 0; i < RANGES; i++) {
            want.add(new Allocation(4 * i, 1 + (i & 1)));
        }
        arena = Arena.builder("blocks").span(0, 4L * RANGES).build();
        if (!arenaHolds.equals("empty")) {
            for (Allocation a : want) {
                arena.claim(a.base(), a.size() + (arenaHolds.equals("half") && (a.base() & 4) == 0 ? 1 : 0));
            }
        }
    }

    @Benchmark
    public Object reconcile() {
        return arena.reconcile(want);
    }
}

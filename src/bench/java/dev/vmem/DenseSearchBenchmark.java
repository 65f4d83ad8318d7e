package dev.vmem;

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
 * A block longer than most free runs, in a fragmented span: 2^20 quanta with every other one allocated (half a
 * million single holes) below a free tail of {@code tail} quanta, and with {@code runs} of 2 another {@code tail}
 * quanta freed in the middle. Each freed stretch joins the single hole below it, so the runs are {@code tail + 1}
 * quanta long (65 or 257). Each operation allocates {@code size} quanta by {@code policy} and frees them. The
 * span is held as bitmaps ({@code dense}) or, its peer in the same run, as boundary tags ({@code tags}).
 *
 * <p>A dense search passes over the single holes a bitmap word at a time, or, for blocks of 127 quanta or more,
 * crosses to the next empty word by a summary. BEST_FIT starts at the smallest size class with a run long
 * enough, here the runs'; when that class holds one run only and it is the run the last operation made or left,
 * as here with {@code runs} of 1, it takes it at once, and otherwise reads until it has seen the class's every
 * run. NEXT_FIT's rotor walks the free runs and wraps once in about {@code runs * tail / size} operations.
 *
 * <pre>
 *   java -jar target/benchmarks.jar DenseSearchBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class DenseSearchBenchmark {
    static final int QUANTA = 1 << 20;

    @Param({"BEST_FIT", "NEXT_FIT", "INSTANT_FIT"})
    public Policy policy;

    @Param({"2"})
    public long size;

    @Param({"64", "256"})
    public int tail;

    /** Free runs of {@code tail} quanta: the tail alone, or another in the middle of the span too. */
    @Param({"1", "2"})
    public int runs;

    @Param({"dense", "tags"})
    public String form;

    private Arena arena;

    @Setup
    public void setUp() {
        arena = Arena.builder("dense-search").quantum(1).span(0, QUANTA).build();
        boolean dense = form.equals("dense");
        if (!dense) {
            arena.engine.forms.use(DenseRule.NEVER);
        }
        for (int i = 0; i < QUANTA; i++) {
            arena.alloc(1, Policy.INSTANT_FIT);
        }
        for (int i = 1; i < QUANTA - tail; i += 2) {
            arena.free(i, 1);
        }
        for (int i = QUANTA - tail; i < QUANTA; i++) {
            arena.free(i, 1);
        }
        for (int i = QUANTA / 2; runs == 2 && i < QUANTA / 2 + tail; i += 2) {
            arena.free(i, 1); // its odd neighbours are free already
        }
        arena.engine.forms.review();
        if (arena.engine.forms.dense.isEmpty() == dense) {
            throw new IllegalStateException("the span is not in " + form + " form");
        }
    }

    @Benchmark
    public long allocateAndFree() {
        long v = arena.alloc(size, policy);
        arena.free(v, size);
        return v;
    }
}

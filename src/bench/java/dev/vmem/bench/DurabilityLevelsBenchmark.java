package dev.vmem.bench;

import dev.vmem.Arena;
import dev.vmem.Policy;
import dev.vmem.VmemArena;
import dev.vmem.store.ArenaDefinition;
import dev.vmem.store.Durability;
import dev.vmem.store.StoreOptions;
import dev.vmem.store.StoreStats;
import dev.vmem.store.VmemStore;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * NEXT_FIT PID churn at each durability level: an ID arena (quantum 1) of 1,000,000 IDs held half full,
 * where each operation frees a random live ID and allocates one with NEXT_FIT (two store units: two
 * acknowledgements). The same workload on an in-memory {@link Arena} is the peer. One thread; all variants in
 * one run, so that the ratios (WRITE against SYNC, BUFFERED against the in-memory arena) are meaningful.
 *
 * <p>Setup: each trial gets a fresh temporary directory (deleted after). The store is opened at the variant's
 * level, and the fill (500,000 allocations) and a scattering churn of as many steps run in batches of
 * {@value #SETUP_BATCH} operations at the store's level, followed by {@code sync()} and a checkpoint, so that
 * setup costs a few hundred fsyncs rather than a million and the measurement does not start with a
 * checkpoint of a million segments pending.
 *
 * <p>Reported besides the score, at the end of each trial, over the measurement iterations only: for WRITE and
 * BUFFERED, the fraction of rotor-moving units that waited for an fsync of a new rotor mark
 * ({@code rotorWaits / rotorMoves} of {@link VmemStore#stats()}), as {@code rotor waits}; and for every
 * variant the CPU time per operation of the benchmark thread and of the whole JVM (the store's background
 * threads included), as {@code cpu}. On a shared machine the CPU times vary much less than the scores, since
 * time spent waiting for a core is not counted: they give the in-process cost ratios when the scores are
 * noisy.
 *
 * <pre>
 *   java -jar target/benchmarks.jar DurabilityLevelsBenchmark -f 1 -wi 2 -w 2s -i 5 -r 2s
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class DurabilityLevelsBenchmark {
    static final int IDS = 1_000_000;
    static final int SETUP_BATCH = 4096;

    /** A store at SYNC, WRITE or BUFFERED, or the in-memory arena ("memory"). */
    @Param({"SYNC", "WRITE", "BUFFERED", "memory"})
    public String level;

    Path dir;
    VmemStore store;
    VmemArena arena;
    long[] live;
    SplittableRandom rnd;
    /** The store's counters when the current measurement iteration began, and their sums over those iterations. */
    StoreStats iterationStart;
    long measuredMoves;
    long measuredWaits;
    long measuredUnits;
    /** Operations so far, and CPU time (ns) of this thread and of the JVM, when the current measurement iteration began. */
    long ops;
    long startOps = -1;
    long startThreadCpu;
    long startProcessCpu;
    long measuredOps;
    long measuredThreadCpu;
    long measuredProcessCpu;
    static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        rnd = new SplittableRandom(42);
        live = new long[IDS / 2];
        if (level.equals("memory")) {
            arena = Arena.builder("ids").quantum(1).span(0, IDS).build();
        } else {
            dir = Files.createTempDirectory("vmem-bench-levels");
            store = VmemStore.open(StoreOptions.builder(dir.resolve("store"))
                    .durability(Durability.valueOf(level)).build());
            arena = store.createArena(ArenaDefinition.of("ids", 1));
            arena.addSpan(0, IDS);
        }
        long started = System.nanoTime();
        // Fill densely, then churn so that the free IDs are scattered as in a long-running pool.
        for (int start = 0; start < live.length; start += SETUP_BATCH) {
            int from = start;
            int to = Math.min(live.length, from + SETUP_BATCH);
            inBatch(() -> {
                for (int i = from; i < to; i++) {
                    live[i] = arena.alloc(1, Policy.NEXT_FIT);
                }
            });
        }
        for (int done = 0; done < live.length; done += SETUP_BATCH) {
            inBatch(() -> {
                for (int i = 0; i < SETUP_BATCH; i++) {
                    step();
                }
            });
        }
        if (store != null) {
            store.sync();
            store.checkpoint();
        }
        System.out.printf("%nsetup (%s): %d ms%n", level, (System.nanoTime() - started) / 1_000_000);
    }

    private void inBatch(Runnable work) {
        if (store == null) {
            work.run();
        } else {
            store.batch(work);
        }
    }

    @Setup(Level.Iteration)
    public void startIteration(IterationParams params) {
        boolean measured = params.getType() == IterationType.MEASUREMENT;
        iterationStart = store != null && measured ? store.stats() : null;
        startOps = measured ? ops : -1;
        startThreadCpu = THREADS.getCurrentThreadCpuTime();
        startProcessCpu = processCpuNanos();
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    @TearDown(Level.Iteration)
    public void endIteration() {
        if (startOps >= 0) {
            measuredOps += ops - startOps;
            measuredThreadCpu += THREADS.getCurrentThreadCpuTime() - startThreadCpu;
            measuredProcessCpu += processCpuNanos() - startProcessCpu;
        }
        if (iterationStart != null) {
            StoreStats now = store.stats();
            measuredMoves += now.rotorMoves() - iterationStart.rotorMoves();
            measuredWaits += now.rotorWaits() - iterationStart.rotorWaits();
            measuredUnits += now.appendedSeq() - iterationStart.appendedSeq();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (measuredOps > 0) {
            System.out.printf("%ncpu (%s, measurement): %d ops, %.0f ns/op on the benchmark thread, %.0f ns/op in the"
                    + " JVM%n", level, measuredOps, (double) measuredThreadCpu / measuredOps,
                    (double) measuredProcessCpu / measuredOps);
        }
        if (store == null) {
            return;
        }
        if (measuredMoves > 0) {
            System.out.printf("%nrotor waits (%s, measurement): %d of %d rotor moves = %.5f%%; %d units%n", level,
                    measuredWaits, measuredMoves, 100.0 * measuredWaits / measuredMoves, measuredUnits);
        }
        try {
            store.close();
        } finally {
            DurableOpsBenchmark.deleteTree(dir.toFile());
        }
    }

    @Benchmark
    public long step() {
        ops++;
        int i = rnd.nextInt(live.length);
        arena.free(live[i], 1);
        long id = arena.alloc(1, Policy.NEXT_FIT);
        live[i] = id;
        return id;
    }
}

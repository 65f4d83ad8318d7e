package dev.vmem.bench;

import dev.vmem.Policy;
import dev.vmem.store.ArenaDefinition;
import dev.vmem.store.PersistentArena;
import dev.vmem.store.StoreOptions;
import dev.vmem.store.VmemStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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

/**
 * Reopen time of a store whose one arena holds {@code segments} segments (half allocated IDs, half the
 * free gaps between them), from its checkpoint plus {@code tail} journal records. Prints the journal
 * and checkpoint bytes per segment once per trial.
 *
 * <pre>
 *   java -jar target/benchmarks.jar ReopenBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(1)
@State(Scope.Benchmark)
public class ReopenBenchmark {
    @Param({"1000000"})
    public int segments;

    @Param({"0", "10000"})
    public int tail;

    Path dir;

    @Setup(Level.Trial)
    public void build() throws IOException {
        dir = Files.createTempDirectory("vmem-reopen");
        Path storeDir = dir.resolve("store");
        int allocations = segments; // then every other one is freed: half allocated, half free segments
        try (VmemStore store = VmemStore.open(StoreOptions.of(storeDir))) {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(0, 2L * allocations);
            int batch = 20_000;
            for (int done = 0; done < allocations; done += batch) {
                int from = done;
                store.batch(() -> {
                    for (int i = from; i < Math.min(allocations, from + batch); i++) {
                        ids.alloc(1, Policy.INSTANT_FIT); // fills [0, allocations) densely
                    }
                });
            }
            // Free every other ID: alternating allocated and free segments.
            for (int done = 0; done < allocations; done += batch) {
                int from = done;
                store.batch(() -> {
                    for (int i = from; i < Math.min(allocations, from + batch); i += 2) {
                        ids.free(i);
                    }
                });
            }
            System.out.printf("%nsegments=%d, checkpointing...%n", ids.stats().segments());
        }
        long checkpointBytes = sizeOf(storeDir, "checkpoint-");
        long journalBefore = recordBytes(storeDir.resolve("journal"));
        // The tail: single-operation records after the checkpoint, replayed at open.
        VmemStore store = VmemStore.open(StoreOptions.builder(storeDir).checkpointInterval(java.time.Duration.ZERO)
                .checkpointBytes(1L << 40).build());
        PersistentArena ids = store.arena("ids");
        for (int i = 0; i < tail; i++) {
            ids.alloc(1, Policy.BEST_FIT);
        }
        long journalAfter = recordBytes(storeDir.resolve("journal"));
        crash(store);
        System.out.printf("checkpoint bytes per segment: %.1f (both generations: %d bytes); "
                + "journal bytes per single-op record: %.1f%n",
                (double) checkpointBytes / 2 / segments, checkpointBytes,
                tail == 0 ? Double.NaN : (double) (journalAfter - journalBefore) / tail);
    }

    /**
     * Copies the store's files while it is open (they are consistent after every acknowledged
     * operation, as a crash would leave them), so the copy opens with the journal tail unreplayed.
     */
    private void crash(VmemStore store) throws IOException {
        copyTree(store.directory(), dir.resolve("pristine"));
        store.close();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!p.getFileName().toString().equals("LOCK")) {
                    Files.copy(p, target);
                }
            }
        }
    }

    VmemStore opened;

    @Setup(Level.Iteration)
    public void freshCopy() throws IOException {
        Path work = dir.resolve("work");
        DurableOpsBenchmark.deleteTree(work.toFile());
        copyTree(dir.resolve("pristine"), work);
    }

    @Benchmark
    public VmemStore reopen() {
        opened = VmemStore.open(StoreOptions.builder(dir.resolve("work"))
                .checkpointInterval(java.time.Duration.ZERO).build());
        return opened;
    }

    @TearDown(Level.Iteration)
    public void closeStore() {
        opened.close();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        DurableOpsBenchmark.deleteTree(dir.toFile());
    }

    /**
     * Bytes of journal records: segment sizes without the zeros the journal writes ahead of its records
     * (a record that itself ends in zero bytes loses those few, which does not show per record).
     */
    private static long recordBytes(Path journal) throws IOException {
        long total = 0;
        try (Stream<Path> files = Files.list(journal)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (p.getFileName().toString().startsWith("J")) {
                    byte[] bytes = Files.readAllBytes(p);
                    int end = bytes.length;
                    while (end > 0 && bytes[end - 1] == 0) {
                        end--;
                    }
                    total += end;
                }
            }
        }
        return total;
    }

    private static long sizeOf(Path dir, String prefix) throws IOException {
        long total = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (p.getFileName().toString().startsWith(prefix)) {
                    total += Files.size(p);
                }
            }
        }
        return total;
    }
}

package dev.vmem.bench;

import dev.vmem.Policy;
import dev.vmem.store.ArenaDefinition;
import dev.vmem.store.Durability;
import dev.vmem.store.PersistentArena;
import dev.vmem.store.StoreOptions;
import dev.vmem.store.VmemStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * How long {@link VmemStore#backup} pauses writers, against {@link VmemStore#checkpoint} in the same run: a writer
 * thread allocates and frees without pause (at BUFFERED, so that no fsync hides a stall) on a store whose arena holds
 * {@code segments} segments, and its slowest calls are compared across three phases of equal length: nothing else,
 * checkpoints one after another, backups one after another. Not JMH: what matters is the worst stall a concurrent
 * caller sees, not the throughput of the call.
 *
 * <pre>
 *   mvn -B -q -o -Pbench package -DskipTests
 *   java -cp target/benchmarks.jar dev.vmem.bench.BackupPause 100000 1000000
 * </pre>
 */
public final class BackupPause {
    private BackupPause() {
    }

    public static void main(String[] args) throws Exception {
        for (String a : args.length == 0 ? new String[] {"100000"} : args) {
            run(Integer.parseInt(a));
        }
    }

    private static void run(int segments) throws Exception {
        Path dir = Files.createTempDirectory("vmem-backup-pause");
        try (VmemStore store = VmemStore.open(StoreOptions.builder(dir.resolve("store")).durability(Durability.BUFFERED)
                .checkpointInterval(Duration.ZERO).jmx(false).build())) {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(0, 4L * segments);
            for (int done = 0; done < segments / 2; done += 10_000) {
                int n = Math.min(10_000, segments / 2 - done);
                store.batch(() -> {
                    for (int i = 0; i < n; i++) {
                        ids.alloc(1, Policy.NEXT_FIT);
                        ids.free(ids.alloc(1, Policy.NEXT_FIT), 1); // allocated and free segments alternate
                    }
                });
            }
            store.checkpoint();
            System.out.printf("%,d segments%n", ids.stats().segments());
            String[] phases = {"writer alone", "checkpoints", "backups"};
            for (int round = 0; round < 2; round++) {
                for (String phase : phases) {
                    phase(store, ids, phase, dir, round == 1);
                }
            }
        } finally {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                    Files.delete(p);
                }
            }
        }
    }

    private static void phase(VmemStore store, PersistentArena ids, String phase, Path dir, boolean report)
            throws Exception {
        long[] latencies = new long[20_000_000];
        int[] count = {0};
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            while (!stop.get() && count[0] < latencies.length) {
                long t0 = System.nanoTime();
                long v = ids.alloc(1, Policy.INSTANT_FIT);
                ids.free(v, 1);
                latencies[count[0]++] = System.nanoTime() - t0;
            }
        }, "writer");
        writer.start();
        long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        int calls = 0;
        long callNanos = 0;
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            if (phase.equals("checkpoints")) {
                store.checkpoint();
            } else if (phase.equals("backups")) {
                Path target = dir.resolve("backup-" + calls);
                store.backup(target);
                callNanos += System.nanoTime() - t0;
                deleteTree(target);
                calls++;
                continue;
            } else {
                Thread.sleep(100);
            }
            callNanos += System.nanoTime() - t0;
            calls++;
        }
        stop.set(true);
        writer.join();
        long[] l = Arrays.copyOf(latencies, count[0]);
        Arrays.sort(l);
        if (report) {
            System.out.printf("  %-13s %4d calls of %7.1f ms; writer: %,9d alloc+free pairs, p99.9 %6.3f ms, p99.99 %7.3f ms, max %8.3f"
                    + " ms%n", phase, calls, callNanos / 1e6 / calls, l.length, l[(int) (l.length * 0.999)] / 1e6, l[(int) (l.length * 0.9999)] / 1e6,
                    l[l.length - 1] / 1e6);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}

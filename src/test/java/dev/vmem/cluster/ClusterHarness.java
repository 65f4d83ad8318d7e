package dev.vmem.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import dev.vmem.VmemArena;
import dev.vmem.store.ArenaDefinition;
import dev.vmem.store.Durability;
import dev.vmem.store.StoreOptions;
import dev.vmem.store.VmemStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster's figures, measured in one run against peers in the same run (not part of mvn test: the name does
 * not end in Test). Run with
 * {@code mvn -B -o test -Dtest=ClusterHarness} (options: {@code -Dvmem.harness.seconds=3 -Dvmem.harness.rounds=3
 * -Dvmem.harness.levels=sync,write,buffered}); it prints one line per figure:
 * <ul>
 *   <li>IDs/s of one thread on a node (persistent arena on a ClusterSource, prefetch on) against the same thread on
 *       a local store arena with a span of its own, at the same durability level, in alternating rounds;</li>
 *   <li>leases/s: fenced lease multis committed by one client against the three-server ensemble;</li>
 *   <li>time from node start to first ID: in a warm JVM (open, register, first lease, first ID) and in a fresh JVM
 *       (process start to the first acknowledged ID of dev.vmem.cli.ClusterNodeWorker).</li>
 * </ul>
 */
@Tag("zookeeper") // the build runs these alone in one JVM: see ZkEnsemble
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class ClusterHarness {
    private static final long SECONDS = Long.getLong("vmem.harness.seconds", 3);
    private static final int ROUNDS = Integer.getInteger("vmem.harness.rounds", 3);

    @TempDir
    Path dir;

    private static double rate(VmemArena arena) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        long n = 0;
        long start = System.nanoTime();
        while (System.nanoTime() < end) {
            arena.alloc(1, Policy.INSTANT_FIT);
            n++;
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    @Test
    void measure() throws Exception {
        try (ZkEnsemble zk = new ZkEnsemble()) {
            String path = zk.space("harness", new SpaceDefinition(0, 1L << 50, 1, 1024), null);
            int run = 0;
            for (String name : System.getProperty("vmem.harness.levels", "sync,write,buffered").split(",")) {
                Durability level = Durability.parse(name);
                double[] local = new double[ROUNDS];
                double[] cluster = new double[ROUNDS];
                for (int r = 0; r < ROUNDS; r++) {
                    Path l = dir.resolve("local-" + run);
                    try (VmemStore store = VmemStore.open(StoreOptions.builder(l).durability(level).jmx(false).build())) {
                        store.createArena(ArenaDefinition.of("ids", 1)).addSpan(0, 1L << 50);
                        local[r] = rate(store.arena("ids"));
                    }
                    Path c = dir.resolve("cluster-" + run);
                    try (VmemStore store = VmemStore.open(StoreOptions.builder(c).durability(level).jmx(false).build());
                            ClusterNode node = ClusterNode.persistent(zk.config(path, "n" + run, null), store, "ids")) {
                        cluster[r] = rate(node.arena());
                        ClusterSourceStats s = node.source().stats();
                        System.out.printf("  round %d %s cluster: %s%n", r, level, s);
                    }
                    run++;
                }
                double[] ratios = new double[ROUNDS];
                for (int r = 0; r < ROUNDS; r++) {
                    ratios[r] = cluster[r] / local[r];
                }
                System.out.printf("IDS_PER_SECOND %s local=%.0f cluster=%.0f ratio of medians=%.2f, median of round "
                        + "ratios=%.2f (%d rounds of %d s, local then cluster in each; local %s, cluster %s)%n", level,
                        median(local), median(cluster), median(cluster) / median(local), median(ratios), ROUNDS,
                        SECONDS, Arrays.toString(round(local)), Arrays.toString(round(cluster)));
                // a figure only if both sides handed out IDs in every round
                assertTrue(Arrays.stream(local).allMatch(x -> x > 0) && Arrays.stream(cluster).allMatch(x -> x > 0),
                        level + ": every round handed out IDs");
            }
            try (ZkClient client = ZkClient.connect(zk.config(path, "leaser", null))) {
                Registration reg = new Membership(client).register("leaser", 0);
                LeaseLedger ledger = new LeaseLedger(client, ClusterAdmin.readDefinition(client));
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
                long start = System.nanoTime();
                int n = 0;
                while (System.nanoTime() < end) {
                    ledger.take(reg, 1024);
                    n++;
                }
                System.out.printf("LEASES_PER_SECOND one client, three servers: %.0f (%d in %d s)%n",
                        n / ((System.nanoTime() - start) / 1e9), n, SECONDS);
                assertTrue(n > 0, "leases were taken");
            }
            double[] warm = new double[5];
            for (int i = 0; i < warm.length; i++) {
                long t0 = System.nanoTime();
                try (ClusterNode node = ClusterNode.inMemory(zk.config(path, "warm" + i, null), "warm")) {
                    node.arena().alloc(1, Policy.INSTANT_FIT);
                    warm[i] = (System.nanoTime() - t0) / 1e6;
                }
            }
            double[] cold = new double[3];
            for (int i = 0; i < cold.length; i++) {
                cold[i] = coldStart(zk, path, "cold" + i, dir.resolve("cold" + i));
            }
            System.out.printf("FIRST_ID_MS warm JVM median=%.1f %s; fresh JVM median=%.0f %s%n", median(warm),
                    Arrays.toString(round(warm)), median(cold), Arrays.toString(round(cold)));
            assertTrue(Arrays.stream(warm).allMatch(x -> x > 0) && Arrays.stream(cold).allMatch(x -> x > 0),
                    "every start reached its first ID");
        }
    }

    private static long[] round(double[] v) {
        return Arrays.stream(v).mapToLong(Math::round).toArray();
    }

    private static double coldStart(ZkEnsemble zk, String path, String node, Path store) throws Exception {
        Files.createDirectories(store.getParent());
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                "dev.vmem.cli.ClusterNodeWorker", zk.connectString(), path, node, store.toString(), "sync", "1"));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l = r.readLine(); l != null; l = r.readLine()) {
                if (l.startsWith("id ")) {
                    return (System.nanoTime() - t0) / 1e6;
                }
            }
            throw new AssertionError("no id from the fresh JVM");
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }
}

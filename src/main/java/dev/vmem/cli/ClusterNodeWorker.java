package dev.vmem.cli;

import dev.vmem.Policy;
import dev.vmem.cluster.ClusterConfig;
import dev.vmem.cluster.ClusterCredentials;
import dev.vmem.cluster.ClusterException;
import dev.vmem.cluster.ClusterNode;
import dev.vmem.cluster.ClusterSourceStats;
import dev.vmem.store.Durability;
import dev.vmem.store.StoreOptions;
import dev.vmem.store.VmemStore;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A node process of a cluster space, for {@code vmem demo --cluster} and the crash tests: opens its store, joins the
 * space, prints {@code ready EPOCH FENCED_SPANS MILLIS_TO_START}, then hands out IDs with INSTANT_FIT, printing
 * {@code id N} once each is acknowledged (durable in the store at the given level), until it has printed
 * {@code count} of them or, with count -1, until it is killed; every 1,000 IDs it prints
 * {@code stats IDS NANOS LEASES PREFETCHES WAITS}.
 *
 * <p>Arguments: connect string, space path, node id, store directory, durability level, count. Credentials come
 * from {@code VMEM_CLUSTER_CREDENTIALS} ({@code user:secret}), if set.
 */
final class ClusterNodeWorker {
    private ClusterNodeWorker() {
    }

    public static void main(String[] args) throws Exception {
        VmemMain.configureLogging(false);
        long started = System.nanoTime();
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false);
        String env = System.getenv(ClusterOptions.CREDENTIALS_ENV);
        ClusterCredentials credentials = env == null || env.isEmpty() ? null
                : ClusterCredentials.digest(env.substring(0, env.indexOf(':')), env.substring(env.indexOf(':') + 1));
        ClusterConfig config = new ClusterConfig(args[0], args[1], args[2], credentials, Duration.ofSeconds(4),
                Duration.ofSeconds(2));
        long count = Long.parseLong(args[5]);
        try (VmemStore store = VmemStore.open(StoreOptions.builder(Path.of(args[3])).durability(Durability.parse(args[4]))
                .jmx(false).build());
                ClusterNode node = ClusterNode.persistent(config, store, "ids")) {
            out.print("ready " + node.source().stats().epoch() + " " + node.fencedSpans() + " "
                    + (System.nanoTime() - started) / 1_000_000 + "\n");
            out.flush();
            long t0 = System.nanoTime();
            for (long n = 1; count < 0 || n <= count; n++) {
                long id = allocate(node);
                out.print("id " + id + "\n");
                if (n % 1000 == 0) {
                    ClusterSourceStats s = node.source().stats();
                    out.print("stats " + n + " " + (System.nanoTime() - t0) + " " + s.leasesTaken() + " "
                            + s.prefetches() + " " + s.waits() + "\n");
                }
                out.flush();
                if (out.checkError()) {
                    break; // the parent is gone
                }
            }
        }
        out.print("done\n");
        out.flush();
    }

    /**
     * One ID; while the cluster refuses (the node does not serve because ZooKeeper has not confirmed its session
     * lately, as when the demo just stopped a server, or a lease cannot be taken), tries again for up to a minute.
     */
    private static long allocate(ClusterNode node) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (true) {
            try {
                return node.arena().alloc(1, Policy.INSTANT_FIT);
            } catch (ClusterException e) {
                if (System.nanoTime() > until) {
                    throw e;
                }
                Thread.sleep(20);
            }
        }
    }
}

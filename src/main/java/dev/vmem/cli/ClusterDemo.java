package dev.vmem.cli;

import dev.vmem.cluster.ClusterAdmin;
import dev.vmem.cluster.ClusterCredentials;
import dev.vmem.cluster.ClusterStatus;
import dev.vmem.cluster.SpaceDefinition;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * {@code vmem demo --cluster}: a three-server ZooKeeper ensemble in this JVM, three node processes
 * ({@link ClusterNodeWorker}, each on its own store) handing out IDs from one space; one node is killed with SIGKILL
 * and one ZooKeeper server stopped, then the node is restarted on its store. Shows IDs per second per node, leases
 * taken, that no ID was handed out by two nodes, and that the restarted node handed out nothing again.
 */
final class ClusterDemo {
    private static final String PATH = "/vmem-demo/ids";
    private static final long PHASE_MILLIS = 3000;

    /** One run of a node process and the lines it printed. */
    private static final class Run {
        final String node;
        final Process process;
        final List<String> lines = new CopyOnWriteArrayList<>();
        long readyNanos;
        long endNanos;

        Run(String node, List<String> command, String credentials) throws IOException {
            this.node = node;
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put(ClusterOptions.CREDENTIALS_ENV, credentials);
            process = pb.start();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String l = r.readLine(); l != null; l = r.readLine()) {
                        lines.add(l);
                    }
                } catch (IOException e) {
                    // the process ended: its whole lines are in
                }
            }, "demo-reader-" + node);
            reader.setDaemon(true);
            reader.start();
        }

        String awaitReady(Duration limit) throws InterruptedException {
            long deadline = System.nanoTime() + limit.toNanos();
            while (System.nanoTime() < deadline) {
                for (String l : lines) {
                    if (l.startsWith("ready ")) {
                        readyNanos = System.nanoTime();
                        return l;
                    }
                }
                if (!process.isAlive()) {
                    break;
                }
                Thread.sleep(20);
            }
            throw new IllegalStateException("node " + node + " did not start within " + limit.toSeconds() + " s");
        }

        void stop(boolean sigkill) throws InterruptedException {
            endNanos = System.nanoTime();
            if (sigkill) {
                process.destroyForcibly();
            } else {
                process.destroy();
            }
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(20, TimeUnit.SECONDS);
            }
            Thread.sleep(50); // the reader takes the last whole lines
        }

        List<Long> ids() {
            List<Long> out = new ArrayList<>();
            for (String l : lines) {
                if (l.startsWith("id ")) {
                    out.add(Long.parseLong(l.substring(3)));
                }
            }
            return out;
        }

        long leases() {
            long n = 0;
            for (String l : lines) {
                if (l.startsWith("stats ")) {
                    n = Long.parseLong(l.split(" ")[3]);
                }
            }
            return n;
        }

        double seconds() {
            return (endNanos - readyNanos) / 1e9;
        }
    }

    private ClusterDemo() {
    }

    static int run(PrintWriter out, boolean json, Path base) throws Exception {
        String secret = Long.toHexString(new SecureRandom().nextLong());
        String credentials = "demo:" + secret;
        List<Run> runs = new ArrayList<>();
        long started = System.nanoTime();
        try (DemoEnsemble zk = new DemoEnsemble(base)) {
            say(out, json, "ZooKeeper: three servers in this JVM at " + zk.connectString());
            try (ClusterAdmin admin = ClusterAdmin.connect(zk.connectString(), PATH,
                    ClusterCredentials.digest("demo", secret), Duration.ofSeconds(20))) {
                admin.init(new SpaceDefinition(0, 1L << 40, 1, 256));
            }
            say(out, json, "space " + PATH + ": [0, 2^40), leases of 256 and up; three node processes on SYNC stores");
            Map<String, Run> current = new LinkedHashMap<>();
            for (String node : List.of("node1", "node2", "node3")) {
                Run r = new Run(node, command(zk.connectString(), node, base), credentials);
                runs.add(r);
                current.put(node, r);
            }
            for (Run r : current.values()) {
                r.awaitReady(Duration.ofSeconds(30));
            }
            Thread.sleep(PHASE_MILLIS);
            Run victim = current.get("node2");
            victim.stop(true);
            say(out, json, "SIGKILL node2 after " + victim.ids().size() + " IDs; ZooKeeper server 3 stopped");
            zk.kill(2);
            Thread.sleep(PHASE_MILLIS / 2);
            Run restarted = new Run("node2", command(zk.connectString(), "node2", base), credentials);
            runs.add(restarted);
            current.put("node2", restarted);
            String ready = restarted.awaitReady(Duration.ofSeconds(30));
            say(out, json, "node2 restarted on its store: registered with epoch " + ready.split(" ")[1] + ", "
                    + ready.split(" ")[2] + " spans fenced, first ID after " + ready.split(" ")[3] + " ms in the JVM"
                    + " (it waits out its old ZooKeeper session)");
            Thread.sleep(PHASE_MILLIS);
            for (Run r : current.values()) {
                r.stop(false);
            }
            return report(out, json, runs, victim, restarted, started);
        } finally {
            for (Run r : runs) {
                if (r.process.isAlive()) {
                    r.process.destroyForcibly();
                    r.process.waitFor(20, TimeUnit.SECONDS);
                }
            }
        }
    }

    private static int report(PrintWriter out, boolean json, List<Run> runs, Run victim, Run restarted, long started) {
        Map<Long, Integer> count = new HashMap<>();
        Map<String, long[]> perNode = new LinkedHashMap<>(); // ids, nanos
        long leases = 0;
        for (Run r : runs) {
            for (long id : r.ids()) {
                count.merge(id, 1, Integer::sum);
            }
            long[] n = perNode.computeIfAbsent(r.node, k -> new long[2]);
            n[0] += r.ids().size();
            n[1] += r.endNanos - r.readyNanos;
            leases += r.leases();
        }
        long duplicates = count.values().stream().filter(c -> c > 1).count();
        Set<Long> before = new HashSet<>();
        for (Run r : runs) {
            if (r != restarted) {
                before.addAll(r.ids());
            }
        }
        long reused = restarted.ids().stream().filter(before::contains).count();
        double seconds = (System.nanoTime() - started) / 1e9;
        boolean ok = duplicates == 0 && reused == 0;
        if (json) {
            Json j = new Json().beginObject().field("nodes", perNode.size()).field("ids", count.size())
                    .field("duplicates", duplicates).field("reused_after_restart", reused).field("leases", leases)
                    .object("ids_per_second_per_node");
            perNode.forEach((node, n) -> j.field(node, Math.round(n[0] / (n[1] / 1e9))));
            j.endObject().field("killed_node_ids_before_kill", victim.ids().size())
                    .field("restarted_node_ids", restarted.ids().size()).field("zookeeper_servers_stopped", 1)
                    .field("seconds", Math.round(seconds)).endObject();
            out.println(j);
        } else {
            perNode.forEach((node, n) -> out.printf("%-6s %,9d IDs  %,8.0f IDs/s%n", node, n[0], n[0] / (n[1] / 1e9)));
            out.printf("%,d IDs in all, %d leases taken, %d handed out by two nodes, %d handed out again by node2 "
                    + "after its restart (%.0f s)%n", count.size(), leases, duplicates, reused, seconds);
            out.println(ok ? "every ID was handed out once" : "DUPLICATES: the cluster broke its promise");
        }
        return ok ? ExitCode.OK.code : ExitCode.FAILURE.code;
    }

    private static List<String> command(String zk, String node, Path base) {
        return List.of(DemoCommand.javaBinary(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m", "-cp",
                System.getProperty("java.class.path"), ClusterNodeWorker.class.getName(), zk, PATH, node,
                base.resolve(node).toString(), "sync", "-1");
    }

    private static void say(PrintWriter out, boolean json, String line) {
        if (!json) {
            out.println(line);
            out.flush();
        }
    }
}

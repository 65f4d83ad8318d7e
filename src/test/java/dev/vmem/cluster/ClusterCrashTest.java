package dev.vmem.cluster;

import static dev.vmem.cluster.ClusterSourceTest.allocate;
import static dev.vmem.cluster.ClusterSourceTest.assertNew;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes in their own JVMs (dev.vmem.cli.ClusterNodeWorker on persistent stores) beside one in the test JVM: every
 * value any of them acknowledges is unique, and a node killed with kill -9 and restarted keeps its leases and hands
 * out nothing it acknowledged before.
 */
@Tag("zookeeper") // the build runs these alone in one JVM: see ZkEnsemble
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterCrashTest {
    private static final String SECRET = "crash-secret";

    @TempDir
    Path dir;

    /** A forked node and the lines it printed. */
    static final class ForkedNode {
        final Process process;
        final List<String> lines = new CopyOnWriteArrayList<>();
        final Thread reader;

        ForkedNode(List<String> command) throws IOException {
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("VMEM_CLUSTER_CREDENTIALS", "member:" + SECRET);
            process = pb.start();
            reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line = r.readLine(); line != null; line = r.readLine()) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // the process died: what it printed whole is in lines
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        static ForkedNode start(ZkEnsemble zk, String path, String node, Path store, long count) throws IOException {
            return new ForkedNode(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m", "-cp",
                    System.getProperty("java.class.path"), "dev.vmem.cli.ClusterNodeWorker", zk.connectString(), path,
                    node, store.toString(), "sync", Long.toString(count)));
        }

        List<Long> ids() {
            return lines.stream().filter(l -> l.startsWith("id ")).map(l -> Long.parseLong(l.substring(3))).toList();
        }

        String ready() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                for (String l : lines) {
                    if (l.startsWith("ready ")) {
                        return l;
                    }
                }
                if (!process.isAlive() && !reader.isAlive()) {
                    throw new AssertionError("node exited with " + process.exitValue() + " before ready: " + lines);
                }
                Thread.sleep(20);
            }
            throw new AssertionError("node not ready within 60 s: " + lines);
        }

        void awaitIds(int n) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (ids().size() < n) {
                // A sublist of the copy-on-write list fails once the reader appends; a copy does not.
                assertTrue(process.isAlive() && System.nanoTime() < deadline, () -> "node printed " + ids().size()
                        + " of " + n + " ids: " + List.copyOf(lines).stream().limit(5).toList());
                Thread.sleep(20);
            }
        }

        void awaitExit() throws InterruptedException {
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "node did not finish");
            reader.join(10_000);
            List<String> all = List.copyOf(lines);
            assertEquals(0, process.exitValue(), "node failed: " + all.subList(Math.max(0, all.size() - 3), all.size()));
        }

        void kill9() throws InterruptedException {
            process.destroyForcibly(); // SIGKILL on Linux
            process.waitFor(30, TimeUnit.SECONDS);
            reader.join(10_000);
        }
    }

    @Test
    void nodesInTheirOwnJvms_andOneKilledAndRestarted_handOutEveryValueOnce() throws Exception {
        ClusterCredentials member = ClusterCredentials.digest("member", SECRET);
        List<ForkedNode> forked = new ArrayList<>();
        try (ZkEnsemble zk = new ZkEnsemble()) {
            String path = zk.space("crash", new SpaceDefinition(0, 1L << 30, 1, 64), member);
            ForkedNode victim = ForkedNode.start(zk, path, "victim", dir.resolve("victim"), -1);
            forked.add(victim);
            ForkedNode steady = ForkedNode.start(zk, path, "steady", dir.resolve("steady"), 3000);
            forked.add(steady);
            Set<Long> seen = new HashSet<>();
            try (ClusterNode local = ClusterNode.inMemory(zk.config(path, "local", member), "local")) {
                victim.ready();
                steady.ready();
                assertNew(seen, allocate(local.arena(), 1500), "the in-JVM node");
                victim.awaitIds(1500);
                victim.kill9();
                assertNew(seen, victim.ids(), "the victim before kill -9");
                ForkedNode restarted = ForkedNode.start(zk, path, "victim", dir.resolve("victim"), 1500);
                forked.add(restarted);
                String ready = restarted.ready();
                assertEquals("2 0", ready.split(" ")[1] + " " + ready.split(" ")[2],
                        "registered with epoch 2, no span fenced: " + ready);
                assertNew(seen, allocate(local.arena(), 1500), "the in-JVM node");
                restarted.awaitExit();
                steady.awaitExit();
                assertEquals(1500, restarted.ids().size());
                assertNew(seen, restarted.ids(), "the victim restarted");
                assertNew(seen, steady.ids(), "the steady node");
                assertEquals(List.of(), local.arena().checkInvariants());
            }
            assertTrue(seen.size() >= 3000 + 1500 + 1500 + 1500, "acknowledged: " + seen.size());
        } finally {
            for (ForkedNode f : forked) {
                f.kill9();
            }
        }
    }
}

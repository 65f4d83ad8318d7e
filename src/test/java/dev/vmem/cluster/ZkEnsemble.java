package dev.vmem.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.apache.zookeeper.ZooKeeper;

/**
 * A three-server ZooKeeper ensemble in the test JVM (Curator's TestingCluster), bound to 127.0.0.1, with a short
 * tick (sessions of 1 to 10 s) so that expiry tests take seconds. Each test takes a fresh space path from
 * {@link #newPath}.
 *
 * <p>Everything the servers write is under one temporary directory, deleted at close: each server's data directory,
 * and the configuration file ZooKeeper's embedded server writes beside it at every start and never deletes (with
 * Curator's default data directories those files were left in the system's temporary directory, 31 a build).
 *
 * <p>A test class that starts one carries {@code @Tag("zookeeper")}: the build runs those alone in one JVM, since a
 * restarted server binds the port it had, which a test in another JVM could have taken meanwhile.
 */
final class ZkEnsemble implements AutoCloseable {
    static final int TICK_MS = 500;
    static final Duration SESSION = Duration.ofSeconds(4);
    static final Duration CONNECTION = Duration.ofSeconds(2);
    private static final AtomicInteger PATHS = new AtomicInteger();
    final TestingCluster cluster;
    final List<InstanceSpec> specs = new ArrayList<>();
    final Path home;

    ZkEnsemble() throws Exception {
        // A server that cannot bind its port again after a restart asks for System.exit (code 14), which would end the
        // test JVM: it logs instead, and the other two keep the quorum.
        // (by reflection: javac warns about the SpotBugs annotations of ZooKeeper's ServiceUtils class file)
        Class<?> serviceUtils = Class.forName("org.apache.zookeeper.util.ServiceUtils");
        serviceUtils.getMethod("setSystemExitProcedure", java.util.function.Consumer.class)
                .invoke(null, serviceUtils.getField("LOG_ONLY").get(null));
        home = Files.createTempDirectory("vmem-zk-");
        for (int id = 1; id <= 3; id++) {
            Path data = Files.createDirectory(home.resolve("server-" + id));
            specs.add(new InstanceSpec(data.toFile(), InstanceSpec.getRandomPort(), InstanceSpec.getRandomPort(),
                    InstanceSpec.getRandomPort(), true, id, TICK_MS, 100, Map.of(), "127.0.0.1"));
        }
        cluster = new TestingCluster(specs);
        try {
            cluster.start();
        } catch (Exception | Error e) {
            cluster.close();
            deleteTree(home);
            throw e;
        }
    }

    String connectString() {
        return cluster.getConnectString();
    }

    static String newPath(String name) {
        return "/vmem-test/" + name + "-" + PATHS.incrementAndGet() + "-" + System.nanoTime();
    }

    ClusterConfig config(String path, String node, ClusterCredentials credentials) {
        return new ClusterConfig(connectString(), path, node, credentials, SESSION, CONNECTION);
    }

    ClusterAdmin admin(String path, ClusterCredentials credentials) {
        return ClusterAdmin.connect(connectString(), path, credentials, CONNECTION);
    }

    /** Creates a space at a fresh path and returns the path. */
    String space(String name, SpaceDefinition definition, ClusterCredentials credentials) {
        String path = newPath(name);
        try (ClusterAdmin admin = admin(path, credentials)) {
            if (!admin.init(definition)) {
                throw new AssertionError("space " + path + " existed already");
            }
        }
        return path;
    }

    /**
     * Expires the session of {@code source} on the servers (not only in its client): a second client joins the
     * session with its id and password and closes it, which ends the session and deletes its ephemeral znodes.
     */
    void expireOnServer(ClusterSource source) throws Exception {
        long id = source.zk().sessionId();
        byte[] password = source.zk().sessionPassword();
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper twin = new ZooKeeper(connectString(), (int) SESSION.toMillis(), e -> {
            if (e.getState() == org.apache.zookeeper.Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        }, id, password);
        try {
            if (!connected.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("could not join session " + Long.toHexString(id));
            }
        } finally {
            twin.close();
        }
    }

    /** Waits until the servers ended the session of {@code node} in the space at {@code path} (its live znode is gone). */
    void awaitSessionEnded(ClusterCredentials credentials, String path, String node) throws InterruptedException {
        awaitSessionEnded(credentials, path, node, -1);
    }

    /**
     * Waits until the servers ended the session {@code node} registered with at {@code epoch} ({@code -1}: any), that
     * is until the node is not live at that epoch. A node that registers again at once after its session expired is
     * live again at the next epoch: a wait for "not live" alone could miss the moment between and never end.
     */
    void awaitSessionEnded(ClusterCredentials credentials, String path, String node, long epoch)
            throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        try (ClusterAdmin admin = admin(path, credentials)) {
            while (admin.status().members().stream()
                    .anyMatch(m -> m.node().equals(node) && m.live() && (epoch == -1 || m.epoch() == epoch))) {
                if (System.nanoTime() > until) {
                    throw new AssertionError("the servers did not end the session of " + node + " within 20 s");
                }
                Thread.sleep(100);
            }
        }
    }

    @Override
    public void close() throws IOException {
        try {
            cluster.close();
        } finally {
            deleteTree(home);
        }
    }

    /** Deletes {@code root} and everything under it. */
    static void deleteTree(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}

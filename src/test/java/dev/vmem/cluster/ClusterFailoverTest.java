package dev.vmem.cluster;

import static dev.vmem.cluster.ClusterSourceTest.allocate;
import static dev.vmem.cluster.ClusterSourceTest.assertNew;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.ArenaExhaustedException;
import dev.vmem.Policy;
import dev.vmem.store.VmemStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.InstanceSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes through failures, against one in-JVM ensemble of the class: a persistent node restarted keeps its leases,
 * a dead node decommissioned has its spans reused by others and serves none of them when it comes back, and the
 * loss of one and then two ZooKeeper servers (longer than a session timeout) leaves nodes serving from what they
 * hold. The server-killing test runs last and restarts what it killed.
 */
@Tag("zookeeper") // the build runs these alone in one JVM: see ZkEnsemble
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterFailoverTest {
    private static final ClusterCredentials MEMBER = ClusterCredentials.digest("member", "failover-secret");
    private static ZkEnsemble zk;

    @TempDir
    Path dir;

    @BeforeAll
    static void startEnsemble() throws Exception {
        zk = new ZkEnsemble();
    }

    @AfterAll
    static void stopEnsemble() throws Exception {
        if (zk != null) {
            zk.close();
        }
    }

    @Test
    @Order(1)
    void persistentNode_restarted_keepsItsLeases_andHandsOutNothingAgain() {
        String path = zk.space("restart", new SpaceDefinition(0, 1 << 16, 1, 16), MEMBER);
        ClusterConfig config = zk.config(path, "p", MEMBER);
        Set<Long> seen = new HashSet<>();
        long held;
        try (VmemStore store = VmemStore.open(dir.resolve("p"));
                ClusterNode node = ClusterNode.persistent(config, store, "ids")) {
            assertNew(seen, allocate(node.arena(), 100), "p");
            held = node.arena().stats().total();
        }
        try (VmemStore store = VmemStore.open(dir.resolve("p"));
                ClusterNode node = ClusterNode.persistent(config, store, "ids")) {
            assertEquals(0, node.fencedSpans());
            assertEquals(held, node.arena().stats().total(), "the arena holds the spans it held");
            assertEquals(100, node.arena().stats().allocated());
            assertNew(seen, allocate(node.arena(), 300), "p restarted");
            assertEquals(List.of(), node.arena().checkInvariants());
            assertEquals(List.of(), store.verify());
        }
    }

    @Test
    @Order(2)
    void deadNode_decommissioned_hasItsSpansReused_andServesNoneOfThemWhenItComesBack() {
        String path = zk.space("decommission", new SpaceDefinition(0, 512, 1, 16), MEMBER);
        Set<Long> fromA;
        try (VmemStore store = VmemStore.open(dir.resolve("a"));
                ClusterNode a = ClusterNode.persistent(zk.config(path, "a", MEMBER), store, "ids")) {
            fromA = new HashSet<>(allocate(a.arena(), 200));
        } // "a" stops: its store keeps the imported spans, the cluster its leases
        try (ClusterAdmin admin = zk.admin(path, MEMBER)) {
            long freed = admin.decommission("a");
            assertTrue(freed >= 200, "a's leases freed: " + freed);
            ClusterStatus.Member a = admin.status().members().get(0);
            assertTrue(a.decommissioned() && a.leases() == 0, a.toString());
        }
        Set<Long> fromB = new HashSet<>();
        try (ClusterNode b = ClusterNode.inMemory(zk.config(path, "b", MEMBER), "b")) {
            assertThrows(ArenaExhaustedException.class, () -> {
                while (true) {
                    fromB.add(b.arena().alloc(1, Policy.INSTANT_FIT));
                }
            });
            assertEquals(512, fromB.size(), "b leased the whole space, a's old spans included");
            assertTrue(fromB.containsAll(fromA), "a's spans were reused");
            try (VmemStore store = VmemStore.open(dir.resolve("a"));
                    ClusterNode a = ClusterNode.persistent(zk.config(path, "a", MEMBER), store, "ids")) {
                assertTrue(a.fencedSpans() > 0, "a found spans that are no longer its own");
                assertEquals(3, a.source().stats().epoch(), "registered, bumped by the decommission, registered");
                assertThrows(ArenaExhaustedException.class, () -> a.arena().alloc(1, Policy.INSTANT_FIT),
                        "a serves nothing: its old spans are fenced and the space is b's");
                assertEquals(List.of(), a.arena().checkInvariants());
                assertEquals(List.of(), store.verify());
            }
        }
    }

    @Test
    @Order(3)
    void losingOneThenTwoServers_nodesServeWhatTheyHold_untilTheirSessionCouldExpire_thenResumeWithQuorum()
            throws Exception {
        String path = zk.space("quorum", new SpaceDefinition(0, 1 << 30, 1, 16), MEMBER);
        List<InstanceSpec> killed = new ArrayList<>();
        try (ClusterNode a = ClusterNode.inMemory(zk.config(path, "a", MEMBER), "a")) {
            Set<Long> seen = new HashSet<>();
            assertNew(seen, allocate(a.arena(), 500), "a");
            killed.add(zk.specs.get(0));
            assertTrue(zk.cluster.killServer(zk.specs.get(0)));
            assertNew(seen, allocate(a.arena(), 2000), "a with two servers");
            a.source().awaitPrefetch();
            killed.add(zk.specs.get(1));
            assertTrue(zk.cluster.killServer(zk.specs.get(1)));
            long holds = a.arena().stats().free() + a.source().stats().freeValues();
            assertTrue(holds > 0, "a holds values to serve");
            assertNew(seen, allocate(a.arena(), (int) holds), "a without quorum, within its session timeout");
            long start = System.nanoTime();
            ClusterException e = assertThrows(ClusterException.class, () -> a.arena().alloc(1, Policy.INSTANT_FIT));
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(e.getMessage().contains(path) && e.getMessage().contains("quorum"), e.getMessage());
            assertTrue(tookMs < 30_000, "leasing failed within " + tookMs + " ms");
            assertEquals(holds, a.arena().stats().allocated() - 2500, "the failed allocation changed nothing");
            // ZooKeeper gone for longer than half a session timeout: the servers may soon end the
            // session, so a serves nothing, even what it still holds
            long back = seen.iterator().next();
            a.arena().free(back, 1);
            seen.remove(back);
            long until = System.nanoTime() + ZkEnsemble.SESSION.toNanos() * 2;
            while (a.serving()) {
                assertTrue(System.nanoTime() < until, "a stopped serving within its session timeout");
                Thread.sleep(50);
            }
            ClusterException stopped = assertThrows(ClusterException.class,
                    () -> a.arena().alloc(1, Policy.INSTANT_FIT));
            assertTrue(stopped.getMessage().contains(path) && stopped.getMessage().contains("serves nothing")
                    && stopped.getMessage().contains("'a'"), stopped.getMessage());
            assertEquals(holds - 1, a.arena().stats().allocated() - 2500, "the refused allocation changed nothing");
            assertEquals(1, a.arena().stats().free() + a.source().stats().freeValues(), "the freed value is held");
            for (InstanceSpec s : killed) {
                zk.cluster.restartServer(s);
            }
            killed.clear();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
            List<Long> resumed = null;
            while (resumed == null) {
                try {
                    resumed = allocate(a.arena(), 1);
                } catch (ClusterException again) {
                    assertTrue(System.nanoTime() < deadline, "leasing resumed with quorum: " + again.getMessage());
                    Thread.sleep(200);
                }
            }
            assertNew(seen, resumed, "a with quorum back");
            assertNew(seen, allocate(a.arena(), 500), "a with quorum back");
            assertEquals(List.of(), a.arena().checkInvariants());
            assertFalse(seen.isEmpty());
        } finally {
            for (InstanceSpec s : killed) {
                zk.cluster.restartServer(s);
            }
        }
    }
}

package dev.vmem.cluster;

import static dev.vmem.cluster.ClusterSourceTest.allocate;
import static dev.vmem.cluster.ClusterSourceTest.assertNew;
import static dev.vmem.cluster.ClusterSourceTest.drain;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.InstanceSpec;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Adversarial review of issue 14 (the ZooKeeper cluster source): each test is a finding or a check that held. */
@Tag("zookeeper") // the build runs these alone in one JVM: see ZkEnsemble
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Review14FindingsTest {
    private static final ClusterCredentials MEMBER = ClusterCredentials.digest("member", "r3view-Secret");
    private static ZkEnsemble zk;

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

    private static CuttingProxy proxyToFirstServer() throws Exception {
        return new CuttingProxy(new InetSocketAddress("127.0.0.1", zk.specs.get(0).getPort()));
    }

    /** Node {@code a} leases the whole space and frees it all; the first give-back's reply is lost. */
    private static void leaseAllThenFreeUntilCut(ClusterNode a, CuttingProxy proxy) throws Exception {
        List<Long> all = allocate(a.arena(), 1024);
        a.source().awaitPrefetch();
        proxy.arm();
        for (long id : all) {
            a.arena().free(id);
        }
        assertTrue(proxy.awaitCut(10), "a gave a lease back");
    }

    private static void awaitQuorum(String path) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try (ClusterAdmin admin = zk.admin(path, MEMBER)) {
                admin.status();
                return;
            } catch (ClusterException e) {
                assertTrue(System.nanoTime() < deadline, "quorum is back: " + e.getMessage());
                Thread.sleep(200);
            }
        }
    }

    private static long firstFreeBase(String path) throws Exception {
        try (ZkClient c = ZkClient.connect(zk.config(path, "admin", MEMBER))) {
            List<long[]> frees = new LeaseLedger(c, ClusterAdmin.readDefinition(c)).frees();
            return frees.isEmpty() ? -1 : frees.get(0)[0];
        }
    }

    /**
     * Finding: a give-back whose multi committed in ZooKeeper but whose reply was lost (connection loss, then every
     * retry refused) was taken for one that did not happen, and the lease went back into the node's pool while
     * ZooKeeper records it free: another node leased it, and both handed out its values.
     */
    @Test
    void giveBackCommittedButReplyLost_leaseIsNotServedAgain() throws Exception {
        String path = zk.space("lostreply", new SpaceDefinition(0, 1024, 1, 16), MEMBER);
        try (CuttingProxy proxy = proxyToFirstServer()) {
            ClusterConfig viaProxy = new ClusterConfig(proxy.connectString(), path, "a", MEMBER, ZkEnsemble.SESSION,
                    ZkEnsemble.CONNECTION);
            try (ClusterNode a = ClusterNode.inMemory(viaProxy, "a")) {
                leaseAllThenFreeUntilCut(a, proxy);
                // every retry of the lost multi fails: no quorum (Curator's ensemble tracker lets the client go
                // around the proxy, straight to the servers)
                List<InstanceSpec> killed = List.of(zk.specs.get(1), zk.specs.get(2));
                try {
                    for (InstanceSpec s : killed) {
                        assertTrue(zk.cluster.killServer(s));
                    }
                    Thread.sleep(7000);
                } finally {
                    for (InstanceSpec s : killed) {
                        zk.cluster.restartServer(s);
                    }
                }
                proxy.open();
                a.source().awaitPrefetch();
                awaitQuorum(path);
                // a's session may have ended meanwhile: it serves again once registered anew
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!a.serving()) {
                    assertTrue(System.nanoTime() < until, "a serves again with quorum back");
                    Thread.sleep(100);
                }
                try (ClusterNode b = ClusterNode.inMemory(zk.config(path, "b", MEMBER), "b")) {
                    Set<Long> seen = new HashSet<>();
                    assertNew(seen, drain(b.arena()), "b");
                    assertNew(seen, drain(a.arena()), "a");
                    assertEquals(List.of(), b.arena().checkInvariants());
                }
                assertEquals(List.of(), a.arena().checkInvariants());
            }
        }
    }

    /**
     * Finding: Curator retries a multi after a connection loss. A give-back that committed is sent again once the
     * connection is back; if another node leased the span meanwhile, the retry deletes that node's lease record
     * (the delete has no owner check) and frees its span a second time, for a third node.
     */
    @Test
    void giveBackRetriedAfterCommit_doesNotFreeAnotherNodesLease() throws Exception {
        String path = zk.space("retry", new SpaceDefinition(0, 1024, 1, 16), MEMBER);
        try (CuttingProxy proxy = proxyToFirstServer()) {
            ClusterConfig viaProxy = new ClusterConfig(proxy.connectString(), path, "a", MEMBER, ZkEnsemble.SESSION,
                    ZkEnsemble.CONNECTION);
            try (ClusterNode a = ClusterNode.inMemory(viaProxy, "a");
                    ClusterNode b = ClusterNode.inMemory(zk.config(path, "b", MEMBER), "b")) {
                leaseAllThenFreeUntilCut(a, proxy);
                // Up to 10 s: a fresh CI clone's busy machine once took more than the 1 s this waited before.
                long base = -1;
                for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); base < 0
                        && System.nanoTime() < until; ) {
                    base = firstFreeBase(path);
                    Thread.sleep(20);
                }
                assertTrue(base >= 0, "the cut give-back committed");
                List<Long> ofB = allocate(b.arena(), 16);
                long firstOfB = ofB.get(0);
                assertTrue(firstOfB >= base && firstOfB < base + 16, "b leased the span given back: " + ofB);
                proxy.open(); // the lost multi's retry gets through while a's session lives
                a.source().awaitPrefetch();
                try (ClusterNode c = ClusterNode.inMemory(zk.config(path, "c", MEMBER), "c")) {
                    Set<Long> seen = new HashSet<>(ofB);
                    assertNew(seen, drain(c.arena()), "c");
                    assertNew(seen, drain(b.arena()), "b");
                    assertNew(seen, drain(a.arena()), "a");
                }
            }
        }
    }

    /** Held: every znode under the space, member, live, lease, free and cursor included, is the member's only. */
    @Test
    void everyZnodeOfTheSpace_carriesTheMembersAclOnly() throws Exception {
        String path = zk.space("acls", new SpaceDefinition(0, 1 << 12, 1, 16), MEMBER);
        try (ClusterNode a = ClusterNode.inMemory(zk.config(path, "a", MEMBER), "a")) {
            List<Long> ids = allocate(a.arena(), 600);
            for (long id : ids) {
                a.arena().free(id);
            }
            a.source().awaitPrefetch();
            CuratorFramework c = CuratorFrameworkFactory.builder().connectString(zk.connectString())
                    .retryPolicy(new RetryNTimes(0, 0)).authorization("digest", MEMBER.authBytes()).build();
            try {
                c.start();
                assertTrue(c.blockUntilConnected(10, TimeUnit.SECONDS));
                List<String> all = new ArrayList<>();
                List<String> todo = new ArrayList<>(List.of(path));
                while (!todo.isEmpty()) {
                    String p = todo.remove(todo.size() - 1);
                    all.add(p);
                    for (String child : c.getChildren().forPath(p)) {
                        todo.add(p + "/" + child);
                    }
                }
                assertTrue(all.stream().anyMatch(p -> p.contains("/free/")), "a free span exists: " + all);
                assertTrue(all.stream().anyMatch(p -> p.contains("/leases/")), "a lease exists: " + all);
                assertTrue(all.stream().anyMatch(p -> p.contains("/live/")), "a live znode exists: " + all);
                for (String p : all) {
                    List<ACL> acl = c.getACL().forPath(p);
                    assertEquals(1, acl.size(), p + " " + acl);
                    assertEquals("digest", acl.get(0).getId().getScheme(), p + " " + acl);
                    assertTrue(acl.get(0).getId().getId().startsWith("member:"), p + " " + acl);
                    assertEquals(ZooDefs.Perms.ALL, acl.get(0).getPerms(), p + " " + acl);
                }
            } finally {
                c.close();
            }
        }
    }

    /**
     * Held: an arena defined with an outside source, opened without one, refuses a free that would give a span
     * back (nothing changed), and verify, checkpoint, backup and drop work.
     */
    @Test
    void outsideSourceArena_openedWithoutASource(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        dev.vmem.Arena outside = dev.vmem.Arena.builder("outside").quantum(1).span(0, 1 << 20).build();
        long id;
        try (dev.vmem.store.VmemStore store = dev.vmem.store.VmemStore.open(dir.resolve("s"))) {
            store.createArena(dev.vmem.store.ArenaDefinition.of("ids", 1).withOutsideSource(64));
            id = store.attachSource("ids", outside.asSource()).alloc(1, Policy.INSTANT_FIT);
        }
        try (dev.vmem.store.VmemStore store = dev.vmem.store.VmemStore.open(dir.resolve("s"))) {
            dev.vmem.store.PersistentArena ids = store.arena("ids");
            long before = ids.stats().allocated();
            RuntimeException e = assertThrows(RuntimeException.class, () -> ids.free(id));
            assertTrue(e.getMessage().contains("no outside source attached"), e.getMessage());
            assertEquals(before, ids.stats().allocated(), "a refused free changed nothing");
            assertTrue(ids.contains(id));
            assertEquals(List.of(), ids.checkInvariants());
            assertEquals(List.of(), store.verify());
            store.checkpoint();
            store.backup(dir.resolve("b"));
            // the drop discards the arena without giving its spans to a source (a cluster lease stays the node's)
            store.dropArena("ids");
            assertTrue(store.arenas().isEmpty());
            assertEquals(List.of(), store.verify());
        }
        try (dev.vmem.store.VmemStore store = dev.vmem.store.VmemStore.open(dir.resolve("b"))) {
            assertTrue(store.arena("ids").contains(id));
            assertEquals(List.of(), store.verify());
        }
    }

    /**
     * Finding: a timeout beyond an int of milliseconds (--connect-timeout 3000000000) was cast to a negative int for
     * ZooKeeper and Curator; now refused naming it.
     */
    @Test
    void hugeTimeouts_areRefusedNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ClusterConfig(zk.connectString(), "/x", "a", null, java.time.Duration.ofSeconds(10),
                        java.time.Duration.ofMillis(3_000_000_000L)));
        assertTrue(e.getMessage().contains("connectionTimeout"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new ClusterConfig(zk.connectString(), "/x", "a", null, java.time.Duration.ofDays(30),
                        java.time.Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("sessionTimeout"), e.getMessage());
    }

    /**
     * Finding, fixed: a node cut off from ZooKeeper for longer than its session timeout (a pause or a partition) went
     * on serving from its pool and its arena's imported chunks; once the servers ended its session, a second process
     * with the same node id (a supervisor that took the first for dead), or a decommission, gave its leases to
     * another, and both handed out the same values. Now the node stops serving half a session timeout
     * after ZooKeeper last confirmed its session, before the servers can end it, and when it gets through again and
     * finds its registration changed, this process serves nothing more.
     */
    @ParameterizedTest(name = "decommissioned={0}")
    @ValueSource(booleans = {false, true})
    void nodeCutOffPastItsSessionTimeout_servesNothingOnceAnotherCouldHaveItsLeases(boolean decommission)
            throws Exception {
        String path = zk.space("cutoff", new SpaceDefinition(0, 4096, 1, 16), MEMBER);
        try (CuttingProxy proxy = proxyToFirstServer()) {
            ClusterConfig viaProxy = new ClusterConfig(proxy.connectString(), path, "n", MEMBER, ZkEnsemble.SESSION,
                    ZkEnsemble.CONNECTION);
            try (ClusterNode a = ClusterNode.inMemory(viaProxy, "a")) {
                assertTrue(a.serving(), "a serves once registered");
                allocate(a.arena(), 100);
                a.source().awaitPrefetch();
                long allocated = a.arena().stats().allocated();
                assertTrue(a.arena().stats().free() > 0, "a holds free values it could hand out");
                proxy.cutAll();
                zk.awaitSessionEnded(MEMBER, path, "n");
                assertFalse(a.serving(), "a stopped serving before the servers ended its session");
                ClusterException stopped = assertThrows(ClusterException.class,
                        () -> a.arena().alloc(1, Policy.INSTANT_FIT));
                assertTrue(stopped.getMessage().contains("serves nothing") && stopped.getMessage().contains(path),
                        stopped.getMessage());
                Set<Long> others = new HashSet<>();
                String other = decommission ? "b" : "n";
                if (decommission) {
                    try (ClusterAdmin admin = zk.admin(path, MEMBER)) {
                        assertTrue(admin.decommission("n") > 0, "a's leases were freed");
                    }
                }
                try (ClusterNode b = ClusterNode.inMemory(zk.config(path, other, MEMBER), other)) {
                    assertNew(others, drain(b.arena()), "the node that took a's leases");
                    proxy.open();
                    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (true) {
                        ClusterException e = assertThrows(ClusterException.class,
                                () -> a.arena().alloc(1, Policy.INSTANT_FIT), "a serves nothing");
                        if (e.getMessage().contains("serves nothing more")) {
                            assertTrue(e.getMessage().contains("'n'") && e.getMessage().contains("Restart"),
                                    e.getMessage());
                            break;
                        }
                        assertTrue(System.nanoTime() < until, "a learned its registration changed: " + e.getMessage());
                        Thread.sleep(100);
                    }
                    assertFalse(a.serving(), "a never serves again in this process");
                    assertEquals(allocated, a.arena().stats().allocated(), "a handed out nothing after the cut");
                    assertEquals(List.of(), a.arena().checkInvariants());
                    assertEquals(List.of(), b.arena().checkInvariants());
                }
            }
        }
    }
}

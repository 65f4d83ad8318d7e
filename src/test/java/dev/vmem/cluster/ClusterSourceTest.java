package dev.vmem.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.vmem.ArenaExhaustedException;
import dev.vmem.Policy;
import dev.vmem.VmemArena;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The cluster source against one in-JVM three-server ensemble shared by the class (each test on a fresh space
 * path): unique IDs across nodes, the fence, session expiry on the server, exhaustion and reuse of returned spans,
 * ACLs and credentials.
 */
@Tag("zookeeper") // the build runs these alone in one JVM: see ZkEnsemble
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClusterSourceTest {
    private static final ClusterCredentials MEMBER = ClusterCredentials.digest("member", "s3cret-Xyzzy");
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

    /** Allocates single values until the arena is exhausted. */
    static List<Long> drain(VmemArena arena) {
        List<Long> out = new ArrayList<>();
        while (true) {
            try {
                out.add(arena.alloc(1, Policy.INSTANT_FIT));
            } catch (ArenaExhaustedException e) {
                return out;
            }
        }
    }

    /** Waits until {@code node} serves again, or fails naming why it does not. */
    static void awaitServing(ClusterNode node, int seconds) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!node.serving()) {
            if (System.nanoTime() > until) {
                String why;
                try {
                    node.arena().alloc(1, Policy.INSTANT_FIT);
                    why = "(an alloc succeeded meanwhile)";
                } catch (RuntimeException e) {
                    why = e.getMessage();
                }
                fail("node serves again within " + seconds + " s; it does not: " + why);
            }
            Thread.sleep(100);
        }
    }

    /** Allocates {@code n} single values on {@code arena}, returning them in order. */
    static List<Long> allocate(VmemArena arena, int n) {
        List<Long> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(arena.alloc(1, Policy.INSTANT_FIT));
        }
        return out;
    }

    /** Adds {@code ids} to {@code seen}, failing on the first value seen before. */
    static void assertNew(Set<Long> seen, List<Long> ids, String who) {
        for (long id : ids) {
            assertTrue(seen.add(id), () -> who + " handed out " + id + ", already handed out");
        }
    }

    @Test
    void threadedNodes_handOutEveryValueOnce() throws Exception {
        String path = zk.space("threads", new SpaceDefinition(1000, 1 << 20, 1, 32), MEMBER);
        List<ClusterNode> nodes = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            for (int n = 0; n < 3; n++) {
                nodes.add(ClusterNode.inMemory(zk.config(path, "node" + n, MEMBER), "node" + n));
            }
            List<Future<List<Long>>> acks = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                VmemArena arena = nodes.get(t % 3).arena();
                acks.add(pool.submit(() -> allocate(arena, 2000)));
            }
            Set<Long> seen = new HashSet<>();
            for (Future<List<Long>> f : acks) {
                List<Long> ids = f.get(50, TimeUnit.SECONDS);
                assertNew(seen, ids, "a node");
                assertTrue(ids.stream().allMatch(id -> id >= 1000 && id < 1000 + (1 << 20)), "values in the space");
            }
            assertEquals(12_000, seen.size());
            try (ClusterAdmin admin = zk.admin(path, MEMBER)) {
                ClusterStatus status = admin.status();
                assertEquals(3, status.members().size());
                for (ClusterNode node : nodes) {
                    ClusterSourceStats s = node.source().stats();
                    long leased = status.leases().stream().filter(l -> l.owner().equals(s.node()))
                            .mapToLong(ClusterStatus.LeaseInfo::size).sum();
                    assertEquals(s.heldValues(), leased, "what " + s.node() + " holds is what ZooKeeper leased it");
                    assertTrue(s.prefetches() > 0, "prefetch ran for " + s.node());
                }
                // every value handed out lies in a lease of the node that handed it out
                for (int t = 0; t < 6; t++) {
                    String owner = "node" + (t % 3);
                    for (long id : acks.get(t).get()) {
                        assertTrue(status.leases().stream().anyMatch(l -> l.owner().equals(owner) && id >= l.base()
                                && id < l.base() + l.size()), owner + " handed out " + id + " outside its leases");
                    }
                }
            }
            for (ClusterNode node : nodes) {
                assertEquals(List.of(), node.arena().checkInvariants());
            }
        } finally {
            pool.shutdownNow();
            nodes.forEach(ClusterNode::close);
        }
    }

    @Test
    void exhaustedSpace_failsNamingIt_andReturnedSpansAreLeasedByOthers() throws Exception {
        String path = zk.space("exhaust", new SpaceDefinition(0, 256, 1, 16), MEMBER);
        Set<Long> first;
        try (ClusterNode a = ClusterNode.inMemory(zk.config(path, "a", MEMBER), "a")) {
            first = new HashSet<>(allocate(a.arena(), 256));
            assertEquals(256, first.size());
            ArenaExhaustedException e = assertThrows(ArenaExhaustedException.class,
                    () -> a.arena().alloc(1, Policy.INSTANT_FIT));
            assertTrue(e.getMessage().contains(path), e.getMessage());
            for (long id : first) {
                a.arena().free(id);
            }
            assertEquals(List.of(), a.arena().checkInvariants());
        }
        try (ClusterAdmin admin = zk.admin(path, MEMBER)) {
            ClusterStatus status = admin.status();
            assertEquals(256, status.cursor(), "the cursor reached the end");
            assertEquals(256, status.returnedValues(), "node a gave every lease back when it closed");
            assertEquals(List.of(), status.leases());
        }
        try (ClusterNode b = ClusterNode.inMemory(zk.config(path, "b", MEMBER), "b")) {
            Set<Long> second = new HashSet<>(allocate(b.arena(), 256));
            assertEquals(first, second, "node b leased the spans node a gave back");
            assertThrows(ArenaExhaustedException.class, () -> b.arena().alloc(1, Policy.INSTANT_FIT));
            assertEquals(List.of(), b.arena().checkInvariants());
        }
    }

    @Test
    void staleRegistration_cannotLease_andChangesNothing() throws Exception {
        String path = zk.space("fence", new SpaceDefinition(0, 1 << 16, 1, 16), MEMBER);
        ClusterConfig config = zk.config(path, "n", MEMBER);
        Registration old;
        try (ZkClient first = ZkClient.connect(config)) {
            old = new Membership(first).register("n", 0);
            assertEquals(1, old.epoch());
        }
        try (ZkClient second = ZkClient.connect(config)) {
            Registration current = new Membership(second).register("n", 10_000);
            assertEquals(2, current.epoch());
            LeaseLedger ledger = new LeaseLedger(second, ClusterAdmin.readDefinition(second));
            long cursor = ledger.cursor();
            Fenced fenced = assertThrows(Fenced.class, () -> ledger.take(old, 16));
            assertFalse(fenced.sessionLost, fenced.getMessage());
            assertEquals(cursor, ledger.cursor(), "a fenced multi moved the cursor");
            assertEquals(List.of(), ledger.owned(null), "a fenced multi created a lease");
            Lease lease = ledger.take(current, 16);
            assertEquals(new Lease(cursor, 16, "n", 2), lease);
            assertThrows(Fenced.class, () -> ledger.giveBack(old, lease));
            assertEquals(List.of(lease), ledger.owned("n"));
        }
    }

    @Test
    void sessionExpiredOnServer_nodeStopsServing_registersAgain_valuesStayUnique() throws Exception {
        String path = zk.space("expiry", new SpaceDefinition(0, 1 << 20, 1, 16), MEMBER);
        try (ClusterNode a = ClusterNode.inMemory(zk.config(path, "a", MEMBER), "a");
                ClusterNode b = ClusterNode.inMemory(zk.config(path, "b", MEMBER), "b")) {
            Set<Long> seen = new HashSet<>();
            assertNew(seen, allocate(a.arena(), 100), "a");
            assertNew(seen, allocate(b.arena(), 100), "b");
            a.source().awaitPrefetch();
            ClusterSourceStats before = a.source().stats();
            zk.expireOnServer(a.source());
            // The admin may read from a server that has not yet applied the close: it catches up, within 5 s on a
            // quiet machine, but a CI run measured more under load, so the ensemble's common bound of 20 s applies.
            // a may register again before the admin looks: the session at a's epoch is what must end.
            zk.awaitSessionEnded(MEMBER, path, "a", before.epoch());
            // a learns of the expiry, registers anew (its registration unchanged), and serves again
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (a.source().stats().epoch() == before.epoch() || !a.serving()) {
                assertTrue(System.nanoTime() < until, "a registered again: " + a.source().stats());
                Thread.sleep(20);
            }
            for (int i = 0; i < 200 && a.source().stats().leasesTaken() == before.leasesTaken(); i++) {
                assertNew(seen, allocate(a.arena(), 16), "a");
                assertNew(seen, allocate(b.arena(), 16), "b");
                a.source().awaitPrefetch();
            }
            ClusterSourceStats after = a.source().stats();
            assertTrue(after.leasesTaken() > before.leasesTaken(), "a leased again");
            assertEquals(before.epoch() + 1, after.epoch(), "a registered again with the next epoch");
            assertNew(seen, allocate(a.arena(), 500), "a");
            assertNew(seen, allocate(b.arena(), 500), "b");
            try (ClusterAdmin admin = zk.admin(path, MEMBER)) {
                assertTrue(admin.status().members().get(0).live(), "a is live again");
            }
        }
    }

    @Test
    void unauthenticatedClient_canNeitherReadTheLeasesNorMoveTheCursor() throws Exception {
        String path = zk.space("acl", new SpaceDefinition(0, 1 << 16, 1, 16), MEMBER);
        long cursor;
        try (ClusterNode a = ClusterNode.inMemory(zk.config(path, "a", MEMBER), "a")) {
            allocate(a.arena(), 10);
        }
        try (ClusterAdmin admin = zk.admin(path, MEMBER)) {
            cursor = admin.status().cursor();
        }
        CuratorFramework stranger = CuratorFrameworkFactory.newClient(zk.connectString(), 4000, 2000,
                new RetryNTimes(0, 0));
        try {
            stranger.start();
            assertTrue(stranger.blockUntilConnected(10, TimeUnit.SECONDS));
            assertThrows(KeeperException.NoAuthException.class, () -> stranger.getData().forPath(path));
            assertThrows(KeeperException.NoAuthException.class, () -> stranger.getChildren().forPath(path + "/leases"));
            assertThrows(KeeperException.NoAuthException.class,
                    () -> stranger.setData().forPath(path + "/cursor", "next=0\n".getBytes()));
            assertThrows(KeeperException.NoAuthException.class, () -> stranger.delete().forPath(path + "/cursor"));
        } finally {
            stranger.close();
        }
        try (ClusterAdmin admin = zk.admin(path, MEMBER)) {
            assertEquals(cursor, admin.status().cursor(), "the cursor is where node a left it");
        }
    }

    @Test
    void wrongCredentials_failAtStart_withAClearErrorThatHoldsNoSecret() throws Exception {
        String path = zk.space("creds", new SpaceDefinition(0, 1 << 16, 1, 16), MEMBER);
        String secret = "WrongSecret-4711";
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        log.start();
        root.addAppender(log);
        try {
            ClusterCredentials wrong = ClusterCredentials.digest("member", secret);
            ClusterException e = assertThrows(ClusterException.class,
                    () -> ClusterNode.inMemory(zk.config(path, "a", wrong), "a"));
            assertTrue(e.getMessage().contains(path) && e.getMessage().contains("NoAuth"), e.getMessage());
            assertInstanceOf(KeeperException.NoAuthException.class, e.getCause());
            ClusterException none = assertThrows(ClusterException.class,
                    () -> ClusterNode.inMemory(zk.config(path, "a", null), "a"));
            assertTrue(none.getMessage().contains("NoAuth"), none.getMessage());
            assertFalse(wrong.toString().contains(secret), wrong.toString());
            assertFalse(zk.config(path, "a", wrong).toString().contains(secret));
            for (Throwable t = e; t != null; t = t.getCause()) {
                assertFalse(String.valueOf(t.getMessage()).contains(secret), t.toString());
            }
        } finally {
            root.detachAppender(log);
        }
        for (ILoggingEvent event : log.list) {
            assertFalse(event.getFormattedMessage().contains(secret), event.getFormattedMessage());
            assertFalse(event.getFormattedMessage().contains(MEMBER.toString().replace("***", "s3cret-Xyzzy")));
        }
    }

    @Test
    void init_isIdempotent_andRefusesAnotherDefinition() {
        SpaceDefinition d = new SpaceDefinition(0, 1 << 16, 1, 16);
        String path = zk.space("init", d, MEMBER);
        try (ClusterAdmin admin = zk.admin(path, MEMBER)) {
            assertFalse(admin.init(d), "the same definition again is no change");
            ClusterException e = assertThrows(ClusterException.class,
                    () -> admin.init(new SpaceDefinition(0, 1 << 16, 1, 32)));
            assertTrue(e.getMessage().contains(path) && e.getMessage().contains("leaseSize=32"), e.getMessage());
            assertEquals(d, admin.status().space());
        }
        try (ClusterAdmin admin = zk.admin(ZkEnsemble.newPath("missing"), MEMBER)) {
            ClusterException e = assertThrows(ClusterException.class, admin::status);
            assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        }
    }
}

package dev.vmem.cluster;

import dev.vmem.ArenaExhaustedException;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.data.Stat;

/**
 * The space's leases in ZooKeeper: taking one (from the cursor, or once the cursor reached the end from a
 * returned span) and giving one back, each as one fenced {@code multi} (see {@link SpaceLayout}); and reading
 * whose they are. A lease returned by {@link #take} is committed in ZooKeeper: nothing of it is handed out before.
 */
final class LeaseLedger {
    /** Contention (another node moved the cursor or took the free span first) is retried this often. */
    private static final int ATTEMPTS = 100;
    private final ZkClient zk;
    private final SpaceLayout at;
    private final SpaceDefinition space;

    LeaseLedger(ZkClient zk, SpaceDefinition space) {
        this.zk = zk;
        this.at = zk.layout;
        this.space = space;
    }

    SpaceDefinition space() {
        return space;
    }

    /**
     * Takes a lease of {@code size} values (a multiple of the lease size) for {@code reg}.
     *
     * @throws Fenced                  if the registration changed or the session is gone (nothing changed)
     * @throws ArenaExhaustedException if no span of that size is left in the space
     * @throws ClusterException        if ZooKeeper fails
     */
    Lease take(Registration reg, long size) throws Fenced {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            try {
                Stat cs = new Stat();
                long next = SpaceLayout.field(zk.curator.getData().storingStatIn(cs).forPath(at.cursor()), "next");
                List<CuratorOp> ops = fence(reg);
                long base;
                if (next <= space.end() - size) {
                    base = next;
                    ops.add(zk.curator.transactionOp().setData().withVersion(cs.getVersion())
                            .forPath(at.cursor(), SpaceLayout.bytes("next=" + (next + size) + "\n")));
                } else {
                    long[] free = firstFree(size);
                    if (free == null) {
                        throw new ArenaExhaustedException("cluster space '" + at.root + "' is exhausted: no span of "
                                + size + " values is left in [" + space.base() + ", " + space.end() + ")");
                    }
                    base = free[0];
                    ops.add(zk.curator.transactionOp().delete().withVersion((int) free[2]).forPath(at.free(base)));
                    if (free[1] > size) {
                        ops.add(zk.curator.transactionOp().create().forPath(at.free(base + size),
                                SpaceLayout.bytes("size=" + (free[1] - size) + "\n")));
                    }
                }
                ops.add(zk.curator.transactionOp().create().forPath(at.lease(base),
                        SpaceLayout.leaseData(reg.node(), reg.epoch(), size)));
                if (commit(ops)) {
                    return new Lease(base, size, reg.node(), reg.epoch());
                }
            } catch (Fenced | ArenaExhaustedException e) {
                throw e;
            } catch (Exception e) {
                throw zk.failure("leasing " + size + " values for node '" + reg.node() + "'", e);
            }
        }
        throw new ClusterException("leasing for node '" + reg.node() + "' in cluster space '" + at.root
                + "' lost to other nodes " + ATTEMPTS + " times in a row");
    }

    /**
     * Gives {@code lease} back: it becomes a free span that any node may lease. Sent once, never retried: a retry
     * of a give-back that committed but whose reply was lost would delete the lease record of whichever node
     * leased the span meanwhile, and free its span a second time.
     *
     * @throws Fenced           if the registration changed, the session is gone, or the lease is no longer
     *                          the node's (a decommission freed it): nothing changed
     * @throws ClusterException if ZooKeeper fails: the give-back may or may not have committed
     */
    void giveBack(Registration reg, Lease lease) throws Fenced {
        try {
            List<CuratorOp> ops = fence(reg);
            ops.addAll(freeOps(lease));
            if (!commitOnce(ops)) {
                throw new Fenced("lease [" + lease.base() + ", " + lease.end() + ") is no longer node '"
                        + reg.node() + "''s", false);
            }
        } catch (Fenced e) {
            throw e;
        } catch (Exception e) {
            throw zk.failure("giving lease [" + lease.base() + ", " + lease.end() + ") back", e);
        }
    }

    /**
     * Confirms through the ZooKeeper leader (a {@code multi} of the fence checks alone, which only a live session
     * can commit) that {@code reg} is still the node's registration and its session is alive.
     *
     * @throws Fenced           if the registration changed or the session is gone
     * @throws ClusterException if ZooKeeper fails: nothing is known
     */
    void confirm(Registration reg) throws Fenced {
        try {
            commitOnce(fence(reg));
        } catch (Fenced e) {
            throw e;
        } catch (Exception e) {
            throw zk.failure("confirming the session of node '" + reg.node() + "'", e);
        }
    }

    /** The operations that turn {@code lease} into a free span. */
    List<CuratorOp> freeOps(Lease lease) throws Exception {
        return new ArrayList<>(List.of(zk.curator.transactionOp().delete().forPath(at.lease(lease.base())),
                zk.curator.transactionOp().create().forPath(at.free(lease.base()),
                        SpaceLayout.bytes("size=" + lease.size() + "\n"))));
    }

    /** Every lease of {@code node}, in base order; {@code null} for every node's. */
    List<Lease> owned(String node) throws Exception {
        List<Lease> out = new ArrayList<>();
        List<String> children = new ArrayList<>(zk.curator.getChildren().forPath(at.leases()));
        children.sort(null);
        for (String child : children) {
            byte[] data;
            try {
                data = zk.curator.getData().forPath(at.leases() + "/" + child);
            } catch (KeeperException.NoNodeException gone) {
                continue;
            }
            String owner = SpaceLayout.owner(data);
            if (node == null || owner.equals(node)) {
                out.add(new Lease(SpaceLayout.baseOf(child), SpaceLayout.field(data, "size"), owner,
                        SpaceLayout.field(data, "epoch")));
            }
        }
        return out;
    }

    /** Every free span as {base, size}, in base order. */
    List<long[]> frees() throws Exception {
        List<long[]> out = new ArrayList<>();
        List<String> children = new ArrayList<>(zk.curator.getChildren().forPath(at.frees()));
        children.sort(null);
        for (String child : children) {
            try {
                out.add(new long[] {SpaceLayout.baseOf(child),
                        SpaceLayout.field(zk.curator.getData().forPath(at.frees() + "/" + child), "size")});
            } catch (KeeperException.NoNodeException gone) {
                // taken meanwhile
            }
        }
        return out;
    }

    /** The cursor: every value in {@code [cursor, end)} was never leased. */
    long cursor() throws Exception {
        return SpaceLayout.field(zk.curator.getData().forPath(at.cursor()), "next");
    }

    /** The lowest free span of at least {@code size} values as {base, size, version}, or null. */
    private long[] firstFree(long size) throws Exception {
        for (String child : zk.curator.getChildren().forPath(at.frees()).stream().sorted().toList()) {
            Stat s = new Stat();
            try {
                long n = SpaceLayout.field(zk.curator.getData().storingStatIn(s).forPath(at.frees() + "/" + child),
                        "size");
                if (n >= size) {
                    return new long[] {SpaceLayout.baseOf(child), n, s.getVersion()};
                }
            } catch (KeeperException.NoNodeException gone) {
                // taken meanwhile
            }
        }
        return null;
    }

    /** The checks every lease operation of {@code reg} starts with: registration unchanged, session alive. */
    private List<CuratorOp> fence(Registration reg) throws Exception {
        List<CuratorOp> ops = new ArrayList<>();
        ops.add(zk.curator.transactionOp().check().withVersion(reg.version()).forPath(at.member(reg.node())));
        ops.add(zk.curator.transactionOp().check().forPath(at.live(reg.node())));
        return ops;
    }

    /**
     * Commits {@code ops}, which start with {@link #fence}: true if done, false if it lost a race on the cursor
     * or a span (nothing changed; try again).
     *
     * @throws Fenced if one of the fence checks failed
     */
    private boolean commit(List<CuratorOp> ops) throws Exception {
        try {
            zk.curator.transaction().forOperations(ops);
            return true;
        } catch (KeeperException e) {
            return failed(e);
        }
    }

    /** As {@link #commit}, without Curator's retry after a connection loss. */
    private boolean commitOnce(List<CuratorOp> ops) throws Exception {
        try {
            zk.curator.getZookeeperClient().getZooKeeper().multi(ops.stream().map(CuratorOp::get).toList());
            return true;
        } catch (KeeperException e) {
            return failed(e);
        }
    }

    /** False if {@code e} lost a race on the cursor or a span; else throws it, or {@link Fenced} for a fence check. */
    private static boolean failed(KeeperException e) throws Exception {
        List<OpResult> results = e.getResults();
        int failed = -1;
        if (results != null) {
            for (int i = 0; i < results.size(); i++) {
                if (results.get(i) instanceof OpResult.ErrorResult r && r.getErr() != 0
                        && r.getErr() != KeeperException.Code.RUNTIMEINCONSISTENCY.intValue()) {
                    failed = i;
                    break;
                }
            }
        }
        if (failed == 0) {
            throw new Fenced("the registration changed (a newer registration or a decommission)", false);
        }
        if (failed == 1) {
            throw new Fenced("the node's ZooKeeper session is gone", true);
        }
        if (failed > 1 && (e instanceof KeeperException.BadVersionException
                || e instanceof KeeperException.NoNodeException || e instanceof KeeperException.NodeExistsException)) {
            return false;
        }
        throw e;
    }
}

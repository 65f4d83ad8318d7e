package dev.vmem.cluster;

import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * Registering a node (a new epoch, and the ephemeral znode of its session) and decommissioning a dead one (its
 * registration bumped and its leases turned into free spans, in one {@code multi}).
 */
final class Membership {
    private final ZkClient zk;
    private final SpaceLayout at;

    Membership(ZkClient zk) {
        this.zk = zk;
        this.at = zk.layout;
    }

    /**
     * Registers {@code node} with the next epoch. A live znode left by an earlier session of the same node (a
     * process killed within its session timeout) is waited for until {@code waitMillis}.
     *
     * @throws ClusterException if the node stays live in another session, or ZooKeeper fails
     */
    Registration register(String node, long waitMillis) {
        try {
            return register(node, waitMillis, null);
        } catch (Fenced cannotHappen) {
            throw new IllegalStateException(cannotHappen);
        }
    }

    /**
     * Registers this process again after its session was lost, as {@link #register(String, long)}, provided that
     * {@code previous} is still the member's registration: if the member znode changed meanwhile, another process
     * registered the same node id or an operator decommissioned it, and this process's leases may be another's.
     *
     * @throws Fenced           if the registration is no longer {@code previous} (nothing changed)
     * @throws ClusterException if the node stays live in another session, or ZooKeeper fails
     */
    Registration registerAgain(Registration previous, long waitMillis) throws Fenced {
        return register(previous.node(), waitMillis, previous);
    }

    private Registration register(String node, long waitMillis, Registration previous) throws Fenced {
        long deadline = System.nanoTime() + waitMillis * 1_000_000;
        // What the member record said before a multi of this call whose reply may be lost: that multi, once
        // committed, rewrote it, and only this call still knows whether it followed a decommission.
        boolean decommissionedBefore = false;
        for (int attempt = 0;; attempt++) {
            try {
                if (zk.curator.checkExists().forPath(at.member(node)) == null) {
                    try {
                        zk.curator.create().forPath(at.member(node), SpaceLayout.memberData(0, false));
                    } catch (KeeperException.NodeExistsException raced) {
                        // another registration of the same id: the multi below decides
                    }
                }
                Stat stat = new Stat();
                byte[] data = zk.curator.getData().storingStatIn(stat).forPath(at.member(node));
                Stat live = zk.curator.checkExists().forPath(at.live(node));
                if (live != null && live.getEphemeralOwner() == zk.sessionId()) {
                    // This session registered: its multi committed though the reply was lost (Curator sent it
                    // again and got BadVersion). Nobody else can change the member while this live znode exists.
                    return new Registration(node, SpaceLayout.field(data, "epoch"), stat.getVersion(),
                            previous == null ? decommissionedBefore || SpaceLayout.field(data, "decommissioned") != 0
                                    : previous.wasDecommissioned(), live.getEphemeralOwner());
                }
                if (previous != null && stat.getVersion() != previous.version()) {
                    throw new Fenced("node '" + node + "' was registered by another process or decommissioned "
                            + "while its session was lost (epoch " + previous.epoch() + " is now "
                            + SpaceLayout.field(data, "epoch") + ")", false);
                }
                if (live != null) {
                    if (System.nanoTime() > deadline) {
                        throw new ClusterException("node '" + node + "' is registered by another live ZooKeeper "
                                + "session of cluster space '" + at.root + "' (a second process with the same "
                                + "node id, or one killed less than a session timeout ago)");
                    }
                    Thread.sleep(100);
                    continue;
                }
                long epoch = SpaceLayout.field(data, "epoch") + 1;
                boolean wasDecommissioned = SpaceLayout.field(data, "decommissioned") != 0;
                decommissionedBefore |= wasDecommissioned;
                try {
                    zk.curator.transaction().forOperations(
                            zk.curator.transactionOp().setData().withVersion(stat.getVersion())
                                    .forPath(at.member(node), SpaceLayout.memberData(epoch, false)),
                            zk.curator.transactionOp().create().withMode(CreateMode.EPHEMERAL)
                                    .forPath(at.live(node), SpaceLayout.bytes("epoch=" + epoch + "\n")));
                } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException raced) {
                    if (attempt > 20) {
                        throw raced;
                    }
                    continue;
                }
                // the session that owns the live znode: the one whose loss ends this registration's serving
                Stat mine = zk.curator.checkExists().forPath(at.live(node));
                long session = mine == null ? 0 : mine.getEphemeralOwner();
                return new Registration(node, epoch, stat.getVersion() + 1, wasDecommissioned, session);
            } catch (ClusterException | Fenced e) {
                throw e;
            } catch (Exception e) {
                throw zk.failure("registering node '" + node + "'", e);
            }
        }
    }

    /**
     * Decommissions {@code node}, which must not be live: bumps its registration (so that it cannot lease
     * again with the old one, and learns at its next registration) and frees its leases for other nodes.
     *
     * @return the leases it freed
     * @throws ClusterException if the node is unknown or live, or ZooKeeper fails
     */
    List<Lease> decommission(String node, LeaseLedger ledger) {
        for (int attempt = 0;; attempt++) {
            try {
                Stat stat = new Stat();
                byte[] data;
                try {
                    data = zk.curator.getData().storingStatIn(stat).forPath(at.member(node));
                } catch (KeeperException.NoNodeException e) {
                    throw new ClusterException("node '" + node + "' is not a member of cluster space '" + at.root
                            + "'");
                }
                if (zk.curator.checkExists().forPath(at.live(node)) != null) {
                    throw new ClusterException("node '" + node + "' of cluster space '" + at.root + "' is live (its "
                            + "ZooKeeper session exists): stop it first; decommission is for a node that is gone");
                }
                long epoch = SpaceLayout.field(data, "epoch");
                List<CuratorOp> ops = new ArrayList<>();
                ops.add(zk.curator.transactionOp().setData().withVersion(stat.getVersion())
                        .forPath(at.member(node), SpaceLayout.memberData(epoch + 1, true)));
                // the live znode must not appear in between: create and delete it in the same multi
                ops.add(zk.curator.transactionOp().create().withMode(CreateMode.PERSISTENT)
                        .forPath(at.live(node), SpaceLayout.bytes("decommissioning\n")));
                ops.add(zk.curator.transactionOp().delete().forPath(at.live(node)));
                List<Lease> freed = ledger.owned(node);
                for (Lease l : freed) {
                    ops.addAll(ledger.freeOps(l));
                }
                try {
                    zk.curator.transaction().forOperations(ops);
                } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException
                        | KeeperException.NoNodeException raced) {
                    if (attempt > 20) {
                        throw raced;
                    }
                    continue;
                }
                return freed;
            } catch (ClusterException e) {
                throw e;
            } catch (Exception e) {
                throw zk.failure("decommissioning node '" + node + "'", e);
            }
        }
    }
}

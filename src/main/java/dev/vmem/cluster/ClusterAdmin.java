package dev.vmem.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * Administration of a cluster number space, with a member's credentials: creating it once, reading its status,
 * and decommissioning a node that is gone. Not thread-safe; close it after use.
 */
public final class ClusterAdmin implements AutoCloseable {
    private final ZkClient zk;

    private ClusterAdmin(ZkClient zk) {
        this.zk = zk;
    }

    /**
     * Connects to the space at {@code path}.
     *
     * @param credentials a member's, or null for a space without ACLs
     * @throws ClusterException if ZooKeeper cannot be reached within {@code connectionTimeout}
     */
    public static ClusterAdmin connect(String connectString, String path, ClusterCredentials credentials,
            Duration connectionTimeout) {
        return new ClusterAdmin(ZkClient.connect(new ClusterConfig(connectString, path, "admin", credentials,
                Duration.ofSeconds(10), connectionTimeout)));
    }

    /**
     * Creates the space with {@code definition}, its znodes carrying the members' ACL.
     *
     * @return true if it was created, false if it existed already with the same definition
     * @throws ClusterException if it exists with a different definition, or ZooKeeper fails
     */
    public boolean init(SpaceDefinition definition) {
        SpaceLayout at = zk.layout;
        try {
            try {
                SpaceDefinition existing = readDefinition(zk);
                if (!existing.equals(definition)) {
                    throw new ClusterException("cluster space '" + at.root + "' exists already with " + existing
                            + ", not " + definition);
                }
                return false;
            } catch (ClusterException e) {
                if (!(e.getCause() instanceof KeeperException.NoNodeException)) {
                    throw e;
                }
            }
            String parent = at.root.substring(0, at.root.lastIndexOf('/'));
            if (!parent.isEmpty() && zk.curator.checkExists().forPath(parent) == null) {
                try {
                    zk.curator.create().creatingParentsIfNeeded().forPath(parent);
                } catch (KeeperException.NodeExistsException raced) {
                    // another init made it
                }
            }
            zk.curator.transaction().forOperations(
                    zk.curator.transactionOp().create().forPath(at.root, SpaceLayout.bytes(definition.encode())),
                    zk.curator.transactionOp().create().forPath(at.cursor(),
                            SpaceLayout.bytes("next=" + definition.base() + "\n")),
                    zk.curator.transactionOp().create().forPath(at.members()),
                    zk.curator.transactionOp().create().forPath(at.lives()),
                    zk.curator.transactionOp().create().forPath(at.leases()),
                    zk.curator.transactionOp().create().forPath(at.frees()));
            return true;
        } catch (KeeperException.NodeExistsException raced) {
            return init(definition);
        } catch (ClusterException e) {
            throw e;
        } catch (Exception e) {
            throw zk.failure("creating the space", e);
        }
    }

    /** @throws ClusterException if the space does not exist, access is refused, or ZooKeeper fails */
    public ClusterStatus status() {
        SpaceDefinition space = readDefinition(zk);
        LeaseLedger ledger = new LeaseLedger(zk, space);
        SpaceLayout at = zk.layout;
        try {
            List<Lease> leases = ledger.owned(null);
            long returned = 0;
            for (long[] f : ledger.frees()) {
                returned += f[1];
            }
            List<ClusterStatus.Member> members = new ArrayList<>();
            for (String node : zk.curator.getChildren().forPath(at.members()).stream().sorted().toList()) {
                byte[] data = zk.curator.getData().forPath(at.member(node));
                int n = 0;
                long values = 0;
                for (Lease l : leases) {
                    if (l.owner().equals(node)) {
                        n++;
                        values += l.size();
                    }
                }
                members.add(new ClusterStatus.Member(node, SpaceLayout.field(data, "epoch"),
                        zk.curator.checkExists().forPath(at.live(node)) != null,
                        SpaceLayout.field(data, "decommissioned") != 0, n, values));
            }
            List<ClusterStatus.LeaseInfo> infos = new ArrayList<>();
            for (Lease l : leases) {
                infos.add(new ClusterStatus.LeaseInfo(l.base(), l.size(), l.owner(), l.epoch()));
            }
            return new ClusterStatus(space, ledger.cursor(), returned, List.copyOf(members), List.copyOf(infos));
        } catch (Exception e) {
            throw zk.failure("reading the status", e);
        }
    }

    /**
     * Decommissions {@code node}, which must be stopped (its session gone): its leases become free spans for
     * other nodes, and if it comes back it registers anew and does not serve from them.
     *
     * @return the number of values it held, now free
     * @throws ClusterException if the node is unknown or live, or ZooKeeper fails
     */
    public long decommission(String node) {
        SpaceDefinition space = readDefinition(zk);
        long values = 0;
        for (Lease l : new Membership(zk).decommission(node, new LeaseLedger(zk, space))) {
            values += l.size();
        }
        return values;
    }

    /** @throws ClusterException if the space does not exist (caused by NoNode), access is refused, or ZooKeeper fails */
    static SpaceDefinition readDefinition(ZkClient zk) {
        try {
            byte[] data = zk.curator.getData().storingStatIn(new Stat()).forPath(zk.layout.root);
            return SpaceDefinition.decode(SpaceLayout.text(data));
        } catch (KeeperException.NoNodeException e) {
            throw new ClusterException("cluster space '" + zk.layout.root + "' does not exist (create it with "
                    + "vmem cluster init)", e);
        } catch (IllegalArgumentException e) {
            throw new ClusterException("znode '" + zk.layout.root + "' is not a cluster space: " + e.getMessage(), e);
        } catch (Exception e) {
            throw zk.failure("reading the definition", e);
        }
    }

    @Override
    public void close() {
        zk.close();
    }
}

package dev.vmem.cluster;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;

/**
 * The one ZooKeeper connection of a node or an admin: a Curator client whose every znode under the space's path
 * carries the members' ACL (all rights to the digest identity of the credentials, none to anyone else), and the
 * translation of ZooKeeper's failures into {@link ClusterException}s that name the space and never the secret.
 * Parents of the space's path are created open, as ZooKeeper's own default, so that spaces of different members
 * can share them.
 */
final class ZkClient implements AutoCloseable {
    /** ZooKeeper's open ACL (as ZooDefs.Ids.OPEN_ACL_UNSAFE, whose class javac warns about); ZooKeeper asks contains(null) of it. */
    private static final List<ACL> OPEN = Collections.singletonList(new ACL(ZooDefs.Perms.ALL, new Id("world", "anyone")));
    final CuratorFramework curator;
    final SpaceLayout layout;
    private final String connectString;

    private ZkClient(CuratorFramework curator, SpaceLayout layout, String connectString) {
        this.curator = curator;
        this.layout = layout;
        this.connectString = connectString;
    }

    /** @throws ClusterException if ZooKeeper cannot be reached within the connection timeout */
    static ZkClient connect(ClusterConfig config) {
        List<ACL> acl = memberAcl(config.credentials());
        String root = config.path();
        ACLProvider acls = new ACLProvider() {
            @Override
            public List<ACL> getDefaultAcl() {
                return OPEN;
            }

            @Override
            public List<ACL> getAclForPath(String path) {
                return path.equals(root) || path.startsWith(root + "/") ? acl : OPEN;
            }
        };
        int connectionMs = (int) config.connectionTimeout().toMillis();
        CuratorFrameworkFactory.Builder b = CuratorFrameworkFactory.builder()
                .connectString(config.connectString())
                .sessionTimeoutMs((int) config.sessionTimeout().toMillis())
                .connectionTimeoutMs(connectionMs)
                // a failed call is reported within about three connection timeouts: prefetch hides it from callers
                .retryPolicy(new RetryNTimes(2, Math.min(500, connectionMs / 4)))
                // The connect string given is the one used: Curator's tracker would replace it by the servers'
                // own addresses, which a node behind a proxy or load balancer may not reach (seen in review).
                .ensembleTracker(false)
                .aclProvider(acls);
        if (config.credentials() != null) {
            b.authorization("digest", config.credentials().authBytes());
        }
        CuratorFramework curator = b.build();
        curator.start();
        ZkClient client = new ZkClient(curator, new SpaceLayout(root), config.connectString());
        try {
            if (!curator.blockUntilConnected(connectionMs, TimeUnit.MILLISECONDS)) {
                throw new ClusterException("cannot reach ZooKeeper at " + config.connectString() + " within "
                        + config.connectionTimeout() + " (cluster space '" + root + "')");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            curator.close();
            throw new ClusterException("interrupted while connecting to ZooKeeper at " + config.connectString(), e);
        } catch (ClusterException e) {
            curator.close();
            throw e;
        }
        return client;
    }

    private static List<ACL> memberAcl(ClusterCredentials credentials) {
        if (credentials == null) {
            return OPEN;
        }
        try {
            // ZooKeeper's digest identity, as its DigestAuthenticationProvider computes it: user:base64(sha1(user:secret))
            byte[] sha1 = MessageDigest.getInstance("SHA-1").digest(credentials.authBytes());
            String digest = credentials.user() + ":" + Base64.getEncoder().encodeToString(sha1);
            return Collections.singletonList(new ACL(ZooDefs.Perms.ALL, new Id("digest", digest)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-1 for ZooKeeper digest ACLs", e);
        }
    }

    /**
     * What went wrong, as the exception to throw: names the space, the operation and ZooKeeper's reason. Never
     * includes credentials (ZooKeeper's own messages hold paths and codes only).
     */
    ClusterException failure(String what, Exception e) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        String reason;
        if (e instanceof KeeperException k) {
            reason = switch (k.code()) {
                case NOAUTH -> "ZooKeeper refused access (NoAuth): the credentials are not a member's of this space";
                case CONNECTIONLOSS, OPERATIONTIMEOUT -> "ZooKeeper at " + connectString
                        + " is unreachable or has no quorum (" + k.code() + ")";
                case SESSIONEXPIRED -> "the ZooKeeper session expired";
                default -> k.code() + (k.getPath() == null ? "" : " at " + k.getPath());
            };
        } else {
            reason = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        }
        return new ClusterException(what + " failed for cluster space '" + layout.root + "': " + reason, e);
    }

    /** The ZooKeeper session, for tests that expire it on the server. */
    long sessionId() throws Exception {
        return curator.getZookeeperClient().getZooKeeper().getSessionId();
    }

    byte[] sessionPassword() throws Exception {
        return curator.getZookeeperClient().getZooKeeper().getSessionPasswd();
    }

    @Override
    public void close() {
        curator.close();
    }
}

package dev.vmem.cluster;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How a node reaches its cluster number space.
 *
 * @param connectString     ZooKeeper's {@code host:port,host:port}
 * @param path              the space's znode, absolute ({@code /vmem/orders})
 * @param nodeId            this node's stable name: 1 to 64 of {@code [A-Za-z0-9._-]}; one process at a time
 * @param credentials       digest credentials of a member, or null for a space without ACLs
 * @param sessionTimeout    ZooKeeper session timeout: how long after losing ZooKeeper a node stops counting
 *                          as live; it stops serving after half of it (see {@link ClusterNode#serving()})
 * @param connectionTimeout how long one ZooKeeper call waits for a connection before it fails
 */
public record ClusterConfig(String connectString, String path, String nodeId, ClusterCredentials credentials,
        Duration sessionTimeout, Duration connectionTimeout) {
    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Duration MAX_TIMEOUT = Duration.ofMillis(Integer.MAX_VALUE);
    private static final Pattern PATH = Pattern.compile("(/[A-Za-z0-9._-]+)+");

    /** @throws IllegalArgumentException naming the value when a setting is invalid */
    public ClusterConfig {
        Objects.requireNonNull(connectString, "connectString");
        Objects.requireNonNull(sessionTimeout, "sessionTimeout");
        Objects.requireNonNull(connectionTimeout, "connectionTimeout");
        if (connectString.isBlank()) {
            throw new IllegalArgumentException("connectString='" + connectString + "' is blank");
        }
        if (path == null || !PATH.matcher(path).matches()) {
            throw new IllegalArgumentException("path='" + path + "' is not an absolute ZooKeeper path of "
                    + "[A-Za-z0-9._-] names");
        }
        if (nodeId == null || !NODE_ID.matcher(nodeId).matches()) {
            throw new IllegalArgumentException("nodeId='" + nodeId + "' is not 1 to 64 of [A-Za-z0-9._-]");
        }
        if (sessionTimeout.toMillis() < 1000 || connectionTimeout.toMillis() < 100) {
            throw new IllegalArgumentException("sessionTimeout=" + sessionTimeout + " must be at least 1 s and "
                    + "connectionTimeout=" + connectionTimeout + " at least 100 ms");
        }
        // ZooKeeper and Curator take int milliseconds: a longer timeout would wrap to a negative one
        if (sessionTimeout.compareTo(MAX_TIMEOUT) > 0 || connectionTimeout.compareTo(MAX_TIMEOUT) > 0) {
            throw new IllegalArgumentException("sessionTimeout=" + sessionTimeout + " and connectionTimeout="
                    + connectionTimeout + " must be at most " + MAX_TIMEOUT);
        }
    }

    /** A node of the space at {@code path} with the default timeouts (session 10 s, connection 3 s). */
    public static ClusterConfig of(String connectString, String path, String nodeId, ClusterCredentials credentials) {
        return new ClusterConfig(connectString, path, nodeId, credentials, Duration.ofSeconds(10),
                Duration.ofSeconds(3));
    }

    /** This configuration with other timeouts. */
    public ClusterConfig withTimeouts(Duration session, Duration connection) {
        return new ClusterConfig(connectString, path, nodeId, credentials, session, connection);
    }

    /** This configuration for another node of the same space. */
    public ClusterConfig forNode(String otherNodeId) {
        return new ClusterConfig(connectString, path, otherNodeId, credentials, sessionTimeout, connectionTimeout);
    }
}

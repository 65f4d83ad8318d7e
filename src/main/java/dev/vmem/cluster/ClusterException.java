package dev.vmem.cluster;

import dev.vmem.VmemException;

/**
 * The cluster could not do what was asked, and nothing changed: ZooKeeper unreachable or without quorum, access
 * refused, the node fenced (its registration was bumped by a decommission), or the space missing or defined
 * differently. The message names the space's path; it never holds a secret.
 */
public final class ClusterException extends VmemException {
    private static final long serialVersionUID = 1L;

    public ClusterException(String message) {
        super(message);
    }

    public ClusterException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.vmem.cluster;

/**
 * A lease operation found the node's registration changed or its session gone: nothing happened, and the node
 * must register again (and learn whether it was decommissioned) before it leases anything.
 */
final class Fenced extends Exception {
    private static final long serialVersionUID = 1L;
    final boolean sessionLost;

    Fenced(String message, boolean sessionLost) {
        super(message, null, false, false);
        this.sessionLost = sessionLost;
    }
}

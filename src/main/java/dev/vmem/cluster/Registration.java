package dev.vmem.cluster;

/**
 * A node's registration: its epoch, the version of its member znode that every lease operation checks, whether
 * the registration it replaced had been decommissioned (its leases are then no longer its own), and the ZooKeeper
 * session that registered (whose ephemeral znode says the node is live).
 */
record Registration(String node, long epoch, int version, boolean wasDecommissioned, long sessionId) {
}

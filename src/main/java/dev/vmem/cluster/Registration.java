package dev.vmem.cluster;

/**
 * A node's registration: its epoch, the version of its member znode that every lease operation checks, and
 * whether the registration it replaced had been decommissioned (its leases are then no longer its own).
 */
record Registration(String node, long epoch, int version, boolean wasDecommissioned) {
}

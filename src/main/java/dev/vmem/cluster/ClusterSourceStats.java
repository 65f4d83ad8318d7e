package dev.vmem.cluster;

/**
 * What a node's cluster source has done and holds.
 *
 * @param node           the node id
 * @param epoch          its current registration epoch (one more at each registration)
 * @param leasesTaken    leases committed in ZooKeeper for this node since it opened
 * @param leasesReturned leases given back to the space
 * @param prefetches     leases taken in the background, before the arena ran short
 * @param waits          imports that had to wait for ZooKeeper because nothing held fitted
 * @param fenced         lease operations refused by the fence (registration changed or session gone)
 * @param heldValues     values of the leases the node holds
 * @param freeValues     of those, the values its arena has not imported
 * @param step           the size of the next lease, adapted to the rate of imports
 */
public record ClusterSourceStats(String node, long epoch, long leasesTaken, long leasesReturned, long prefetches,
        long waits, long fenced, long heldValues, long freeValues, long step) {
}

package dev.vmem.cluster;

import java.util.List;

/**
 * A cluster number space as ZooKeeper holds it: what {@code vmem cluster status} prints.
 *
 * @param space          the definition
 * @param cursor         every value in {@code [cursor, end)} was never leased
 * @param returnedValues values in spans given back, leasable again
 * @param members        every node that ever registered
 * @param leases         every lease, in base order
 */
public record ClusterStatus(SpaceDefinition space, long cursor, long returnedValues, List<Member> members,
        List<LeaseInfo> leases) {

    /** A registered node; {@code live} while its ZooKeeper session exists. */
    public record Member(String node, long epoch, boolean live, boolean decommissioned, int leases, long leasedValues) {
    }

    /** One lease: {@code [base, base + size)} taken by {@code owner} at {@code epoch}. */
    public record LeaseInfo(long base, long size, String owner, long epoch) {
    }

    /** Values no node holds: never leased, or given back. */
    public long freeValues() {
        return space.end() - cursor + returnedValues;
    }

    /** Values leased to nodes. */
    public long leasedValues() {
        return space.size() - freeValues();
    }
}

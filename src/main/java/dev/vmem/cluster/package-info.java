/**
 * One number space shared by arenas on many hosts, through Apache ZooKeeper (Curator): a node's arena imports
 * fenced leases from a {@link dev.vmem.cluster.ClusterSource} and gives wholly free ones back, as it does with any
 * {@link dev.vmem.Source}. Optional: this package alone depends on Curator and ZooKeeper, and none of their types
 * appears in its public API ({@link dev.vmem.cluster.ClusterConfig} takes a connect string and credentials).
 *
 * <h2>Terms</h2>
 * <ul>
 *   <li><b>Space</b>: the values {@code [base, base + size)} under one ZooKeeper path
 *       ({@link dev.vmem.cluster.SpaceDefinition}); created once ({@link dev.vmem.cluster.ClusterAdmin#init}).</li>
 *   <li><b>Cursor</b>: every value at or above it was never leased. Leases come from the cursor until it reaches
 *       the end, then from spans given back.</li>
 *   <li><b>Member</b>: a node id with an <b>epoch</b>, one more at each registration, and an ephemeral znode for its
 *       ZooKeeper session.</li>
 *   <li><b>Lease</b>: {@code [base, base + size)} recorded as one node's; a multiple of the space's lease size, the
 *       chunk the node's arena imports.</li>
 * </ul>
 *
 * <h2>Invariants</h2>
 * <ol>
 *   <li>The leases, the spans given back, and {@code [cursor, end)} never overlap and tile the space.</li>
 *   <li>A lease is taken or given back by one {@code multi} that first checks the member's znode version (its
 *       registration) and its session's znode: a node whose registration was bumped, or whose session expired,
 *       changes nothing (the fence).</li>
 *   <li>No value of a lease is handed to an arena before the {@code multi} that created the lease committed.</li>
 *   <li>A lease is this node's until it gives it back or an operator decommissions the node (which is refused
 *       while the node's session is live). A persistent arena journals each import with the allocation that
 *       needed it, so after a restart it serves from the spans it held once the cluster confirms their leases are
 *       still its own, and fences the rest.</li>
 *   <li>A node hands out values only while ZooKeeper confirmed its session less than half a session timeout
 *       ago ({@code SessionGuard}, asked by the arena through {@link dev.vmem.Source#admit}): its leases cannot
 *       become another's before the servers end that session. A process whose registration changed while its session was lost never serves again.</li>
 * </ol>
 *
 * <h2>Where things are</h2>
 * {@code SpaceLayout} (znodes and records), {@code ZkClient} (connection, ACLs, errors), {@code Membership}
 * (register, decommission), {@code LeaseLedger} (take and give back, fenced), {@code LeasePool} (a node's leases
 * cut into chunks), {@code LeaseStep} (adaptive lease size), {@code SessionGuard} (whether the node may serve),
 * {@link dev.vmem.cluster.ClusterSource} (the source,
 * prefetch), {@link dev.vmem.cluster.ClusterNode} (an arena on it, restart reconciliation).
 */
package dev.vmem.cluster;

package dev.vmem.cluster;

import dev.vmem.ArenaExhaustedException;
import dev.vmem.Constraints;
import dev.vmem.Source;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Source} whose spans are leases of a cluster number space in ZooKeeper, for the arena of one node
 * (usually built by {@link ClusterNode}). The arena imports lease-size chunks; the source takes leases from the
 * cluster ahead of need, in the background, once less than a lease's worth is left (prefetch), so that an import
 * almost never waits on ZooKeeper; the lease size doubles or halves with the rate ({@link LeaseStep}). Chunks the
 * arena gives back return to the source, and leases wholly given back beyond two leases' worth go back to the
 * cluster, in the background, for any node.
 *
 * <p>Guarantees: a lease is committed in ZooKeeper, by a {@code multi} that checks the node's registration and
 * session, before any of its values is handed to the arena. The node's arena serves only while its
 * {@link SessionGuard} has recently confirmed the session ({@link #admit}): a node cut off from ZooKeeper serves
 * what it holds for up to half a session timeout, then nothing until ZooKeeper is back (leasing fails with a
 * {@link ClusterException} meanwhile). One whose session expired registers again with the next epoch and goes
 * on, unless its registration changed meanwhile (another process registered its id, or an operator decommissioned
 * it): then this process serves nothing more.
 *
 * <p>Thread-safe. An import or release never calls back into the arena; only an import that finds nothing held
 * waits for ZooKeeper (up to about three connection timeouts).
 */
public final class ClusterSource implements Source, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterSource.class);
    private final ClusterConfig config;
    private final ZkClient zk;
    private final Membership members;
    private final LeaseLedger ledger;
    private final long chunk;
    private final Object lock = new Object();
    private final LeasePool pool;
    private final LeaseStep step;
    private final ExecutorService background;
    private final SessionGuard guard;
    private final Object registering = new Object();
    private volatile Registration reg;
    private boolean prefetching;
    private boolean closed;
    private long leasesTaken;
    private long leasesReturned;
    private long prefetches;
    private long waits;
    private long fenced;

    private ClusterSource(ClusterConfig config, ZkClient zk, SpaceDefinition space) {
        this.config = config;
        this.zk = zk;
        this.members = new Membership(zk);
        this.ledger = new LeaseLedger(zk, space);
        this.chunk = space.leaseSize();
        this.pool = new LeasePool(chunk);
        this.step = new LeaseStep(chunk, Math.min(64 * chunk, Long.highestOneBit(space.size() / 16)));
        this.guard = new SessionGuard(config, zk, ledger, () -> reg, this::reregister);
        this.background = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "vmem-cluster-" + config.nodeId());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Connects to the space and registers this node with the next epoch (waiting up to a session timeout for
     * the session of an earlier run of the same node to expire). Holds no lease yet: {@link ClusterNode} hands
     * it the spans the node's arena already holds, and the leases the cluster still records as this node's
     * become its own again.
     *
     * @throws ClusterException if ZooKeeper is unreachable, refuses the credentials, or has no such space
     */
    public static ClusterSource open(ClusterConfig config) {
        ZkClient zk = ZkClient.connect(config);
        try {
            SpaceDefinition space = ClusterAdmin.readDefinition(zk);
            ClusterSource source = new ClusterSource(config, zk, space);
            source.reg = source.members.register(config.nodeId(), config.sessionTimeout().toMillis() + 2000);
            LOG.info("node '{}' registered in cluster space '{}' with epoch {}{}", config.nodeId(), config.path(),
                    source.reg.epoch(), source.reg.wasDecommissioned() ? " after a decommission" : "");
            source.guard.start();
            return source;
        } catch (RuntimeException e) {
            zk.close();
            throw e;
        }
    }

    /** The space's definition. */
    public SpaceDefinition space() {
        return ledger.space();
    }

    /**
     * Takes as this node's the leases the cluster records as its own, and marks the parts {@code held} (spans
     * {base, size} its arena holds since before a restart) as imported.
     *
     * @return the held spans no lease of this node covers: the cluster gave them to others (a decommission), so
     *         the arena must not serve from them
     */
    List<long[]> reconcile(List<long[]> held) {
        List<Lease> owned;
        try {
            owned = ledger.owned(config.nodeId());
        } catch (Exception e) {
            throw zk.failure("reading the leases of node '" + config.nodeId() + "'", e);
        }
        List<long[]> stale = new ArrayList<>();
        synchronized (lock) {
            for (Lease l : owned) {
                pool.add(l);
            }
            for (long[] span : held) {
                if (!pool.markOut(span[0], span[1])) {
                    stale.add(span);
                }
            }
        }
        LOG.info("node '{}' holds {} leases of cluster space '{}' ({} spans already imported, {} no longer its own)",
                config.nodeId(), owned.size(), config.path(), held.size() - stale.size(), stale.size());
        return stale;
    }

    @Override
    public long quantum() {
        return ledger.space().quantum();
    }

    /** Refuses, naming why, while the node may not serve ({@link SessionGuard}). */
    @Override
    public void admit() {
        guard.admit();
    }

    /**
     * {@inheritDoc} The node must still be serving when the span is handed over: taking a lease may have waited on
     * ZooKeeper for seconds, after the arena admitted the allocation.
     */
    @Override
    public long importSpan(Constraints request) {
        long base = take(request);
        try {
            guard.admit();
        } catch (ClusterException e) {
            synchronized (lock) {
                pool.give(base, request.size());
            }
            throw e;
        }
        return base;
    }

    private long take(Constraints request) {
        long base;
        synchronized (lock) {
            ensureOpen();
            base = pool.take(request);
            if (base >= 0) {
                prefetchIfLow();
                return base;
            }
            waits++;
        }
        long need = roundUp(request.size());
        Lease lease;
        try {
            lease = lease(Math.max(need, step()), need);
        } catch (ArenaExhaustedException e) {
            // the space's last span may be on its way into this pool: a prefetch took it a moment ago
            awaitPrefetchQuietly();
            synchronized (lock) {
                base = pool.take(request);
            }
            if (base < 0) {
                throw e;
            }
            return base;
        }
        synchronized (lock) {
            pool.add(lease);
            base = pool.take(request);
            prefetchIfLow();
        }
        if (base < 0) {
            throw new ArenaExhaustedException("cluster space '" + config.path() + "' leased [" + lease.base() + ", "
                    + lease.end() + "), which cannot hold " + request);
        }
        return base;
    }

    @Override
    public void releaseSpan(long base, long size) {
        synchronized (lock) {
            if (!pool.give(base, size)) {
                // a span the cluster gave to others meanwhile (a decommission): it was never the pool's to take back
                LOG.info("span [{}, {}) is no longer a lease of node '{}'; dropped", base, base + size, config.nodeId());
                return;
            }
            if (!closed) {
                Lease spare = pool.removeWhollyFree(2 * step.current());
                if (spare != null) {
                    background.execute(() -> giveBack(spare));
                }
            }
        }
    }

    /** What this source has done and holds. */
    public ClusterSourceStats stats() {
        synchronized (lock) {
            Registration r = reg;
            return new ClusterSourceStats(config.nodeId(), r.epoch(), leasesTaken, leasesReturned, prefetches, waits,
                    fenced, pool.heldValues(), pool.freeValues(), step.current());
        }
    }

    @Override
    public String toString() {
        return "cluster space '" + config.path() + "' of node '" + config.nodeId() + "'";
    }

    /** Waits until no prefetch is running (tests and measurements). */
    void awaitPrefetch() throws Exception {
        background.submit(() -> { }).get(30, TimeUnit.SECONDS);
    }

    private void awaitPrefetchQuietly() {
        try {
            awaitPrefetch();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.debug("waiting for the prefetch: {}", e.toString());
        }
    }

    ZkClient zk() {
        return zk;
    }

    /** This node's registration, as the last (re-)registration left it. */
    Registration registration() {
        return reg;
    }

    SessionGuard guard() {
        return guard;
    }

    private long step() {
        synchronized (lock) {
            return step.current();
        }
    }

    private long roundUp(long size) {
        return (size + chunk - 1) / chunk * chunk;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("cluster source of node '" + config.nodeId() + "' is closed");
        }
    }

    /** Starts a background lease once less than one lease's worth is left. Under {@link #lock}. */
    private void prefetchIfLow() {
        if (!prefetching && !closed && pool.freeValues() < step.current()) {
            prefetching = true;
            long size = step.current();
            background.execute(() -> prefetch(size));
        }
    }

    private void prefetch(long size) {
        try {
            Lease lease = lease(size, chunk);
            synchronized (lock) {
                pool.add(lease);
                prefetches++;
            }
        } catch (RuntimeException e) {
            LOG.warn("node '{}' could not prefetch a lease: {}", config.nodeId(), e.getMessage());
        } finally {
            synchronized (lock) {
                prefetching = false;
            }
        }
    }

    /**
     * Takes a lease of {@code size} values, or of {@code least} once no span of {@code size} is left (the spans given
     * back are as small as a chunk); registers again once if the fence refused the current registration.
     */
    private Lease lease(long size, long least) {
        for (int attempt = 0;; attempt++) {
            Registration r = reg;
            try {
                Lease lease;
                try {
                    lease = ledger.take(r, size);
                } catch (ArenaExhaustedException e) {
                    if (size == least) {
                        throw e;
                    }
                    lease = ledger.take(r, least);
                }
                synchronized (lock) {
                    leasesTaken++;
                    step.leased(System.nanoTime());
                }
                return lease;
            } catch (Fenced f) {
                synchronized (lock) {
                    fenced++;
                }
                LOG.warn("node '{}' (epoch {}) was fenced from cluster space '{}': {}", config.nodeId(), r.epoch(),
                        config.path(), f.getMessage());
                if (attempt > 0) {
                    throw new ClusterException("node '" + config.nodeId() + "' was fenced from cluster space '"
                            + config.path() + "' again after registering anew: " + f.getMessage());
                }
                reregister(r);
            }
        }
    }

    /**
     * Registers anew unless another thread did since {@code stale}, and returns the registration. If the
     * registration changed meanwhile, this process serves nothing more ({@link SessionGuard#fence}).
     */
    private Registration reregister(Registration stale) {
        synchronized (registering) {
            if (reg != stale) {
                return reg;
            }
            try {
                reg = members.registerAgain(stale, config.sessionTimeout().toMillis() + 2000);
            } catch (Fenced f) {
                String message = guard.stopMessage(f.getMessage());
                guard.fence(message);
                throw new ClusterException(message);
            }
            LOG.info("node '{}' registered again in cluster space '{}' with epoch {}", config.nodeId(), config.path(),
                    reg.epoch());
            return reg;
        }
    }

    /**
     * Gives {@code lease} back to the cluster; keeps it if the fence refused (nothing changed). If ZooKeeper failed,
     * the give-back may have committed (its reply lost) and another node may lease the span: the lease is then
     * served no more, and the node takes it back at its next start if the cluster still records it as its own.
     */
    private void giveBack(Lease lease) {
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                ledger.giveBack(reg, lease);
                synchronized (lock) {
                    leasesReturned++;
                }
                return;
            } catch (Fenced f) {
                if (!f.sessionLost) {
                    LOG.warn("lease [{}, {}) is no longer node '{}''s: {}", lease.base(), lease.end(), config.nodeId(),
                            f.getMessage());
                    return;
                }
                try {
                    reregister(reg);
                } catch (RuntimeException e) {
                    break;
                }
            } catch (RuntimeException e) {
                LOG.warn("node '{}' serves lease [{}, {}) no more (the give-back may have committed; the next start "
                        + "asks the cluster): {}", config.nodeId(), lease.base(), lease.end(), e.getMessage());
                return;
            }
        }
        synchronized (lock) {
            pool.add(lease);
        }
    }

    /**
     * Gives back to the cluster every lease none of whose chunks the arena holds (an in-memory node's arena gives
     * all back when it closes; a persistent node's store keeps its imported ones, and they stay this node's) and
     * ends the session, so that this node's id is free to register at once.
     */
    @Override
    public void close() {
        List<Lease> spare = new ArrayList<>();
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        guard.close();
        background.shutdown();
        try {
            if (!background.awaitTermination(config.connectionTimeout().toMillis() * 4, TimeUnit.MILLISECONDS)) {
                background.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (lock) {
            for (Lease l = pool.removeWhollyFree(0); l != null; l = pool.removeWhollyFree(0)) {
                spare.add(l);
            }
        }
        for (Lease l : spare) {
            try {
                ledger.giveBack(reg, l);
                leasesReturned++;
            } catch (Fenced | RuntimeException e) {
                LOG.warn("node '{}' could not give lease [{}, {}) back at close: {}", config.nodeId(), l.base(),
                        l.end(), e.getMessage());
                break;
            }
        }
        zk.close();
    }
}

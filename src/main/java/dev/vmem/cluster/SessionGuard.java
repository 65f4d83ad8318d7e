package dev.vmem.cluster;

import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.apache.curator.framework.state.ConnectionState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether a node may hand out values: only while ZooKeeper has confirmed, less than four fifths of a
 * session timeout ago, that the node's registration stands and its session lives.
 *
 * <p>Why: a node's leases can become another's only once its session has ended on the servers (a decommission
 * is refused while the node is live, and a second registration of its id waits for the session's end). The
 * servers end a session a session timeout after they last heard from it, so a confirmation sent at time t (a
 * {@code multi} of the fence checks, which only the leader commits, and only for a live session) proves the
 * session lives until at least t plus a session timeout. Serving until t plus four fifths of it leaves a fifth
 * for clock rates and pauses. A node cut off from ZooKeeper therefore stops serving before anyone can take its
 * leases, and serves again once a confirmation gets through, registering again first if its session was lost.
 *
 * <p>If the registration changed while the session was lost (another process registered the same node id, or an
 * operator decommissioned the node), this process never serves again: its leases may be another's, and only a
 * restart (which fences the spans that are no longer the node's) sorts out which.
 *
 * <p>Confirmations are sent every fifth of a session timeout (as the servers granted it) by one daemon thread,
 * and at once when Curator reports the session lost. A caller that finds the node not serving waits up to the connection timeout for a
 * confirmation, then gets a {@link ClusterException}.
 */
final class SessionGuard implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SessionGuard.class);
    private final ClusterConfig config;
    private final ZkClient zk;
    private final LeaseLedger ledger;
    private final Supplier<Registration> current;
    private final UnaryOperator<Registration> registerAgain;
    private final ScheduledExecutorService beats;
    private final Object changed = new Object();
    /** {@link System#nanoTime()} until which the node may serve. */
    private volatile long servableUntil = System.nanoTime();
    /** Why this process serves no more; null while it may. */
    private volatile String fenced;
    /** Session losses so far: a confirmation sent before the latest one proves nothing. Under {@link #changed}. */
    private long losses;

    /**
     * @param registerAgain registers again after the session was lost, returning the new registration; throws a
     *                      {@link ClusterException} (having called {@link #fence}) if the registration changed
     */
    SessionGuard(ClusterConfig config, ZkClient zk, LeaseLedger ledger, Supplier<Registration> current,
            UnaryOperator<Registration> registerAgain) {
        this.config = config;
        this.zk = zk;
        this.ledger = ledger;
        this.current = current;
        this.registerAgain = registerAgain;
        this.beats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vmem-cluster-session-" + config.nodeId());
            t.setDaemon(true);
            return t;
        });
    }

    /** Confirms once (so that a node serves from its start), then every fifth of a session timeout. */
    void start() {
        zk.curator.getConnectionStateListenable().addListener((client, state) -> {
            if (state == ConnectionState.LOST) {
                lost();
            }
        });
        beat();
        scheduleNext();
    }

    private void scheduleNext() {
        try {
            beats.schedule(() -> {
                beat();
                scheduleNext();
            }, Math.max(50, sessionTimeoutMillis() / 5), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
            // the node is closing
        }
    }

    /** True if the node may hand out values now. */
    boolean serving() {
        return fenced == null && System.nanoTime() - servableUntil < 0;
    }

    /**
     * Returns if the node may hand out values, waiting up to the connection timeout for a confirmation.
     *
     * @throws ClusterException if it may not
     */
    void check() {
        if (serving()) {
            return;
        }
        long deadline = System.nanoTime() + config.connectionTimeout().toNanos();
        synchronized (changed) {
            while (!serving() && fenced == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new ClusterException("node '" + config.nodeId() + "' of cluster space '" + config.path()
                            + "' serves nothing: ZooKeeper has not confirmed its session for longer than four fifths "
                            + "of the session timeout (" + config.sessionTimeout().toMillis() + " ms), after which "
                            + "the cluster may give its leases to another node; it serves again once a confirmation "
                            + "gets through");
                }
                try {
                    changed.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ClusterException("interrupted while node '" + config.nodeId()
                            + "' waited for ZooKeeper to confirm its session (cluster space '" + config.path() + "')",
                            e);
                }
            }
        }
        if (fenced != null) {
            throw new ClusterException(fenced);
        }
    }

    /** This process serves nothing more, for {@code reason}. */
    void fence(String reason) {
        synchronized (changed) {
            if (fenced == null) {
                fenced = reason;
                LOG.error("{}", reason);
            }
            changed.notifyAll();
        }
    }

    /** Curator found the session expired: stop serving at once, and confirm (registering again) soon. */
    private void lost() {
        synchronized (changed) {
            losses++;
            servableUntil = System.nanoTime();
        }
        LOG.warn("node '{}' lost its ZooKeeper session (cluster space '{}'): serving stops until it registers again",
                config.nodeId(), config.path());
        try {
            beats.execute(this::beat);
        } catch (RejectedExecutionException closed) {
            // the node is closing
        }
    }

    private void beat() {
        if (fenced != null) {
            return;
        }
        long generation;
        synchronized (changed) {
            generation = losses;
        }
        long sentAt = System.nanoTime();
        try {
            Registration r = current.get();
            if (zk.sessionId() != r.sessionId()) {
                r = registerAgain.apply(r);
            }
            long session = zk.sessionId();
            ledger.confirm(r);
            if (session == r.sessionId() && zk.sessionId() == session) {
                confirmed(sentAt, generation);
            }
        } catch (Fenced f) {
            if (!f.sessionLost) {
                fence(stopMessage(f.getMessage()));
            }
            // a session gone on the servers: its client learns soon, and the next beat registers again
        } catch (ClusterException e) {
            LOG.debug("node '{}' could not confirm its session: {}", config.nodeId(), e.getMessage());
        } catch (Exception e) {
            LOG.debug("node '{}' could not read its session: {}", config.nodeId(), e.toString());
        }
    }

    /** The message of a node whose registration changed while its session was lost. */
    String stopMessage(String why) {
        return "node '" + config.nodeId() + "' of cluster space '" + config.path() + "' serves nothing more in this "
                + "process: " + why + "; its leases may now be another's. Restart it (a persistent node then fences "
                + "the spans that are no longer its own); a node id belongs to one process at a time";
    }

    private void confirmed(long sentAt, long generation) {
        long window = sessionTimeoutMillis() * 4 / 5;
        synchronized (changed) {
            if (generation == losses && sentAt + TimeUnit.MILLISECONDS.toNanos(window) - servableUntil > 0) {
                servableUntil = sentAt + TimeUnit.MILLISECONDS.toNanos(window);
                changed.notifyAll();
            }
        }
    }

    /** The session timeout the servers granted (they may cut the one asked for), else the one asked for. */
    private long sessionTimeoutMillis() {
        try {
            int granted = zk.curator.getZookeeperClient().getZooKeeper().getSessionTimeout();
            if (granted > 0) {
                return Math.min(granted, config.sessionTimeout().toMillis());
            }
        } catch (Exception e) {
            LOG.debug("reading the granted session timeout: {}", e.toString());
        }
        return config.sessionTimeout().toMillis();
    }

    @Override
    public void close() {
        beats.shutdownNow();
        synchronized (changed) {
            if (fenced == null) {
                fenced = "node '" + config.nodeId() + "' of cluster space '" + config.path() + "' is closed: its "
                        + "session ended, and its leases may be another's";
            }
            changed.notifyAll();
        }
    }
}

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
 * Decides whether a node may hand out values: only while ZooKeeper has confirmed, less than half a session
 * timeout ago, that the node's registration stands and its session lives.
 *
 * <p>Why: a node's leases can become another's only once its session has ended on the servers (a decommission
 * is refused while the node is live, and a second registration of its id waits for the session's end). The
 * leader ends a session a session timeout after it last learned of the session's activity. A confirmation is a
 * {@code multi} of the fence checks, which only the leader commits, and only for a live session; sent at time t,
 * it reaches the leader after t, or reaches a follower after t that reports it to the leader within a tick. Should
 * that follower fail before its report, the leader still knows of the confirmation before (sent a tenth of a
 * session timeout earlier, reported within half a tick). So the session lives until at least t plus nine tenths
 * of a session timeout less half a tick, which is more than t plus half a session timeout, since ZooKeeper grants
 * no session shorter than two ticks. A node cut off from ZooKeeper therefore stops serving before anyone can
 * take its leases, and serves again once a confirmation gets through, registering again first if its session
 * was lost.
 *
 * <p>If the registration changed while the session was lost (another process registered the same node id, or an
 * operator decommissioned the node), this process never serves again: its leases may be another's, and only a
 * restart (which fences the spans that are no longer the node's) sorts out which. After {@link #close} the node
 * serves nothing either.
 *
 * <p>The rule is applied by {@link ClusterSource#admit}, which every arena on the source calls under its lock
 * before it hands out values, and again as a span is handed over: a caller that waited for the lock or for a
 * lease is judged when it is served, not when it asked. Confirmations are sent every tenth of a session timeout
 * (as the servers granted it) by one daemon thread, and at once when Curator reports the session lost.
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

    /** Confirms once (so that a node serves from its start), then every tenth of a session timeout. */
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
            }, Math.max(20, sessionTimeoutMillis() / 10), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
            // the node is closing
        }
    }

    /** True if the node may hand out values now. */
    boolean serving() {
        return fenced == null && System.nanoTime() - servableUntil < 0;
    }

    /**
     * Returns if the node may hand out values now; never waits.
     *
     * @throws ClusterException if it may not, saying why
     */
    void admit() {
        if (serving()) {
            return;
        }
        String why = fenced;
        if (why != null) {
            throw new ClusterException(why);
        }
        throw new ClusterException("node '" + config.nodeId() + "' of cluster space '" + config.path() + "' serves "
                + "nothing now: ZooKeeper has not confirmed its session for half the session timeout ("
                + config.sessionTimeout().toMillis() + " ms); once the servers end the session, the cluster may give "
                + "its leases to another node. It serves again once a confirmation gets through (see "
                + "ClusterNode.serving())");
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

    /** Curator found the session expired: stop serving at once, and confirm (registering again) at once. */
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
        try {
            Registration r = current.get();
            if (zk.sessionId() != r.sessionId()) {
                r = registerAgain.apply(r);
            }
            long session = zk.sessionId();
            long sentAt = System.nanoTime();
            try {
                ledger.confirm(r);
            } catch (Fenced f) {
                // the session is gone, or the registration changed: by this process (a lease thread registered
                // again meanwhile), or by another or a decommission, which registering again finds and fences
                registerAgain.apply(r);
                return;
            }
            if (session == r.sessionId() && zk.sessionId() == session) {
                confirmed(sentAt, generation);
            }
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
        long window = sessionTimeoutMillis() / 2;
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

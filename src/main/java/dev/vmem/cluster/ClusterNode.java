package dev.vmem.cluster;

import dev.vmem.Arena;
import dev.vmem.Constraints;
import dev.vmem.Segment;
import dev.vmem.VmemArena;
import dev.vmem.store.ArenaDefinition;
import dev.vmem.store.PersistentArena;
import dev.vmem.store.VmemStore;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node of a cluster number space: an arena that imports lease-size chunks from a {@link ClusterSource} and
 * gives wholly free ones back.
 *
 * <p>In memory ({@link #inMemory}), the node forgets what it handed out when its process ends, as any in-memory
 * arena does; when it starts again it takes back the leases the cluster still records as its own. Persistent
 * ({@link #persistent}), the arena's store journals each import with the allocation that needed it, so after a
 * restart (kill -9 included) the arena holds the spans it held, and the node serves from them once the cluster
 * confirms they are still leases of this node; a span the cluster no longer gives it (a decommission) is fenced
 * before the arena is handed out: given back if nothing in it is allocated, else its free parts are allocated and
 * kept so that they are never handed out.
 */
public final class ClusterNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterNode.class);
    private final ClusterSource source;
    private final VmemArena arena;
    private final Arena memoryArena;
    private final int fencedSpans;

    private ClusterNode(ClusterSource source, VmemArena arena, Arena memoryArena, int fencedSpans) {
        this.source = source;
        this.arena = arena;
        this.memoryArena = memoryArena;
        this.fencedSpans = fencedSpans;
    }

    /**
     * An in-memory arena labelled {@code label} on the space {@code config} names, with the space's quantum.
     *
     * @throws ClusterException if the cluster cannot be reached or refuses the node
     */
    public static ClusterNode inMemory(ClusterConfig config, String label) {
        ClusterSource source = ClusterSource.open(config);
        try {
            source.reconcile(List.of());
            SpaceDefinition space = source.space();
            Arena arena = Arena.builder(label).quantum(space.quantum()).source(source).importQuantum(space.leaseSize())
                    .build();
            return new ClusterNode(source, arena, arena, 0);
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
    }

    /**
     * The arena {@code name} of {@code store} (created with the space's quantum if missing) on the space
     * {@code config} names. The store stays the caller's to close, after this node.
     *
     * @throws ClusterException         if the cluster cannot be reached or refuses the node
     * @throws IllegalArgumentException if the arena exists with another quantum or without an outside source
     */
    public static ClusterNode persistent(ClusterConfig config, VmemStore store, String name) {
        ClusterSource source = ClusterSource.open(config);
        try {
            SpaceDefinition space = source.space();
            PersistentArena existing = store.arenas().stream().filter(a -> a.name().equals(name)).findFirst()
                    .orElseGet(() -> store.createArena(ArenaDefinition.of(name, space.quantum())
                            .withOutsideSource(space.leaseSize())));
            if (existing.quantum() != space.quantum()) {
                throw new IllegalArgumentException("arena '" + name + "' has quantum=" + existing.quantum()
                        + ", cluster space '" + config.path() + "' quantum=" + space.quantum());
            }
            List<long[]> held = new ArrayList<>();
            for (Segment s : existing.segments()) {
                if (s.kind() == Segment.Kind.IMPORTED_SPAN) {
                    held.add(new long[] {s.base(), s.size()});
                }
            }
            List<long[]> stale = source.reconcile(held);
            PersistentArena arena = store.attachSource(name, source);
            for (long[] span : stale) {
                fence(arena, span[0], span[0] + span[1]);
            }
            return new ClusterNode(source, arena, null, stale.size());
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
    }

    /** Makes sure nothing in {@code [base, end)}, no longer this node's, is handed out again. */
    private static void fence(VmemArena arena, long base, long end) {
        List<Segment> inside = new ArrayList<>();
        boolean allocated = false;
        for (Segment s : arena.segments()) {
            if (!s.kind().isSpan() && s.base() >= base && s.end() <= end) {
                inside.add(s);
                allocated |= s.kind() == Segment.Kind.ALLOCATED;
            }
        }
        if (!allocated) {
            // wholly free: allocating it whole and freeing it makes the arena give the span up
            arena.free(arena.xalloc(new Constraints(end - base, 1, 0, 0, base, end), dev.vmem.Policy.INSTANT_FIT));
            LOG.warn("span [{}, {}) is no longer this node's lease: given up", base, end);
            return;
        }
        for (Segment s : inside) {
            if (s.kind() == Segment.Kind.FREE) {
                arena.xalloc(new Constraints(s.size(), 1, 0, 0, s.base(), s.end()), dev.vmem.Policy.INSTANT_FIT);
            }
        }
        LOG.warn("span [{}, {}) is no longer this node's lease and still has allocations: its free parts are "
                + "fenced (allocated, never handed out)", base, end);
    }

    /**
     * The node's arena: allocate and free through it. A call that hands out values (an allocation, a claim, a
     * reconcile) throws a {@link ClusterException} and changes nothing while the node may not serve (see
     * {@link #serving()}); so does the same arena reached through its store, and any arena importing from it.
     */
    public VmemArena arena() {
        return arena;
    }

    /**
     * True if the node may hand out values now: ZooKeeper confirmed its session less than half a session timeout
     * ago (a session timeout after the servers last heard from it, the cluster may give its leases to another
     * node), its registration did not change while the session was lost (then this process never serves again),
     * and the node is not closed. A readiness check.
     */
    public boolean serving() {
        return source.guard().serving();
    }

    /** The node's cluster source: its statistics. */
    public ClusterSource source() {
        return source;
    }

    /** Spans found at start that the cluster no longer gives this node, and were fenced. */
    public int fencedSpans() {
        return fencedSpans;
    }

    /**
     * Closes an in-memory arena (its spans go back to the source), then the source (wholly free leases go back to
     * the cluster). A persistent arena stays open with its store, keeping its imported spans for the next run.
     */
    @Override
    public void close() {
        try {
            if (memoryArena != null) {
                memoryArena.close();
            }
        } finally {
            source.close();
        }
    }
}

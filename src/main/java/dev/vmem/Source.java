package dev.vmem;

/**
 * Where an arena gets more space when it runs out: usually another {@link Arena}, which makes
 * hierarchies of any depth.
 *
 * <p>Assumptions: {@link #importSpan} returns the base of a range {@code [base, base + request.size())}
 * that satisfies every constraint of {@code request} and that nobody else uses until it is released;
 * {@link #releaseSpan} takes back exactly such a range. Implementations must be thread-safe. An arena
 * calls its source while holding its own lock, so a source must never call back into its importer.
 */
public interface Source {

    /**
     * Hands out a range for an importing arena.
     *
     * @throws ArenaExhaustedException when no such range is available
     */
    long importSpan(Constraints request);

    /** Takes back a range that {@link #importSpan} handed out. */
    void releaseSpan(long base, long size);

    /**
     * The granularity of the ranges this source hands out, a power of two. Importers round their
     * requests up to it so that no part of an imported range is wasted.
     */
    default long quantum() {
        return 1;
    }

    /**
     * Asked by the importing arena before it hands out values (an allocation, a claim, a reconcile), whether
     * it still may: a source whose spans can stop being the importer's to serve (a cluster lease whose holder
     * lost touch with the cluster) throws to refuse, and the call fails with nothing changed. It is asked
     * under the arena's lock, once the caller got it; on the lock-free quantum-cache path, before and again
     * once the block is taken (a refusal puts the block back). A child arena asks its parent's source. Must be
     * fast, must not block, and must not call back into the arena. The default admits everything.
     *
     * @throws VmemException (or another runtime exception) naming why the importer may not serve now
     */
    default void admit() {
    }
}

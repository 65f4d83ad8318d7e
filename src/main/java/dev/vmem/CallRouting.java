package dev.vmem;

import java.util.Objects;

/**
 * Where an arena's allocations and frees go: a small plain request or free to its quantum cache first
 * (without the arena's lock), everything else to the engine under the lock; and what an allocation that
 * finds no room tries before it fails (idle cache slabs back, then the failure with its figures). The
 * arena's public methods check nothing more and route here.
 */
final class CallRouting {
    private CallRouting() {
    }

    /** {@code a.alloc} or, unless {@code throwing}, {@code a.tryAlloc}. */
    static long alloc(Arena a, long size, Policy policy, boolean throwing) {
        // An ID pool's allocation first, in a method kept small so that the JIT compiles it into its callers.
        return policy == Policy.NEXT_FIT && size > 0 && size <= a.quantum
                ? allocateOne(a, Policy.NEXT_FIT, size, throwing) : allocateAny(a, size, policy, throwing);
    }

    /** {@link #alloc} of any size by any policy. */
    private static long allocateAny(Arena a, long size, Policy policy, boolean throwing) {
        Objects.requireNonNull(policy, "policy");
        long rounded = Request.roundedSize(size, a.quantum, a.label);
        if (rounded <= a.qcacheMax && policy != Policy.NEXT_FIT) {
            a.ensureOpen();
            a.admit();
            long base = a.caches.alloc(rounded);
            if (base != Arena.NONE) {
                admitTaken(a, base, rounded);
                return base;
            }
        }
        return policy == Policy.INSTANT_FIT && rounded == a.quantum ? allocateOne(a, policy, size, throwing)
                : allocate(a, a.engine.plainRequest(rounded, policy), null, size, throwing);
    }

    /** {@code a.xalloc} or, unless {@code throwing}, {@code a.tryXalloc}. */
    static long xalloc(Arena a, Constraints c, Policy policy, boolean throwing) {
        Objects.requireNonNull(c, "constraints");
        Objects.requireNonNull(policy, "policy");
        return allocate(a, Request.of(c, a.quantum, policy, a.label), c, c.size(), throwing);
    }

    /**
     * Places and carves a caller's block under the lock, giving wholly idle cache slabs back first if
     * that is what it takes. Returns the base, or {@link Arena#NONE} counting the failure; if
     * {@code throwing}, fails instead with the figures the request failed against, naming what was
     * asked ({@code asked}, or a plain request of {@code askedSize}).
     */
    private static long allocate(Arena a, Request r, Constraints asked, long askedSize, boolean throwing) {
        a.lock.lock();
        try {
            a.ensureOpen();
            a.admit();
            return placeLocked(a, r, asked, askedSize, throwing);
        } finally {
            a.lock.unlock();
        }
    }

    /**
     * {@link #allocate} of one quantum by NEXT_FIT or INSTANT_FIT: an ID pool's allocation, by {@link IdPath} where it
     * applies.
     */
    private static long allocateOne(Arena a, Policy policy, long askedSize, boolean throwing) {
        a.lock.lock();
        try {
            a.ensureOpen();
            a.admit();
            long start = policy == Policy.NEXT_FIT ? IdPath.takeNext(a.engine) : IdPath.takeFresh(a.engine);
            return start != Arena.NONE ? start
                    : placeLocked(a, a.engine.plainRequest(a.quantum, policy), null, askedSize, throwing);
        } finally {
            a.lock.unlock();
        }
    }

    /** The body of {@link #allocate}, with the lock held and the arena open. */
    private static long placeLocked(Arena a, Request r, Constraints asked, long askedSize, boolean throwing) {
        ArenaEngine engine = a.engine;
        long start = engine.place(r);
        if (start == Arena.NONE && a.caches != null && a.caches.reap(engine::releaseAt)) {
            start = engine.place(r);
        }
        if (start == Arena.NONE) {
            engine.failures++;
            if (throwing) {
                throw Exhaustion.of(engine, a.statsLocked(), a.caches != null,
                        asked != null ? asked : Constraints.of(askedSize), r);
            }
        }
        return start;
    }

    /** Frees {@code base}, checking {@code size} unless it is {@link Arena#NONE}: from its cache, else under the lock. */
    static void free(Arena a, long base, long size) {
        QuantumCaches caches = a.caches;
        if (caches != null) {
            a.ensureOpen();
            if (caches.free(base, size)) {
                return;
            }
        }
        a.lock.lock();
        try {
            a.ensureOpen();
            if (caches != null && caches.freeLocked(base, size)) {
                return;
            }
            if (!IdPath.free(a.engine, base, size)) {
                a.engine.free(base, size);
            }
        } finally {
            a.lock.unlock();
        }
    }

    /**
     * Asks the source again once a cached block is taken, without the lock: the caller may have waited for a slab
     * to be made (behind an import that waited on the source). A refusal puts the block back.
     */
    private static void admitTaken(Arena a, long base, long rounded) {
        try {
            a.admit();
        } catch (RuntimeException refused) {
            if (!a.caches.free(base, rounded)) {
                a.free(base, rounded);
            }
            throw refused;
        }
    }

    /** A new slab for cache {@code c}, or null if the arena (and its source) has no room for one. */
    static QuantumCache.Slab newSlab(Arena a, QuantumCache c) {
        return a.lockedOpen(() -> {
            a.admit();
            long base = a.engine.place(Request.exact(c.slabSize, c.slabAlign, a.quantum));
            return base == Arena.NONE ? null : a.caches.register(c, base);
        });
    }
}

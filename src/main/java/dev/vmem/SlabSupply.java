package dev.vmem;

/**
 * Where the quantum caches get slabs: the arena carves a slab from its segment list (importing if it
 * must) and registers it, all under its lock. The caches know nothing else of the arena.
 */
interface SlabSupply {
    /** A new slab for {@code cache}, registered with the caches, or null if the arena has no room for one. */
    QuantumCache.Slab newSlab(QuantumCache cache);
}

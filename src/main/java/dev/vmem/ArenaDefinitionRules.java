package dev.vmem;

/**
 * Whether an arena definition is valid: the one place that decides it. {@link Arena.Builder} asks it
 * before building; a persistent store asks it (through {@link Arena.Builder#validate()}) when an arena
 * is created and when a definition is read back from disk; the {@code vmem} command asks it before
 * touching a store.
 */
final class ArenaDefinitionRules {
    private ArenaDefinitionRules() {
    }

    /**
     * @param importQuantum the effective import quantum (the quantum when none was given)
     * @param source        the source, or null
     * @param observed      whether the arena reports its changes (to a store), which rules out caches
     * @param quarantine    the quarantine rule, which also rules out caches
     * @throws IllegalArgumentException naming the value when the definition is invalid
     */
    static void check(String label, long quantum, long importQuantum, long qcacheMax, Source source,
            boolean observed, Quarantine quarantine) {
        if (label.isBlank()) {
            throw new IllegalArgumentException("label '" + label + "' must not be blank");
        }
        if (!Fit.isPowerOfTwo(quantum)) {
            throw new IllegalArgumentException("quantum=" + quantum + " is not a power of two (arena '" + label + "')");
        }
        if (importQuantum < 0 || (importQuantum & (quantum - 1)) != 0) {
            throw new IllegalArgumentException("importQuantum=" + importQuantum
                    + " is not a positive multiple of quantum=" + quantum + " (arena '" + label + "')");
        }
        if (source != null && !Fit.isPowerOfTwo(source.quantum())) {
            throw new IllegalArgumentException("source quantum=" + source.quantum()
                    + " is not a power of two (arena '" + label + "')");
        }
        // A cache slab is 63 blocks aligned to the next power of two above its size: it must fit below 2^62.
        if (qcacheMax < 0 || (qcacheMax & (quantum - 1)) != 0 || qcacheMax / quantum > Arena.MAX_QCACHE_QUANTA) {
            throw new IllegalArgumentException("qcacheMax=" + qcacheMax + " must be a multiple of quantum="
                    + quantum + " between 0 and " + Arena.MAX_QCACHE_QUANTA + " quanta (arena '" + label + "')");
        }
        if (qcacheMax > Arena.MAX_QCACHE_VALUES) {
            throw new IllegalArgumentException("qcacheMax=" + qcacheMax + " exceeds " + Arena.MAX_QCACHE_VALUES
                    + ": a cache slab of 63 such blocks must fit below 2^62 (arena '" + label + "')");
        }
        if (qcacheMax > 0 && observed) {
            throw new IllegalArgumentException("qcacheMax=" + qcacheMax + " with an observer (arena '" + label
                    + "'): blocks served by quantum caches are not changes of the arena, so an observed arena "
                    + "cannot have caches");
        }
        // A cached free takes no lock and puts the block straight back in its slab: it could not queue it.
        if (qcacheMax > 0 && quarantine.isActive()) {
            throw new IllegalArgumentException("qcacheMax=" + qcacheMax + " with " + quarantine + " (arena '" + label
                    + "'): a cached block goes back to its cache at its free, so an arena with a quarantine "
                    + "cannot have caches");
        }
    }
}

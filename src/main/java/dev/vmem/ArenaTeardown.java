package dev.vmem;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a closing arena does before it gives its imported spans back: reports the leaks, gives the cache
 * slabs back to the segment list and frees the quarantined blocks (without the source: the spans go back
 * whole afterwards). Runs once, with the arena's lock held.
 */
final class ArenaTeardown {
    /** The arena's logger: its warnings are the arena's. */
    private static final Logger LOG = LoggerFactory.getLogger(Arena.class);

    private ArenaTeardown() {
    }

    /** {@code callers}: the figures callers see, whose live allocations are the leaks. */
    static void leave(ArenaEngine engine, QuantumCaches caches, ArenaStats callers) {
        if (callers.liveAllocations() > 0) {
            LOG.warn("arena '{}' closed with {} live allocations ({} values) leaked", engine.label,
                    callers.liveAllocations(), callers.allocated());
        }
        if (caches != null) {
            caches.retireAll(engine::discardAt);
        }
        if (engine.quarantine != null) {
            engine.quarantine.dropAll();
        }
    }
}

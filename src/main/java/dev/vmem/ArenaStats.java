package dev.vmem;

/**
 * A consistent snapshot of an arena's space figures and counters, read in O(1) (the segments of a dense span:
 * amortized O(1), counted again in the groups of 512 quanta that changed since the last read: a snapshot taken
 * after every operation of an ID pool costs about as much as the operation). With quantum caches,
 * the figures that cached allocations and frees change ({@code allocated}, {@code free},
 * {@code liveAllocations}, {@code allocations}, {@code frees}, {@code cached}) are exact when no cached
 * operation is in flight; those run without the arena's lock, so a snapshot taken during them may be
 * off by the operations in flight.
 *
 * @param total       values in all spans, imported ones included
 * @param allocated   values in live allocations held by callers
 * @param free        {@code total - allocated - quarantined}: values a caller could be given, {@code cached} included
 * @param imported    values in spans imported from the source
 * @param spans       spans now in the arena
 * @param segments    segments (free and allocated) now in the arena
 * @param liveAllocations allocated segments now in the arena
 * @param allocations successful allocations since creation
 * @param frees       successful frees since creation
 * @param failures    allocations that failed because space ran out (in a store, kept across a clean
 *                    close but not journalled: a crash loses the failures since the last checkpoint)
 * @param imports     spans imported from the source
 * @param releases    spans given back to the source
 * @param cached      values in idle blocks of the quantum caches (0 without caches)
 * @param quarantined values in freed blocks the arena holds back from reuse (see {@link Quarantine}); they
 *                    are neither {@code allocated} nor {@code free}: {@code total = allocated + free + quarantined}
 */
public record ArenaStats(
        long total,
        long allocated,
        long free,
        long imported,
        long spans,
        long segments,
        long liveAllocations,
        long allocations,
        long frees,
        long failures,
        long imports,
        long releases,
        long cached,
        long quarantined) {

    /** The figures of an arena without a quarantine. */
    public ArenaStats(long total, long allocated, long free, long imported, long spans, long segments,
            long liveAllocations, long allocations, long frees, long failures, long imports, long releases,
            long cached) {
        this(total, allocated, free, imported, spans, segments, liveAllocations, allocations, frees, failures,
                imports, releases, cached, 0);
    }
}

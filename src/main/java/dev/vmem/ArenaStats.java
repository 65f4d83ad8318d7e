package dev.vmem;

/**
 * A consistent snapshot of an arena's space figures and counters, read in O(1).
 *
 * @param total       values in all spans, imported ones included
 * @param allocated   values in live allocations
 * @param free        {@code total - allocated}
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
        long releases) {
}

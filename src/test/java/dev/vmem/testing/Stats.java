package dev.vmem.testing;

import dev.vmem.ArenaStats;

/**
 * {@link ArenaStats} values a test expects. The record has thirteen positional fields, so writing one
 * out by hand to change a single counter is where a test goes wrong; these name the one that moves.
 */
public final class Stats {
    private Stats() {
    }

    /**
     * {@code s} with {@code failures} in place of its failure count: what a failed allocation must
     * leave behind, since it changes nothing else.
     */
    public static ArenaStats withFailures(ArenaStats s, long failures) {
        return new ArenaStats(s.total(), s.allocated(), s.free(), s.imported(), s.spans(), s.segments(),
                s.liveAllocations(), s.allocations(), s.frees(), failures, s.imports(), s.releases(), s.cached());
    }

    /** {@code s} with one more failure. */
    public static ArenaStats withOneMoreFailure(ArenaStats s) {
        return withFailures(s, s.failures() + 1);
    }

    /** Only the operation counters, every space figure zero: the counters of a state to restore. */
    public static ArenaStats counters(long allocations, long frees, long failures, long imports, long releases) {
        return new ArenaStats(0, 0, 0, 0, 0, 0, 0, allocations, frees, failures, imports, releases, 0);
    }
}

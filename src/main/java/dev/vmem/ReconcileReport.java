package dev.vmem;

import java.util.List;

/**
 * What {@link VmemArena#reconcile} changed: the allocations the arena held that the caller does not
 * (leaked, freed now) and the ranges the caller holds that the arena did not (lost, claimed now).
 * Counts and values are exact; the lists hold the first {@link #SAMPLE} of each in address order.
 *
 * @param leaked       how many allocations were freed
 * @param leakedValues the values they covered
 * @param firstLeaked  the lowest of them, at most {@link #SAMPLE}
 * @param lost         how many ranges were claimed
 * @param lostValues   the values they cover
 * @param firstLost    the lowest of them, at most {@link #SAMPLE}
 */
public record ReconcileReport(long leaked, long leakedValues, List<Allocation> firstLeaked,
        long lost, long lostValues, List<Allocation> firstLost) {
    /** The most allocations each list of a report names. */
    public static final int SAMPLE = 10;

    public ReconcileReport {
        firstLeaked = List.copyOf(firstLeaked);
        firstLost = List.copyOf(firstLost);
    }

    /** Whether the arena already held exactly the caller's ranges. */
    public boolean unchanged() {
        return leaked == 0 && lost == 0;
    }

    @Override
    public String toString() {
        return "leaked " + leaked + " (" + leakedValues + " values)" + (firstLeaked.isEmpty() ? "" : " " + firstLeaked)
                + ", lost " + lost + " (" + lostValues + " values)" + (firstLost.isEmpty() ? "" : " " + firstLost);
    }
}

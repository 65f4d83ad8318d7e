package dev.vmem;

/**
 * How an arena chooses among the free segments that can hold a request.
 *
 * <p>Every policy honours every {@link Constraints constraint}, and every policy fails only when no
 * free range of the arena (after a possible import) can hold the request.
 */
public enum Policy {
    /**
     * Take the first segment of the smallest power-of-two freelist whose members all fit: O(1) for an
     * unconstrained request. When no such list is non-empty, the list holding segments of the requested
     * size class is searched, so the request fails only when nothing fits.
     */
    INSTANT_FIT,
    /**
     * Take the smallest free segment that can hold the request (lowest address among equals). Least
     * fragmentation; cost grows with the number of free segments in the first size class that fits.
     */
    BEST_FIT,
    /**
     * Take the lowest fitting address at or after the end of the previous next-fit allocation, wrapping
     * round to the lowest address. A freed value is not handed out again before the rotor comes round:
     * the policy for process IDs and other identifiers whose quick reuse would be confusing.
     */
    NEXT_FIT
}

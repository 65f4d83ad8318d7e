package dev.vmem;

/**
 * A range {@code [base, base + size)} a caller holds as one allocation: what {@link VmemArena#reconcile}
 * takes as the caller's truth. The constructor checks the range on its own; whether it fits an arena
 * (its quantum, its spans) is the arena's to say.
 *
 * @param base the first value, at least 0
 * @param size the number of values, positive; {@code base + size} does not exceed {@code Long.MAX_VALUE}
 */
public record Allocation(long base, long size) {

    /** @throws IllegalArgumentException naming the values when the range is empty, negative or overflows */
    public Allocation {
        if (size <= 0) {
            throw new IllegalArgumentException("allocation base=" + base + " size=" + size + ": size must be positive");
        }
        if (base < 0) {
            throw new IllegalArgumentException("allocation base=" + base + " size=" + size + ": base is negative");
        }
        if (size > Long.MAX_VALUE - base) {
            throw new IllegalArgumentException("allocation base=" + base + " size=" + size + " runs past Long.MAX_VALUE");
        }
    }

    /** The first value after the range. */
    public long end() {
        return base + size;
    }

    @Override
    public String toString() {
        return "[" + base + ", " + end() + ")";
    }
}

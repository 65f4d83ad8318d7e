package dev.vmem.bench.peers;

import com.google.common.collect.BoundType;
import com.google.common.collect.Range;
import com.google.common.collect.TreeRangeSet;

/**
 * What a Java user would hand-roll: the free ranges in a Guava {@link TreeRangeSet} (which coalesces
 * on its own), first fit by walking them in address order.
 */
public final class RangeSetAllocator {
    private final TreeRangeSet<Long> free = TreeRangeSet.create();

    public RangeSetAllocator(long base, long size) {
        free.add(Range.closedOpen(base, base + size));
    }

    /** First fit; -1 when nothing fits. */
    public long alloc(long size) {
        for (Range<Long> r : free.asRanges()) {
            long lo = r.lowerBoundType() == BoundType.CLOSED ? r.lowerEndpoint() : r.lowerEndpoint() + 1;
            long hi = r.upperBoundType() == BoundType.OPEN ? r.upperEndpoint() : r.upperEndpoint() + 1;
            if (hi - lo >= size) {
                free.remove(Range.closedOpen(lo, lo + size));
                return lo;
            }
        }
        return -1;
    }

    public void free(long base, long size) {
        free.add(Range.closedOpen(base, base + size));
    }
}

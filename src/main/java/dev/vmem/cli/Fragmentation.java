package dev.vmem.cli;

import dev.vmem.Segment;
import java.util.List;

/**
 * What an operator asks of an arena's free space (as FreeBSD's {@code show vmem}, {@code e2freefrag} and
 * {@code /proc/buddyinfo} show it): the largest free extent, the free extents by power of two, and for a
 * request size the share of free space in extents too small for it.
 *
 * @param largest   the largest free extent, in values (0: none)
 * @param counts    {@code counts[k]}: free extents of {@code [2^k, 2^(k+1))} values
 * @param sizes     {@code sizes[k]}: the values they hold together
 * @param free      all free values
 * @param tooSmall  free values in extents smaller than the request (0 without one)
 */
record Fragmentation(long largest, long[] counts, long[] sizes, long free, long tooSmall) {

    /** Of the segments of one arena, in address order; {@code request} in values (0: none). */
    static Fragmentation of(List<Segment> segments, long request) {
        long largest = 0;
        long free = 0;
        long tooSmall = 0;
        long[] counts = new long[Long.SIZE];
        long[] sizes = new long[Long.SIZE];
        for (Segment s : segments) {
            if (s.kind() != Segment.Kind.FREE) {
                continue;
            }
            int order = Long.SIZE - 1 - Long.numberOfLeadingZeros(s.size());
            counts[order]++;
            sizes[order] += s.size();
            free += s.size();
            largest = Math.max(largest, s.size());
            if (s.size() < request) {
                tooSmall += s.size();
            }
        }
        return new Fragmentation(largest, counts, sizes, free, tooSmall);
    }

    /** The highest order with a free extent, or -1. */
    int topOrder() {
        for (int k = Long.SIZE - 1; k >= 0; k--) {
            if (counts[k] > 0) {
                return k;
            }
        }
        return -1;
    }

    /** Percent of free space too small for the request, one decimal. */
    String tooSmallPercent() {
        return free == 0 ? "0.0" : String.format("%.1f", 100.0 * tooSmall / free);
    }
}

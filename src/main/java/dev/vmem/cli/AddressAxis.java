package dev.vmem.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * The ticks under a span's band in {@code map}: its base and end, and between them the multiples of a power of
 * two that make four to eight steps, so the hex labels are round ({@code 0x4000}, {@code 0x8000}) rather than
 * equal fractions of an arbitrary size.
 */
final class AddressAxis {
    private AddressAxis() {
    }

    /**
     * Tick values of {@code [base, end)}, rising: {@code base} first, {@code end} last, and the round values in
     * between that lie at least {@code minGap} of the span's width (a share, 0 to 1) from both ends, so that
     * labels do not overlap.
     */
    static List<Long> ticks(long base, long end, double minGap) {
        List<Long> ticks = new ArrayList<>();
        ticks.add(base);
        long size = end - base;
        if (size >= 4) {
            long step = Long.highestOneBit(size) >>> 2; // size / step in [4, 8)
            long first = Math.floorDiv(base, step) * step + step;
            for (long v = first; v < end && v > base; v += step) {
                double at = (double) (v - base) / size;
                if (at >= minGap && 1 - at >= minGap) {
                    ticks.add(v);
                }
            }
        }
        ticks.add(end);
        return ticks;
    }

    static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }

    /** {@code 0x1000 (4096)}: what a tooltip shows of a value. */
    static String hexAndDecimal(long value) {
        return hex(value) + " (" + value + ")";
    }
}

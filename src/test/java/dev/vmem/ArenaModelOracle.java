package dev.vmem;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The reference model's placement rules for {@link ArenaModelTest}: where a block may go, and where each
 * policy must put it, worked out from free ranges by plain arithmetic, independently of {@code Fit} and
 * {@code Placement}. Kept apart from the run that uses it so that the test reads as the test.
 */
final class ArenaModelOracle {
    /** No admissible start. */
    static final long NONE = -1;

    private ArenaModelOracle() {
    }

    /**
     * The lowest {@code s >= lo} with {@code s + size <= hi}, {@code s % align == phase} and, when
     * {@code nocross != 0}, {@code [s, s + size)} inside one {@code nocross} window; {@link #NONE} if none.
     * Values stay far below 2^62 in these tests.
     */
    static long lowestAdmissible(long lo, long hi, long size, long align, long phase, long nocross) {
        long s = lo + Math.floorMod(phase - lo, align);
        // After moving past a boundary once, every later candidate sits at the same offset in its window
        // (align >= nocross: all candidates agree mod nocross; align < nocross: each one sits at boundary +
        // phase), so a third move never helps; three rounds are a safe bound.
        for (int round = 0; round < 3 && s <= hi - size; round++) {
            if (nocross == 0 || s / nocross == (s + size - 1) / nocross) {
                return s;
            }
            long boundary = (s / nocross + 1) * nocross;
            s = boundary + Math.floorMod(phase - boundary, align);
        }
        return NONE;
    }

    /** Keeps failure messages readable: dumps of big arenas are cut. */
    static String brief(String dump) {
        return dump.length() <= 6000 ? dump : dump.substring(0, 6000) + "... (" + dump.length() + " chars)\n";
    }

    static long roundUp(long x, long q) {
        return (x + q - 1) / q * q;
    }

    static long roundDown(long x, long q) {
        return x / q * q;
    }

    /** A half-open range {@code [base, end)}. */
    record Range(long base, long end) {
        long size() {
            return end - base;
        }

        boolean holds(long start, long size) {
            return base <= start && start + size <= end;
        }

        @Override
        public String toString() {
            return "[" + base + ", " + end + ")";
        }
    }

    /** A request after the arena's rounding to its quantum. */
    record RoundedRequest(long size, long align, long phase, long nocross, long min, long max) {
        long lowestIn(Range r) {
            long lo = Math.max(r.base, min);
            long hi = Math.min(r.end, max);
            return lo >= hi ? NONE : lowestAdmissible(lo, hi, size, align, phase, nocross);
        }

        long lowestFrom(Range r, long from) {
            long lo = Math.max(Math.max(r.base, min), from);
            long hi = Math.min(r.end, max);
            return lo >= hi ? NONE : lowestAdmissible(lo, hi, size, align, phase, nocross);
        }

        boolean admits(long base) {
            return base >= min && base <= max - size && Math.floorMod(base, align) == phase
                    && (nocross == 0 || base / nocross == (base + size - 1) / nocross);
        }

        boolean plain(long quantum) {
            return align == quantum && phase == 0 && nocross == 0 && min == 0 && max == roundDown(Long.MAX_VALUE, quantum);
        }
    }

    /** The lowest admissible start over all ranges, or {@link #NONE}. */
    static long lowestAnywhere(List<Range> ranges, RoundedRequest r) {
        for (Range range : ranges) {
            long s = r.lowestIn(range);
            if (s != NONE) {
                return s;
            }
        }
        return NONE;
    }

    /** Where NEXT_FIT must place {@code r}: lowest start at or after the rotor, else lowest overall. */
    static long nextFitExpected(List<Range> ranges, long rotor, RoundedRequest r) {
        for (Range range : ranges) {
            if (range.end > rotor) {
                long s = r.lowestFrom(range, rotor);
                if (s != NONE) {
                    return s;
                }
            }
        }
        return lowestAnywhere(ranges, r);
    }

    /** Free ranges: every span minus the live blocks, address-ordered. */
    static List<Range> freeRanges(TreeMap<Long, Long> spans, TreeMap<Long, Block> live) {
        List<Range> out = new ArrayList<>();
        for (Map.Entry<Long, Long> span : spans.entrySet()) {
            long cursor = span.getKey();
            long end = span.getKey() + span.getValue();
            for (Block b : live.subMap(span.getKey(), true, end, false).values()) {
                if (b.base > cursor) {
                    out.add(new Range(cursor, b.base));
                }
                cursor = b.base + b.size;
            }
            if (cursor < end) {
                out.add(new Range(cursor, end));
            }
        }
        return out;
    }

    /** A live block of the model: its base, the size the caller asked for, and that size rounded. */
    record Block(long base, long requested, long size) {
    }
}

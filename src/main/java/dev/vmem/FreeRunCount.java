package dev.vmem;

import java.util.List;

/**
 * The number of maximal free runs in a {@link QuantumBitmaps}, which with the allocations is the number of
 * segments a boundary-tag list would hold, for the arena's statistics and the dense rule while the span's size
 * classes are not counted (they hold the same number: {@link DenseSpan#freeRuns}). It is counted when asked, in
 * groups of 8 bitmap words (512 quanta): a change only marks its group ({@link #touch}), and a read counts the
 * groups marked since the last one again ({@link #total}).
 *
 * <p>Why not keep the count at every change, from the changed bit's two neighbours: measured on an ID pool's
 * step at 10% full (free a random ID, take the next free one; the bits alone, paired runs in one JVM), that
 * cost as much as the rest of the bits' work, about 10 ns a step, while the count is read rarely. A read costs
 * O(groups changed since the last read) times 8 words, so O(1) amortized over the changes in between. The
 * group size is for readers as frequent as changes: reading the statistics after every step of that pool made
 * the step 3.7 times as long with groups of 64 words, 1.9 times with groups of 8, and 1.4 times with the count
 * kept at every change (paired medians, each against the same build's step without reads). The count the
 * dense rule needs is read only when the operations since it last answered could have changed its answer
 * ({@link SpanForms}).
 *
 * <p>Not thread-safe: the arena's lock is held.
 */
final class FreeRunCount {
    /** log2 of the words in a group. */
    private static final int GROUP_SHIFT = 3;

    private final int words;
    /** Free runs starting in each group of words, as of the group's last count. */
    private final int[] groupRuns;
    /** One bit per group changed since it was last counted. */
    private final long[] dirty;
    /** The groups whose {@link #dirty} bit is set, in {@code pending[0, pendingCount)}: what a read counts. */
    private final int[] pending;
    private int pendingCount;
    /** The sum of {@link #groupRuns}. */
    private long counted;

    /** The count for {@code words} bitmap words, every group still to be counted. */
    FreeRunCount(int words) {
        this.words = words;
        int groups = (words + (1 << GROUP_SHIFT) - 1) >>> GROUP_SHIFT;
        this.groupRuns = new int[groups];
        this.dirty = new long[(groups + 63) >>> 6];
        this.pending = new int[groups];
        for (int g = 0; g < groups; g++) {
            mark(g);
        }
    }

    /**
     * After a change of the bits {@code mask} of word {@code w}: marks the word's group to be counted again and,
     * if the change reaches the word's last bit and the next word opens another group, that group too, whose
     * first quantum's start of a run depends on it. The second test is a branch rather than a second mark
     * every time: measured on an ID pool's step at 10% full (the bits alone, paired runs), marking twice
     * cost 14 ns a step, once 5 ns.
     */
    void touch(int w, long mask) {
        mark(w >>> GROUP_SHIFT);
        if (mask < 0 && ((w + 1) & ((1 << GROUP_SHIFT) - 1)) == 0 && w + 1 < words) {
            mark((w + 1) >>> GROUP_SHIFT);
        }
    }

    private void mark(int g) {
        long bit = 1L << g;
        int t = g >>> 6;
        if ((dirty[t] & bit) == 0) {
            dirty[t] |= bit;
            pending[pendingCount++] = g;
        }
    }

    /** The free runs of {@code bits}, counting the groups changed since the last call. */
    long total(QuantumBitmaps bits) {
        for (int k = 0; k < pendingCount; k++) {
            int g = pending[k];
            dirty[g >>> 6] &= ~(1L << g);
            int runs = count(bits, g);
            counted += runs - groupRuns[g];
            groupRuns[g] = runs;
        }
        pendingCount = 0;
        return counted;
    }

    /**
     * Free runs starting in group {@code g}: free quanta whose predecessor is used, or that are the span's first.
     * The bits past the span's end are used, so they start no run.
     */
    private int count(QuantumBitmaps bits, int g) {
        int from = g << GROUP_SHIFT;
        int to = Math.min(words, from + (1 << GROUP_SHIFT));
        long carry = from == 0 ? 1 : bits.usedWord(from - 1) >>> 63;
        int runs = 0;
        for (int w = from; w < to; w++) {
            long used = bits.usedWord(w);
            runs += Long.bitCount(~used & ((used << 1) | carry));
            carry = used >>> 63;
        }
        return runs;
    }

    /** Adds to {@code problems} what is wrong with the counts of the groups not changed since they were counted. */
    void check(String where, QuantumBitmaps bits, List<String> problems) {
        long sum = 0;
        int marked = 0;
        for (int g = 0; g < groupRuns.length; g++) {
            sum += groupRuns[g];
            if ((dirty[g >>> 6] & (1L << g)) != 0) {
                marked++;
            } else if (groupRuns[g] != count(bits, g)) {
                problems.add(where + ": group " + g + " counts " + groupRuns[g] + " free runs, its words hold "
                        + count(bits, g));
            }
        }
        if (sum != counted) {
            problems.add(where + ": the free-run total is " + counted + ", its groups sum to " + sum);
        }
        if (marked != pendingCount) {
            problems.add(where + ": " + marked + " groups are marked for a count, " + pendingCount + " pending");
        }
    }

    /** Bytes held by the counts and marks. */
    long footprint() {
        return 8L * groupRuns.length + 8L * dirty.length;
    }
}

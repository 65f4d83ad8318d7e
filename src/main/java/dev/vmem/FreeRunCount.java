package dev.vmem;

import java.util.List;

/**
 * The number of maximal free runs in a {@link QuantumBitmaps}, which with the allocations is the number of
 * segments a boundary-tag list would hold, for the arena's statistics and the dense rule. It is counted when
 * asked, in groups of 64 bitmap words: a change only marks its group ({@link #touch}), and a read counts the
 * groups marked since the last one again ({@link #total}).
 *
 * <p>Why not keep the count at every change, from the changed bit's two neighbours: measured on an ID pool's
 * step at 10% full (free a random ID, take the next free one; the bits alone, paired runs in one JVM), that
 * cost as much as the rest of the bits' work, about 10 ns a step, while the count is read rarely. A read costs
 * O(groups changed since the last read) times 64 words, so O(1) amortized over the changes in between; the
 * count the dense rule needs is read only when the operations since it last answered could have changed its
 * answer ({@link SpanForms}).
 *
 * <p>Not thread-safe: the arena's lock is held.
 */
final class FreeRunCount {
    private final int words;
    /** Free runs starting in each group of 64 words, as of the group's last count. */
    private final int[] groupRuns;
    /** One bit per group whose words changed since it was last counted; one spare past the last group. */
    private final long[] dirty;
    /** The sum of {@link #groupRuns}. */
    private long counted;

    /** The count for {@code words} bitmap words, every group still to be counted. */
    FreeRunCount(int words) {
        this.words = words;
        this.groupRuns = new int[(words + 63) >>> 6];
        this.dirty = new long[(groupRuns.length + 64) >>> 6];
        for (int w = 0; w < words; w += 64) {
            touch(w);
        }
    }

    /**
     * Marks word {@code w}'s group to be counted again, and the next word's group: whether that word's first
     * quantum starts a run depends on this word's last. Two writes to a small array, no branch.
     */
    void touch(int w) {
        int g = w >>> 6;
        dirty[g >>> 6] |= 1L << g;
        int next = (w + 1) >>> 6;
        dirty[next >>> 6] |= 1L << next;
    }

    /** The free runs of {@code bits}, counting the groups changed since the last call. */
    long total(QuantumBitmaps bits) {
        for (int t = 0; t < dirty.length; t++) {
            for (long marked = dirty[t]; marked != 0; marked &= marked - 1) {
                int g = (t << 6) + Long.numberOfTrailingZeros(marked);
                if (g < groupRuns.length) {
                    int runs = count(bits, g);
                    counted += runs - groupRuns[g];
                    groupRuns[g] = runs;
                }
            }
            dirty[t] = 0;
        }
        return counted;
    }

    /**
     * Free runs starting in group {@code g}: free quanta whose predecessor is used, or that are the span's first.
     * The bits past the span's end are used, so they start no run.
     */
    private int count(QuantumBitmaps bits, int g) {
        int from = g << 6;
        int to = Math.min(words, from + 64);
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
        for (int g = 0; g < groupRuns.length; g++) {
            sum += groupRuns[g];
            if ((dirty[g >>> 6] & (1L << g)) == 0 && groupRuns[g] != count(bits, g)) {
                problems.add(where + ": group " + g + " counts " + groupRuns[g] + " free runs, its words hold "
                        + count(bits, g));
            }
        }
        if (sum != counted) {
            problems.add(where + ": the free-run total is " + counted + ", its groups sum to " + sum);
        }
    }

    /** Bytes held by the counts and marks. */
    long footprint() {
        return 4L * groupRuns.length + 8L * dirty.length;
    }
}

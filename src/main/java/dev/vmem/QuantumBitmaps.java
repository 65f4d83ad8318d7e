package dev.vmem;

import java.util.List;

/**
 * The bits of a dense span ({@link DenseSpan}): for each quantum whether it is allocated ({@code used}) and
 * whether an allocation starts there ({@code starts}), with the summaries that make searching them word
 * operations. This class knows bits and words, not allocations: those are {@link DenseSpan}'s. It says how
 * many free runs the bits hold, through {@link FreeRunCount}, which counts them when asked.
 *
 * <p>The two bitmaps are separate arrays, and the starts one exists only while it is kept (below), so an ID pool's
 * span holds one bit per quantum and its summaries: half the memory, and half the cache lines, of the two bitmaps
 * interleaved word by word as they were before. Two summaries, one bit
 * per bitmap word, mark words with no free quantum ({@link #full}, skipped when looking for free space)
 * and words with none allocated ({@link #empty}, skipped when looking for the end of a free run). Each has a
 * top level, one bit per summary word that is all ones, so a search crosses 262,144 quanta of full (or
 * empty) space per word it reads. Bits past the span's end are used and start nothing, so no search needs
 * a bound check inside a word.
 *
 * <p>While every allocation is one quantum (an ID pool's case) the starts bitmap says nothing the used one
 * does not, so it is not kept: every used quantum is a start ({@link #startsKept()} false). The first larger
 * allocation rebuilds it from the used bitmap ({@link #keepStarts}, O(words), a new array), and
 * {@link DenseSpan} lets it go again once the larger ones are gone and enough one-quantum operations have paid for
 * the rebuild. Measured on the bits of an ID pool's step at 10% full (free a random ID, take the next free one;
 * paired runs in one JVM): 15% less time without the starts bitmap's writes and the second word the one-quantum
 * check reads.
 *
 * <p>Indices are quanta from the span's base. Not thread-safe: the arena's lock is held.
 */
final class QuantumBitmaps {
    /** The number of quanta. */
    final long quanta;
    private final int words;
    /** Bit {@code i}: quantum {@code i} is allocated. */
    private final long[] used;
    /**
     * Bit {@code i}: an allocation starts at quantum {@code i}. Null while not kept ({@link #startsKept()}), when
     * every used quantum starts a one-quantum allocation.
     */
    private long[] starts;
    private final long[] full;
    private final long[] empty;
    private final long[] fullTop;
    private final long[] emptyTop;
    /** The free runs, counted when asked. */
    private final FreeRunCount runs;

    /** {@code quanta} quanta, all free. */
    QuantumBitmaps(long quanta) {
        this.quanta = quanta;
        this.words = (int) ((quanta + 63) >>> 6);
        this.used = new long[words];
        this.full = new long[(words + 63) >>> 6];
        this.empty = new long[(words + 63) >>> 6];
        this.fullTop = new long[(full.length + 63) >>> 6];
        this.emptyTop = new long[(full.length + 63) >>> 6];
        this.runs = new FreeRunCount(words);
        int tail = (int) (quanta & 63);
        if (tail != 0) {
            used[words - 1] = -1L << tail;
        }
        for (int w = 0; w < words; w++) {
            summarize(w);
        }
    }

    boolean isUsed(long i) {
        return (used[(int) (i >>> 6)] & (1L << i)) != 0;
    }

    /** Whether an allocation starts at quantum {@code i}, which is in the span. */
    boolean isStart(long i) {
        return startsKept() ? (starts[(int) (i >>> 6)] & (1L << i)) != 0 : isUsed(i);
    }

    /** Whether the starts bitmap is kept, that is, whether an allocation may be longer than one quantum. */
    boolean startsKept() {
        return starts != null;
    }

    /** The number of bitmap words: what rebuilding the starts bitmap costs. */
    int words() {
        return words;
    }

    /**
     * Keeps the starts bitmap, rebuilding it from the used bitmap if it was not kept (every used quantum a
     * start), before an allocation longer than one quantum; returns whether it rebuilt it.
     */
    boolean keepStarts() {
        if (starts != null) {
            return false;
        }
        long[] rebuilt = new long[words]; // may throw: nothing has changed yet
        System.arraycopy(used, 0, rebuilt, 0, words);
        int tail = (int) (quanta & 63);
        if (tail != 0) {
            rebuilt[words - 1] &= ~(-1L << tail);
        }
        starts = rebuilt;
        return true;
    }

    /** Stops keeping the starts bitmap; every allocation must be one quantum. */
    void dropStarts() {
        starts = null;
    }

    /** The first free quantum at or after {@code i}, or {@link #quanta}. */
    long nextFree(long i) {
        if (i >= quanta) {
            return quanta;
        }
        int w = (int) (i >>> 6);
        long bits = ~used[w] & (-1L << i);
        if (bits == 0) {
            w = nextClear(full, fullTop, w + 1);
            if (w >= words) {
                return quanta;
            }
            bits = ~used[w];
        }
        return ((long) w << 6) + Long.numberOfTrailingZeros(bits);
    }

    /** The first allocated quantum at or after {@code i}, or {@link #quanta}. */
    long nextUsed(long i) {
        if (i >= quanta) {
            return quanta;
        }
        int w = (int) (i >>> 6);
        long bits = used[w] & (-1L << i);
        if (bits == 0) {
            w = nextClear(empty, emptyTop, w + 1);
            if (w >= words) {
                return quanta;
            }
            bits = used[w];
        }
        return Math.min(quanta, ((long) w << 6) + Long.numberOfTrailingZeros(bits));
    }

    /** The last allocated quantum at or before {@code i}, or -1. */
    long previousUsed(long i) {
        if (i < 0) {
            return -1;
        }
        int w = (int) (i >>> 6);
        long bits = used[w] & (-1L >>> (63 - (i & 63)));
        if (bits == 0) {
            w = previousClear(empty, emptyTop, w - 1);
            if (w < 0) {
                return -1;
            }
            bits = used[w];
        }
        return ((long) w << 6) + 63 - Long.numberOfLeadingZeros(bits);
    }

    /** The last word at or before {@code w} whose bit in {@code summary} (over {@code top}) is clear, or -1. */
    private static int previousClear(long[] summary, long[] top, int w) {
        if (w < 0) {
            return -1;
        }
        int s = w >>> 6;
        long bits = ~summary[s] & (-1L >>> (63 - (w & 63)));
        if (bits == 0) {
            s = previousClearBit(top, s - 1);
            if (s < 0) {
                return -1;
            }
            bits = ~summary[s];
        }
        return (s << 6) + 63 - Long.numberOfLeadingZeros(bits);
    }

    /** The last clear bit of {@code bitmap} at or before {@code i}, or -1. */
    private static int previousClearBit(long[] bitmap, int i) {
        if (i < 0) {
            return -1;
        }
        int t = i >>> 6;
        long bits = ~bitmap[t] & (-1L >>> (63 - (i & 63)));
        while (bits == 0) {
            if (--t < 0) {
                return -1;
            }
            bits = ~bitmap[t];
        }
        return (t << 6) + 63 - Long.numberOfLeadingZeros(bits);
    }

    /** The first clear bit of {@code bitmap} at or after {@code i}, or at least {@code 64 * bitmap.length}. */
    private static int nextClearBit(long[] bitmap, int i) {
        int t = i >>> 6;
        if (t >= bitmap.length) {
            return bitmap.length << 6;
        }
        long bits = ~bitmap[t] & (-1L << i);
        while (bits == 0) {
            if (++t == bitmap.length) {
                return bitmap.length << 6;
            }
            bits = ~bitmap[t];
        }
        return (t << 6) + Long.numberOfTrailingZeros(bits);
    }

    /** The first word at or after {@code w} whose bit in {@code summary} (over {@code top}) is clear, or at least {@link #words}. */
    private int nextClear(long[] summary, long[] top, int w) {
        int s = w >>> 6;
        if (s >= summary.length) {
            return words;
        }
        long bits = ~summary[s] & (-1L << w);
        if (bits == 0) {
            s = nextClearBit(top, s + 1);
            if (s >= summary.length) {
                return words;
            }
            bits = ~summary[s];
        }
        return (s << 6) + Long.numberOfTrailingZeros(bits);
    }

    /** The first word at or after {@code w} with no allocated quantum, or {@link #words}: a scan of a summary. */
    int nextEmptyWord(int w) {
        for (int s = w >>> 6; s < empty.length; s++) {
            long set = s == w >>> 6 ? empty[s] & (-1L << w) : empty[s]; // bits past the last word stay clear
            if (set != 0) {
                return (s << 6) + Long.numberOfTrailingZeros(set);
            }
        }
        return words;
    }

    /** The end of the allocation starting at {@code i}: the next start or free quantum. O(its length / 64). */
    long allocationEnd(long i) {
        if (!startsKept()) {
            return i + 1;
        }
        for (long j = i + 1; j < quanta; j = (j | 63) + 1) {
            int w = (int) (j >>> 6);
            long bits = (starts[w] | ~used[w]) & (-1L << j);
            if (bits != 0) {
                return Math.min(quanta, ((long) w << 6) + Long.numberOfTrailingZeros(bits));
            }
        }
        return quanta;
    }

    /** Marks an allocation starting at {@code i}, or ({@code start} false) none; the starts bitmap is kept. */
    void start(long i, boolean start) {
        assert starts != null : i;
        int w = (int) (i >>> 6);
        starts[w] = start ? starts[w] | (1L << i) : starts[w] & ~(1L << i);
    }

    /**
     * Whether an allocation of one quantum starts at {@code i}: its start bit, then the span's end, a free
     * quantum or another start (the padding past the end is used and starts nothing, so the end is asked first).
     */
    boolean isSingle(long i) {
        if (!startsKept()) {
            return isUsed(i);
        }
        if ((starts[(int) (i >>> 6)] & (1L << i)) == 0) {
            return false;
        }
        if (i + 1 >= quanta) {
            return true;
        }
        int next = (int) ((i + 1) >>> 6);
        return (((starts[next] | ~used[next]) >>> (i + 1)) & 1) != 0;
    }

    /**
     * Marks quantum {@code i}, free, as a one-quantum allocation: {@link #setRange} and {@link #start} for the common
     * case of an ID pool, without the range's loop and masks. Its own word update rather than {@link #setWord}'s:
     * the JIT decides what to compile in line from how often each call was taken, and a summary change, rare here,
     * is frequent in a range's; kept out of line, it leaves this small enough to compile into its callers.
     */
    void takeOne(long i) {
        int w = (int) (i >>> 6);
        long before = used[w];
        long after = before | (1L << i);
        used[w] = after;
        runs.touch(w, 1L << i);
        if (after == -1L || before == 0) {
            flipOne(w, after == -1L);
        }
        long[] kept = starts;
        if (kept != null) {
            kept[w] |= 1L << i;
        }
    }

    /** Frees quantum {@code i}, a one-quantum allocation: the reverse of {@link #takeOne}. */
    void releaseOne(long i) {
        int w = (int) (i >>> 6);
        long before = used[w];
        long after = before & ~(1L << i);
        used[w] = after;
        runs.touch(w, 1L << i);
        if (before == -1L || after == 0) {
            flipOne(w, before == -1L);
        }
        long[] kept = starts;
        if (kept != null) {
            kept[w] &= ~(1L << i);
        }
    }

    /** The maximal free runs: with the allocations, the segments a boundary-tag list would hold. */
    long freeRuns() {
        return runs.total(this);
    }

    /** Word {@code w} of the used bitmap. */
    long usedWord(int w) {
        return used[w];
    }

    /** Marks quanta {@code [from, to)} allocated, or ({@code value} false) free. */
    void setRange(long from, long to, boolean value) {
        int first = (int) (from >>> 6);
        int last = (int) ((to - 1) >>> 6);
        for (int w = first; w <= last; w++) {
            long mask = -1L;
            if (w == first) {
                mask &= -1L << from;
            }
            if (w == last) {
                mask &= -1L >>> (63 - ((to - 1) & 63));
            }
            setWord(w, mask, value);
        }
    }

    private void setWord(int w, long mask, boolean value) {
        long before = used[w];
        long after = value ? before | mask : before & ~mask;
        used[w] = after;
        runs.touch(w, mask);
        summarizeChange(w, before, after);
    }

    /**
     * After a one-bit change of word {@code w} made it full or stopped it being full ({@code full}), or made it
     * empty or stopped it being empty: the summary bit that changed. A one-bit change cannot do both (the padding
     * keeps a word of one quantum from being empty), so this is one call where {@link #summarizeChange} has two.
     */
    private void flipOne(int w, boolean full) {
        flip(full ? this.full : empty, full ? fullTop : emptyTop, w);
    }

    /**
     * After word {@code w} changed from {@code before} to {@code after}: its summary bits, where they changed. A
     * summary bit changes only when its word becomes, or stops being, all used (full) or all free (empty).
     */
    private void summarizeChange(int w, long before, long after) {
        if ((before == -1L) != (after == -1L)) {
            flip(full, fullTop, w);
        }
        if ((before == 0) != (after == 0)) {
            flip(empty, emptyTop, w);
        }
    }

    /**
     * Toggles word {@code w}'s bit in {@code summary}, and its summary word's bit in {@code top} when that word
     * becomes or stops being all ones.
     */
    private static void flip(long[] summary, long[] top, int w) {
        int s = w >>> 6;
        long was = summary[s];
        long now = was ^ (1L << w);
        summary[s] = now;
        if (was == -1L || now == -1L) {
            top[s >>> 6] ^= 1L << s;
        }
    }

    private void summarize(int w) {
        long bit = 1L << w;
        int s = w >>> 6;
        long wasFull = full[s];
        long wasEmpty = empty[s];
        full[s] = used[w] == -1L ? wasFull | bit : wasFull & ~bit;
        empty[s] = used[w] == 0 ? wasEmpty | bit : wasEmpty & ~bit;
        if (wasFull == -1L || full[s] == -1L || wasEmpty == -1L || empty[s] == -1L) {
            long topBit = 1L << s;
            int t = s >>> 6;
            fullTop[t] = full[s] == -1L ? fullTop[t] | topBit : fullTop[t] & ~topBit;
            emptyTop[t] = empty[s] == -1L ? emptyTop[t] | topBit : emptyTop[t] & ~topBit;
        }
    }

    /** Adds to {@code problems} what is inconsistent: padding, start bits, summaries. */
    void check(String where, List<String> problems) {
        int tail = (int) (quanta & 63);
        long padding = tail == 0 ? 0 : -1L << tail;
        if ((used[words - 1] & padding) != padding
                || startsKept() && (starts[words - 1] & padding) != 0) {
            problems.add(where + ": the bits past the span's end are not used-and-unstarted");
        }
        runs.check(where, this, problems);
        for (int w = 0; w < words; w++) {
            if (startsKept()) {
                checkStarts(where, w, padding, problems);
            }
            int s = w >>> 6;
            if (((fullTop[s >>> 6] >>> s) & 1) != (full[s] == -1L ? 1 : 0)
                    || ((emptyTop[s >>> 6] >>> s) & 1) != (empty[s] == -1L ? 1 : 0)) {
                problems.add(where + ": the top summary bits over word " + w + " are wrong");
            }
            boolean isFull = (full[w >>> 6] & (1L << w)) != 0;
            boolean isEmpty = (empty[w >>> 6] & (1L << w)) != 0;
            if (isFull != (used[w] == -1L) || isEmpty != (used[w] == 0)) {
                problems.add(where + ": the summary bits of word " + w + " are wrong");
            }
        }
    }

    /** Adds to {@code problems} what is wrong with word {@code w} of the kept starts bitmap. */
    private void checkStarts(String where, int w, long padding, List<String> problems) {
        if ((starts[w] & ~used[w]) != 0) {
            problems.add(where + ": a start bit on a free quantum in word " + w);
        }
        long word = used[w];
        long firstOfRuns = word & ~((word << 1) | (w == 0 ? 0 : used[w - 1] >>> 63))
                & (w == words - 1 ? ~padding : -1L);
        if ((firstOfRuns & ~starts[w]) != 0) {
            problems.add(where + ": a run of allocated quanta without a start in word " + w);
        }
    }

    /** Bytes held by the bitmaps and summaries. */
    long footprint() {
        long words = used.length + (starts == null ? 0 : starts.length) + 2L * full.length + 2L * fullTop.length;
        return 8L * words + runs.footprint();
    }
}

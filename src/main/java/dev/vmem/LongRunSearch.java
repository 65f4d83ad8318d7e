package dev.vmem;

/**
 * Finds the free runs of a dense span long enough for a block, passing over shorter ones a bitmap word at a time.
 * A search for {@code k} quanta cannot use a run of fewer; walking every run to find that out costs a span full
 * of single holes a visit per hole (half a million in a span of 2^20 quanta), where this costs a few word
 * operations per word that is not full, and a summary read to cross the rest.
 *
 * <p>Within a word the runs that do not reach its top bit are whole, so those of {@code k} or more are found by
 * shifting and masking ({@link #windows}); the run that reaches the top may go on into the next words, so it is
 * measured with {@link QuantumBitmaps#nextUsed}, which crosses long free stretches through the summaries.
 *
 * <p>It remembers the end of the run it found where it measured it, so that a search that goes on to look at that
 * run ({@link #end}) does not measure it again: where most runs are long enough for the block but refuse it (an
 * alignment, say), that is most of what a run costs.
 *
 * <p>Indices are quanta from the span's base. Not thread-safe: the arena's lock is held.
 */
final class LongRunSearch {
    private final QuantumBitmaps bits;
    /** The run {@link #from} found last, and its end, or -1 if it did not measure it. */
    private long foundStart = -1;
    private long foundEnd = -1;

    LongRunSearch(QuantumBitmaps bits) {
        this.bits = bits;
    }

    /**
     * The first index {@code j >= i} that begins at least {@code k >= 1} free quanta and is {@code i} or follows
     * an allocated quantum, or {@code bits.quanta} if none does: the start of the first free run of {@code k} or
     * more quanta, counting quanta below {@code i} as allocated. With {@code k == 1}, {@link QuantumBitmaps#nextFree}.
     */
    long from(long i, long k) {
        long first = bits.nextFree(i);
        if (first >= bits.quanta) {
            return found(first, -1);
        }
        long end = bits.nextUsed(first);
        if (end - first >= k) { // where most runs are long enough, this is all a run costs, as in a walk of them
            return found(first, end);
        }
        long next = bits.nextFree(end);
        return k >= 127 ? throughEmptyWords(next, k) : throughWords(next, k);
    }

    /**
     * The end of the free run from {@code j}, a free quantum: the first allocated quantum after it, or
     * {@code bits.quanta}. Asked of the run {@link #from} just found, with nothing changed since, it is remembered.
     */
    long end(long j) {
        return j == foundStart && foundEnd >= 0 ? foundEnd : bits.nextUsed(j);
    }

    /**
     * {@link #from} for {@code k < 127} from {@code i}, free or the span's end: word by word through the words not
     * full.
     */
    private long throughWords(long i, long k) {
        for (; i < bits.quanta; i = bits.nextFree(i)) {
            int w = (int) (i >>> 6);
            long free = ~bits.usedWord(w) & (-1L << i);
            // The run reaching bit 63, if any: its leading ones. ~free is 0 when the word is free from bit 0 up.
            long top = free < 0 ? -1L << (64 - Long.numberOfLeadingZeros(~free)) : 0;
            long inner = windows(free & ~top, k);
            if (inner != 0) {
                int p = Long.numberOfTrailingZeros(inner); // a whole run below the top one: it ends at its first zero
                return found(((long) w << 6) + p, ((long) w << 6) + p + Long.numberOfTrailingZeros(~(free >>> p)));
            }
            if (top == 0) {
                i = (long) (w + 1) << 6;
                continue;
            }
            long start = ((long) w << 6) + Long.numberOfTrailingZeros(top);
            // Most such runs end in the next word; only one that crosses it whole needs the summaries to measure.
            int next = w + 1 < bits.words() ? Long.numberOfTrailingZeros(bits.usedWord(w + 1)) : 0;
            long end = next < 64 ? ((long) (w + 1) << 6) + next : bits.nextUsed(start);
            if (end - start >= k) {
                return found(start, end);
            }
            i = end;
        }
        return found(bits.quanta, -1);
    }

    /**
     * {@link #from} for {@code k >= 127} from {@code start}, free or the span's end. Such a run holds a whole
     * bitmap word, which is empty; so past a run shorter than 127 the search goes to the next empty word by the
     * summary of empty words (a long per 64 words, read from the next free quantum on), not through every word
     * that is not full. Past a longer run it reads the next run directly, which costs no more than the summary
     * would.
     */
    private long throughEmptyWords(long start, long k) {
        while (start < bits.quanta) {
            long end = bits.nextUsed(start);
            if (end - start >= k) {
                return found(start, end);
            }
            if (end - start >= 127) {
                start = bits.nextFree(end);
                continue;
            }
            int w = bits.nextEmptyWord((int) (bits.nextFree(end) >>> 6));
            if (w >= bits.words()) {
                break;
            }
            start = bits.previousUsed((long) w << 6) + 1; // past end: the runs between hold no empty word
        }
        return found(bits.quanta, -1);
    }

    private long found(long start, long end) {
        foundStart = start;
        foundEnd = end;
        return start;
    }

    /**
     * The bits {@code p} of {@code runs} (a word whose bit 63 is clear) that begin {@code k} set bits in a row.
     * The lowest of them begins its run: were the bit below it set, that bit would begin {@code k} in a row too.
     */
    static long windows(long runs, long k) {
        if (k > 63) {
            return 0;
        }
        long starts = runs;
        for (long length = 1; length < k && starts != 0; ) {
            long step = Math.min(length, k - length); // a start of length + step: starts at p and at p + step
            starts &= starts >>> step;
            length += step;
        }
        return starts;
    }
}

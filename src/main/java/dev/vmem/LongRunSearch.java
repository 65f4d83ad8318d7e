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
 * <p>Indices are quanta from the span's base. Not thread-safe: the arena's lock is held.
 */
final class LongRunSearch {
    private LongRunSearch() {
    }

    /**
     * The first index {@code j >= i} that begins at least {@code k >= 1} free quanta and is {@code i} or follows
     * an allocated quantum, or {@code bits.quanta} if none does: the start of the first free run of {@code k} or
     * more quanta, counting quanta below {@code i} as allocated. With {@code k == 1}, {@link QuantumBitmaps#nextFree}.
     */
    static long from(QuantumBitmaps bits, long i, long k) {
        if (k >= 127) {
            return throughEmptyWords(bits, i, k);
        }
        for (i = bits.nextFree(i); i < bits.quanta; i = bits.nextFree(i)) {
            int w = (int) (i >>> 6);
            long free = ~bits.usedWord(w) & (-1L << i);
            // The run reaching bit 63, if any: its leading ones. ~free is 0 when the word is free from bit 0 up.
            long top = free < 0 ? -1L << (64 - Long.numberOfLeadingZeros(~free)) : 0;
            long inner = windows(free & ~top, k);
            if (inner != 0) {
                return ((long) w << 6) + Long.numberOfTrailingZeros(inner);
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
                return start;
            }
            i = end;
        }
        return bits.quanta;
    }

    /**
     * {@link #from} for {@code k >= 127}: such a run holds a whole bitmap word, which is empty, so the search goes
     * from one empty word to the next through the summary, not through every word that is not full.
     */
    private static long throughEmptyWords(QuantumBitmaps bits, long i, long k) {
        for (int w = bits.nextEmptyWord((int) Math.min(i >>> 6, bits.words())); w < bits.words(); ) {
            long at = Math.max(i, (long) w << 6);
            long start = Math.max(i, bits.previousUsed(at) + 1);
            long end = bits.nextUsed(at);
            if (end - start >= k) {
                return start;
            }
            w = bits.nextEmptyWord((int) (end >>> 6) + 1); // end is allocated, or the span's end
        }
        return bits.quanta;
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

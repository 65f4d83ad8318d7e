package dev.vmem;

/**
 * When a span changes form (see {@link SpanForms}). A span enters dense form when it holds at least
 * {@code enterMinimum} live allocations, at least one per {@code enterShare} quanta, of at most
 * {@code enterMean} quanta on average, with a free gap for every {@code enterPerGap} of them at most; it
 * leaves it when it holds fewer than one per {@code leaveShare} quanta, more than {@code leaveMean} quanta
 * on average, or more than {@code leavePerGap} allocations per gap. The distance between the two sets of
 * bounds is the hysteresis: a span converted one way is some way from converting back.
 *
 * <p>A <em>packed</em> span, of at least {@code enterPacked} live allocations with at most {@code enterPackedGaps}
 * free gaps between them, enters however many allocations that is per gap; a dense span of at least
 * {@code leavePacked} with at most {@code leavePackedGaps} gaps does not leave for want of them. Where
 * allocations sit side by side in a large pool, the bitmaps are faster; the gap caps keep out the large pools
 * with many gaps but too few for the per-gap bound, where a dense span's BEST_FIT, which reads every bitmap word
 * that is not full when the runs that fit are shorter than 127 quanta and none has exactly the size asked, would
 * cost far more than the freelists' search of one size class (a BEST_FIT pair of 2 quanta among 200,000 single
 * IDs, 10,000 single gaps and two free runs of 64 and 65: 12.5 to 14.5 us against 91 to 143 ns, in two runs).
 *
 * <p>Why these defaults: a boundary-tag span costs about 54 bytes per live allocation plus a free tag
 * per gap, a dense one a quarter of a byte per quantum whatever it holds. At one allocation per 256
 * quanta the bitmaps already cost about as little (64 bytes per allocation against 54 to 100), and
 * single-quantum traffic is what the bitmaps serve in a few word operations; a span whose allocations
 * grow past 8 quanta on average is better served by the size-class freelists. The gaps matter for speed
 * in small pools: where allocations sit side by side with few gaps between them, the boundary tags'
 * freelist head and neighbour links are O(1) and a little faster than the bitmaps while the tags stay in
 * the processor's caches (measured: an INSTANT_FIT page pair among 10,000 live pages, 51 ns against 72 ns a
 * pair), and NEXT_FIT has few tags to walk; the bitmaps win where the gaps are many. In a large pool the
 * tags no longer fit in the caches and every free and allocation waits for memory: an INSTANT_FIT pool of
 * single IDs with no gap to speak of (free a random one, take one, one span of 1,000,000 IDs) measured
 * about the same in both forms at 20,000 live IDs (117 against 110 ns a step, the rule set to let it in), and
 * the bitmaps 2.8, 2.5 and 2.6 times as fast at 100,000, 500,000 and 900,000 (before and after these bounds,
 * paired runs in one JVM); hence 65,536 to enter and half as many to leave. At most 16 gaps to enter and 64
 * to stay, four times as many, as the other bounds are apart: a BEST_FIT in a packed span reads at most 64 free
 * runs and the words that hold them. Such a span asks the rule every 64 operations or so, since its gaps could
 * pass 64 by then.
 *
 * @param enterMinimum live allocations a span needs before it is considered
 * @param enterShare   at least one live allocation per this many quanta to enter
 * @param enterMean    at most this many quanta per allocation on average to enter
 * @param enterPerGap  at most this many live allocations per free gap to enter
 * @param leaveShare   fewer than one live allocation per this many quanta leaves
 * @param leaveMean    more than this many quanta per allocation on average leaves
 * @param leavePerGap  more than this many live allocations per free gap leaves
 * @param reviewEvery  list-form spans are reviewed after this many allocations in them; 0 (the default)
 *                     for 4,096 or half as many as there are segments, whichever is more, so that a review,
 *                     which walks the list-form segments when the arena's list-form allocations as a whole
 *                     could enter (and at every fourth review otherwise), costs at most two segment visits
 *                     per allocation
 * @param idleAfter    a dense span stops counting its free runs by size class after this many allocations and
 *                     frees with no INSTANT_FIT or BEST_FIT search of it (see {@link DenseSpan}); 0 (the
 *                     default) for 65,536 or the span's quanta, whichever is more
 * @param enterPacked      at least this many live allocations enter, however many per gap, if ...
 * @param enterPackedGaps  ... they have at most this many gaps
 * @param leavePacked      a span of at least this many live allocations does not leave for want of gaps, if ...
 * @param leavePackedGaps  ... it has at most this many
 */
record DenseRule(long enterMinimum, long enterShare, long enterMean, long enterPerGap, long leaveShare,
                 long leaveMean, long leavePerGap, long reviewEvery, long idleAfter, long enterPacked,
                 long enterPackedGaps, long leavePacked, long leavePackedGaps) {

    /** The factors multiply counts of at most {@link DenseSpan#MAX_QUANTA}: kept below 2^36, no overflow. */
    DenseRule {
        for (long factor : new long[] {enterMean, enterPerGap, leaveMean, leavePerGap}) {
            if (factor < 0 || factor > 1L << 36) {
                throw new IllegalArgumentException("dense rule factor=" + factor + " is not in [0, 2^36]");
            }
        }
        if (enterPacked < 0 || leavePacked < 0) {
            throw new IllegalArgumentException("dense rule packed bounds " + enterPacked + ", " + leavePacked
                    + " must not be negative");
        }
        for (long cap : new long[] {enterPackedGaps, leavePackedGaps}) { // no span has more gaps than quanta
            if (cap < 0 || cap > DenseSpan.MAX_QUANTA) {
                throw new IllegalArgumentException("dense rule packed gaps=" + cap + " is not in [0, 2^26]");
            }
        }
        if (enterShare < 1 || leaveShare < 1) {
            throw new IllegalArgumentException("dense rule shares " + enterShare + ", " + leaveShare + " must be positive");
        }
    }

    static final DenseRule DEFAULT = new DenseRule(64, 256, 2, 16, 1024, 8, 64, 0, 0, 1 << 16, 16, 1 << 15, 64);
    /** Never dense: the boundary-tag list alone. */
    static final DenseRule NEVER = new DenseRule(Long.MAX_VALUE, 1, 0, 0, Long.MAX_VALUE, 1L << 36, 0, Long.MAX_VALUE, 0);

    /** A rule whose gap bounds hold for spans of any size: no packed bounds. */
    DenseRule(long enterMinimum, long enterShare, long enterMean, long enterPerGap, long leaveShare, long leaveMean,
              long leavePerGap, long reviewEvery, long idleAfter) {
        this(enterMinimum, enterShare, enterMean, enterPerGap, leaveShare, leaveMean, leavePerGap, reviewEvery,
                idleAfter, Long.MAX_VALUE, 0, Long.MAX_VALUE, 0);
    }

    /** Allocations between reviews of an arena of {@code segments} segments. */
    long reviewPeriod(long segments) {
        return reviewEvery > 0 ? reviewEvery : Math.max(4096, segments / 2);
    }

    /** Whether a list-form span of {@code quanta} quanta enters dense form. */
    boolean enters(long allocations, long usedQuanta, long gaps, long quanta) {
        return quanta <= DenseSpan.MAX_QUANTA && allocations >= enterMinimum && allocations >= quanta / enterShare
                && mightEnter(allocations, usedQuanta, gaps);
    }

    /**
     * Whether spans holding {@code allocations} live allocations of {@code usedQuanta} quanta with {@code gaps}
     * free gaps between them, together, are small enough on average and gapped (or packed) enough to enter:
     * what a review tests first, on the arena's list-form spans as a whole.
     */
    boolean mightEnter(long allocations, long usedQuanta, long gaps) {
        return usedQuanta <= enterMean * allocations
                && (allocations <= enterPerGap * gaps || allocations >= enterPacked && gaps <= enterPackedGaps);
    }

    /** Whether a dense span leaves; {@code below} is {@link #leaveBelow} of its size, worked out once. */
    boolean leaves(long allocations, long usedQuanta, long gaps, long below) {
        return allocations < below || usedQuanta > leaveMean * allocations
                || allocations > leavePerGap * gaps && (allocations < leavePacked || gaps > leavePackedGaps);
    }

    /**
     * How many one-quantum allocations or frees a dense span that does not leave now can take before it might:
     * each moves the allocations and the used quanta by one and the gaps by at most one, so each bound of
     * {@link #leaves} is that many steps away at least. At least 1.
     */
    long singlesBeforeLeaving(long allocations, long usedQuanta, long gaps, long below) {
        long steps = allocations - below + 1;
        if (leaveMean != 1) {
            steps = Math.min(steps, (leaveMean * allocations - usedQuanta) / Math.abs(leaveMean - 1) + 1);
        }
        return Math.max(1, Math.min(steps, stepsToFewGaps(allocations, gaps)));
    }

    /**
     * The fewest one-quantum operations after which a span could have more than {@code leavePerGap} allocations
     * per gap, and either fewer than {@code leavePacked} of them or more than {@code leavePackedGaps} gaps. For
     * the first, allocations must fall to {@code leavePacked - 1} and the gaps close until that many are over
     * the bound; for the second, the gaps must grow past {@code leavePackedGaps} and the allocations grow over
     * the bound for that many. Each term is a step count every such sequence needs, so the answer is never too
     * long; it is exact up to the parity of the moves.
     */
    private long stepsToFewGaps(long allocations, long gaps) {
        long perGap = (leavePerGap * gaps - allocations) / (leavePerGap + 1) + 1; // allocations up, gaps closing
        if (leavePacked == Long.MAX_VALUE) {
            return perGap;
        }
        long fewEnough = allocations - leavePacked + 1;
        long overWithFew = leavePerGap == 0 ? 1 : (leavePerGap * gaps - leavePacked + 1) / leavePerGap + 1;
        long gapsGrown = leavePackedGaps + 1 - gaps;
        long overWithMoreGaps = leavePerGap * (leavePackedGaps + 1) - allocations + 1;
        return Math.min(Math.max(perGap, Math.max(fewEnough, overWithFew)),
                Math.max(perGap, Math.max(gapsGrown, overWithMoreGaps)));
    }

    /** Fewer live allocations than this make a span of {@code quanta} leave dense form. */
    long leaveBelow(long quanta) {
        return quanta / leaveShare;
    }
}

package dev.vmem;

/**
 * When a span changes form (see {@link SpanForms}). A span enters dense form when it holds at least
 * {@code enterMinimum} live allocations, at least one per {@code enterShare} quanta, of at most
 * {@code enterMean} quanta on average; it leaves it when it holds fewer than one per {@code leaveShare}
 * quanta or more than {@code leaveMean} on average. The gaps between the two sets of bounds are the
 * hysteresis: a span converted one way is some way from converting back.
 *
 * <p>Why these defaults: a boundary-tag span costs about 54 bytes per live allocation plus a free tag
 * per gap, a dense one a quarter of a byte per quantum whatever it holds. At one allocation per 256
 * quanta the bitmaps already cost about as little (64 bytes per allocation against 54 to 100), and
 * single-quantum traffic is what the bitmaps serve in a few word operations; a span whose allocations
 * grow past 8 quanta on average is better served by the size-class freelists.
 *
 * @param enterMinimum live allocations a span needs before it is considered
 * @param enterShare   at least one live allocation per this many quanta to enter
 * @param enterMean    at most this many quanta per allocation on average to enter
 * @param leaveShare   fewer than one live allocation per this many quanta leaves
 * @param leaveMean    more than this many quanta per allocation on average leaves
 * @param reviewEvery  list-form spans are reviewed after this many allocations in them; 0 (the default)
 *                     for 4,096 or half as many as there are segments, whichever is more, so that a review,
 *                     which walks the list-form segments when their mean allocation is small enough to
 *                     enter, costs at most two segment visits per allocation
 */
record DenseRule(long enterMinimum, long enterShare, long enterMean, long leaveShare, long leaveMean,
                 long reviewEvery) {

    /** The means are multiplied by counts of at most {@link DenseSpan#MAX_QUANTA}: kept below 2^36, no overflow. */
    DenseRule {
        if (enterMean < 0 || enterMean > 1L << 36 || leaveMean < 0 || leaveMean > 1L << 36 || enterShare < 1
                || leaveShare < 1) {
            throw new IllegalArgumentException("bad dense rule " + enterMean + " " + leaveMean);
        }
    }

    static final DenseRule DEFAULT = new DenseRule(64, 256, 2, 1024, 8, 0);
    /** Never dense: the boundary-tag list alone. */
    static final DenseRule NEVER = new DenseRule(Long.MAX_VALUE, 1, 0, Long.MAX_VALUE, 1L << 36, Long.MAX_VALUE);

    /** Allocations between reviews of an arena of {@code segments} segments. */
    long reviewPeriod(long segments) {
        return reviewEvery > 0 ? reviewEvery : Math.max(4096, segments / 2);
    }

    boolean enters(long allocations, long usedQuanta, long quanta) {
        return quanta <= DenseSpan.MAX_QUANTA && allocations >= enterMinimum && allocations >= quanta / enterShare
                && usedQuanta <= enterMean * allocations;
    }

    /** Whether a dense span leaves; {@code below} is {@link #leaveBelow} of its size, worked out once. */
    boolean leaves(long allocations, long usedQuanta, long below) {
        return allocations < below || usedQuanta > leaveMean * allocations;
    }

    /** Fewer live allocations than this make a span of {@code quanta} leave dense form. */
    long leaveBelow(long quanta) {
        return quanta / leaveShare;
    }
}

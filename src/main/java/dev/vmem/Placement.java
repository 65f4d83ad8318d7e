package dev.vmem;

/**
 * The three policies' search: where a block of the given constraints goes, without changing anything.
 * {@link #find} returns the block's start and leaves the free tag holding it in {@link #found}, or
 * returns {@link Arena#NONE}. Every search fails only when no free segment admits the block.
 */
final class Placement {
    private static final long NONE = Arena.NONE;

    private final SegmentList list;
    private final FreeLists freeLists;
    private final SpanForms forms;
    private final long quantum;
    /** The bound a plain request's block must end by: any free segment that holds its size holds it. */
    private final long plainMax;
    /** Output of {@link #find}: the free tag holding the block it placed. */
    Tag found;

    Placement(SegmentList list, FreeLists freeLists, SpanForms forms, long quantum) {
        this.list = list;
        this.freeLists = freeLists;
        this.forms = forms;
        this.quantum = quantum;
        this.plainMax = Fit.roundDown(Constraints.NO_MAX, quantum);
    }

    /**
     * Finds where the block goes under {@code policy}; NEXT_FIT starts from {@code rotor}, walking from
     * {@code rotorHint} (a tag at or below it, or the sentinel).
     */
    long find(Request r, long rotor, Tag rotorHint) {
        switch (r.policy()) {
            case NEXT_FIT:
                return nextFit(r, rotor, rotorHint);
            case BEST_FIT:
                return bestFit(r);
            default:
                return instantFit(r);
        }
    }

    /**
     * The head of the first non-empty class whose every member holds the block. With an alignment, a
     * segment of {@code size + align - quantum} always holds an aligned block (whatever the phase), so the
     * search starts at that size's class, as Bonwick's vmem_xalloc does; otherwise segments of an
     * unaligned start would be passed over one by one. Only bounded requests (nocross, min, max) may
     * need more than the head. Lower classes are searched first fit only when no sure class has room.
     * A dense span's free runs count in their classes as if they were on the lists.
     */
    private long instantFit(Request r) {
        boolean plain = r.align() == quantum && r.nocross() == 0 && r.min() == 0 && r.max() == plainMax;
        long slack = r.align() - quantum;
        long need = r.size() <= Long.MAX_VALUE - slack ? r.size() + slack : Long.MAX_VALUE;
        int sure = FreeLists.firstSureClass(need);
        long classes = freeLists.classesFrom(sure);
        for (int i = 0; !forms.none && i < forms.dense.size(); i++) {
            classes |= forms.dense.get(i).bits.classesFrom(sure);
        }
        for (; classes != 0; classes &= classes - 1) {
            int c = Long.numberOfTrailingZeros(classes);
            Tag head = freeLists.heads[c];
            if (head != null && plain) {
                found = head;
                return head.base;
            }
            long start = firstFitIn(head, r);
            if (start == NONE && !forms.none) {
                start = firstInDense(c, r);
            }
            if (start != NONE) {
                return start;
            }
        }
        for (int c = FreeLists.classOf(r.size()); c < sure && c < FreeLists.CLASSES; c++) {
            long start = firstFitIn(freeLists.heads[c], r);
            if (start == NONE && !forms.none) {
                start = firstInDense(c, r);
            }
            if (start != NONE) {
                return start;
            }
        }
        return NONE;
    }

    /** A block in a free run of class {@code c} of some dense span, as {@link #firstFitIn} finds one on a list. */
    private long firstInDense(int c, Request r) {
        for (int i = 0; i < forms.dense.size(); i++) {
            DenseTag d = forms.dense.get(i);
            long start = d.bits.search.firstInClass(c, r);
            if (start != NONE) {
                found = d;
                return start;
            }
        }
        return NONE;
    }

    private long firstFitIn(Tag head, Request r) {
        for (Tag t = head; t != null; t = t.lnext) {
            long start = r.lowestWithin(t.base, t.end());
            if (start != NONE) {
                found = t;
                return start;
            }
        }
        return NONE;
    }

    private long bestFit(Request r) {
        for (long classes = freeLists.classesFrom(FreeLists.classOf(r.size())); classes != 0; classes &= classes - 1) {
            Tag best = null;
            long bestStart = NONE;
            for (Tag t = freeLists.heads[Long.numberOfTrailingZeros(classes)]; t != null; t = t.lnext) {
                if (best != null && (t.size > best.size || (t.size == best.size && t.base > best.base))) {
                    continue;
                }
                long start = r.lowestWithin(t.base, t.end());
                if (start != NONE) {
                    best = t;
                    bestStart = start;
                }
            }
            if (best != null) {
                found = best;
                return forms.none ? bestStart : bestInDense(r, bestStart);
            }
        }
        return forms.none ? NONE : bestInDense(r, NONE);
    }

    /**
     * The best fit over the dense spans and {@code listStart}, the best in the list (in {@link #found}),
     * or {@link #NONE}: the smallest free segment that admits the block, the lowest on a tie, as if the
     * dense spans' segments were on the freelists. Searches each dense span with a run small enough to beat the
     * best so far ({@link DenseSearch#bestFit}).
     */
    private long bestInDense(Request r, long listStart) {
        long bestSize = listStart == NONE ? Long.MAX_VALUE : found.size;
        long bestBase = listStart == NONE ? Long.MAX_VALUE : found.base;
        long bestStart = listStart;
        int lowest = FreeLists.classOf(r.size());
        for (DenseTag d : forms.dense) {
            long classes = d.bits.classesFrom(lowest);
            if (classes == 0 || (bestSize != Long.MAX_VALUE
                    && Long.numberOfTrailingZeros(classes) > FreeLists.classOf(bestSize))) {
                continue; // no run of this span is as small as the best so far and big enough
            }
            long start = d.bits.search.bestFit(r);
            if (start != NONE && (d.bits.search.bestRunSize < bestSize
                    || (d.bits.search.bestRunSize == bestSize && d.bits.search.bestRunBase < bestBase))) {
                bestSize = d.bits.search.bestRunSize;
                bestBase = d.bits.search.bestRunBase;
                bestStart = start;
                found = d;
            }
        }
        return bestStart;
    }

    private long nextFit(Request r, long rotor, Tag rotorHint) {
        Tag sentinel = list.sentinel;
        // From the rotor to the end of the address space: a block may start no lower than the rotor.
        for (Tag t = rotorHint == sentinel ? sentinel.next : rotorHint; t != sentinel; t = t.next) {
            if ((t.type == Tag.FREE || t.type == Tag.DENSE) && t.end() > rotor) {
                long start = t.type == Tag.FREE ? r.lowestWithin(Math.max(t.base, rotor), t.end())
                        : ((DenseTag) t).bits.search.lowest(r, Math.max(t.base, rotor));
                if (start != NONE) {
                    found = t;
                    return start;
                }
            }
        }
        // Wrapped: from the lowest address up to the segment holding the rotor, which may now be used whole.
        for (Tag t = sentinel.next; t != sentinel && t.base < rotor; t = t.next) {
            if (t.type == Tag.FREE || t.type == Tag.DENSE) {
                long start = t.type == Tag.FREE ? r.lowestWithin(t.base, t.end())
                        : ((DenseTag) t).bits.search.lowest(r, t.base);
                if (start != NONE) {
                    found = t;
                    return start;
                }
            }
        }
        return NONE;
    }
}

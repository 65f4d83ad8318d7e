package dev.vmem;

import java.util.ArrayList;
import java.util.List;

/**
 * The spans of an engine in dense form, and the moves between the two forms. A span is either a run of
 * boundary tags (free ones on the size-class freelists, allocated ones in the allocation table) or one
 * {@link DenseTag}; {@link DenseRule} decides which. The move is exact: the same segments before and
 * after, so no placement depends on the form.
 *
 * <p>Costs: a move is linear in the span's segments plus its bitmap words. A span enters dense form at
 * a review, which walks the list-form spans at most once per {@link DenseRule#reviewPeriod} allocations;
 * it leaves at the allocation or
 * free that crosses the rule's bounds, which are far enough from the entry bounds that a span converted
 * one way needs many operations to convert back.
 *
 * <p>Runs with the arena's lock held. A move allocates everything it needs before it changes a link, so
 * running out of memory leaves the span in its old form.
 */
final class SpanForms {
    /**
     * The most spans held dense at once. INSTANT_FIT and BEST_FIT look at every dense span (the freelists
     * hold no dense run), so their cost grows with the number of dense spans (measured by the review of the
     * dense form: 20,000 small dense spans made an INSTANT_FIT pair take about 99 us); the form pays off
     * for a few large spans, which this bound leaves alone.
     */
    static final int MAX_DENSE_SPANS = 64;

    private final ArenaEngine e;
    private DenseRule rule;
    /** The dense spans, in no order. */
    final List<DenseTag> dense = new ArrayList<>();
    /** Whether any span is dense: the one read the boundary-tag paths pay for the dense form. */
    boolean none = true;
    /** The dense span {@link #holding} found last. */
    private DenseTag last;
    /** List-form allocations left before the next review; the period is set at each review. */
    private long untilReview = 4096;
    /** Reviews in a row that the arena-wide check let off without a walk. */
    private int letOff;
    long moves;
    /** Reviews that walked the list-form spans. */
    long walks;

    SpanForms(ArenaEngine e, DenseRule rule) {
        this.e = e;
        this.rule = rule;
    }

    /** Replaces the rule; for tests that move spans between the forms often, or never. */
    void use(DenseRule newRule) {
        this.rule = newRule;
        this.untilReview = newRule.reviewPeriod(e.segments());
        for (DenseTag d : dense) {
            d.untilRuleCheck = 0; // counted under the old rule
        }
    }

    /** The dense span holding {@code value}, or null. */
    DenseTag holding(long value) {
        if (none) {
            return null;
        }
        DenseTag d = lastHolding(value);
        if (d != null) {
            return d;
        }
        Tag marker = value < 0 ? null : e.list.spanContaining(value);
        if (marker == null || marker.next.type != Tag.DENSE) {
            return null;
        }
        last = (DenseTag) marker.next;
        return last;
    }

    /** The dense span {@link #holding} found last if it holds {@code value}, else null: one range test. */
    DenseTag lastHolding(long value) {
        DenseTag d = last;
        return d != null && value >= d.base && value - d.base < d.size ? d : null;
    }

    /** Allocates {@code [start, start + size)}, free in {@code d}; returns {@code d}. */
    DenseTag allocate(DenseTag d, long start, long size) {
        d.bits.allocate(start, size);
        counted(d, size);
        return d;
    }

    /** Frees the allocation {@code [start, start + size)} of {@code d}. */
    void free(DenseTag d, long start, long size) {
        d.bits.free(start, size);
        counted(d, size);
    }

    /**
     * {@link DenseSpan#takeOneFrom} in {@code d}: the value, or {@link Arena#NONE}. One fewer operation before the rule
     * is asked again, even if none was taken: asking the rule early changes nothing.
     */
    long takeOne(DenseTag d, long from) {
        d.untilRuleCheck--;
        return d.bits.takeOneFrom(from);
    }

    /** {@link DenseSpan#freeOne} in {@code d}; counted as {@link #takeOne} is. */
    boolean freeOne(DenseTag d, long value) {
        d.untilRuleCheck--;
        return d.bits.freeOne(value);
    }

    /**
     * After an allocation or free of {@code size} values in {@code d}: one fewer operation before the rule is
     * asked again, or none if the block was longer than a quantum ({@link DenseRule#singlesBeforeLeaving} counts
     * one-quantum operations only).
     */
    private void counted(DenseTag d, long size) {
        d.untilRuleCheck = size == e.quantum ? d.untilRuleCheck - 1 : 0;
    }

    /**
     * Live allocations in dense spans (the allocation table holds the rest). Summed over at most
     * {@link #MAX_DENSE_SPANS} spans when asked, rather than counted at every operation: the figures are
     * read at reviews and for statistics, the operations are an ID pool's whole cost.
     */
    long allocations() {
        long sum = 0;
        for (int i = 0; i < dense.size(); i++) {
            sum += dense.get(i).bits.allocations;
        }
        return sum;
    }

    /** Values allocated in dense spans; summed as {@link #allocations} is. */
    long allocated() {
        long quanta = 0;
        for (int i = 0; i < dense.size(); i++) {
            quanta += dense.get(i).bits.usedQuanta();
        }
        return quanta << Long.numberOfTrailingZeros(e.quantum);
    }

    /**
     * Segments (allocations and free runs) of the dense spans beyond the one their tags count for in the engine's
     * {@link ArenaEngine#tagSegments}; summed as {@link #allocations} is.
     */
    long segments() {
        long sum = 0;
        for (int i = 0; i < dense.size(); i++) {
            sum += dense.get(i).bits.allocations + dense.get(i).bits.freeRuns() - 1;
        }
        return sum;
    }

    /** Forgets a dense span the engine is removing with everything in it (the engine counts the rest). */
    void forget(DenseTag d) {
        dense.remove(d);
        none = dense.isEmpty();
        if (last == d) {
            last = null;
        }
    }

    /**
     * After an allocation in dense span {@code d}, or ({@code d} null) in boundary tags: moves {@code d} back if it
     * left the rule, or counts towards the next review.
     */
    void allocated(DenseTag d) {
        if (d != null) {
            settle(d);
        } else if (--untilReview <= 0) {
            try {
                review();
            } catch (OutOfMemoryError e) {
                stayPut();
            }
        }
    }

    /**
     * After an allocation or free in dense span {@code d}: moves it back if it left the rule. The rule is asked only
     * once the operations since it last answered could have changed its answer, a count down tested here so that an
     * ID pool's operation pays one comparison for it.
     */
    void settle(DenseTag d) {
        if (d.untilRuleCheck > 0) {
            return;
        }
        try {
            leaveIfDue(d);
        } catch (OutOfMemoryError e) {
            stayPut();
        }
    }

    /**
     * A move ran out of memory. It allocates all it needs before it changes a link, so every span is as it
     * was; the allocation or free it followed has happened and is reported, and must reach its caller rather
     * than be lost to an error from an optimisation. The form is tried again at the next review or operation.
     */
    private void stayPut() {
        untilReview = Math.max(untilReview, 1);
    }

    /** Moves {@code d} back to boundary tags if it left the rule, else sets the count down to the rule's next one. */
    private void leaveIfDue(DenseTag d) {
        DenseSpan b = d.bits;
        long gaps = b.freeRuns();
        if (rule.leaves(b.allocations, b.usedQuanta(), gaps, d.leaveBelow)) {
            toList(d);
        } else {
            d.untilRuleCheck = rule.singlesBeforeLeaving(b.allocations, b.usedQuanta(), gaps, d.leaveBelow);
        }
    }

    /** Moves every list-form span the rule admits to dense form. */
    void review() {
        untilReview = rule.reviewPeriod(e.segments());
        long listAllocations = e.table.size();
        long listGaps = e.tagSegments - dense.size() - listAllocations;
        // While the list-form allocations as a whole are too large or too packed to enter, most reviews stop
        // here in O(1). Every fourth walks anyway: one span may qualify beside others of large blocks. With a
        // single list-form span the figures are that span's own, so no walk can find more.
        if (listAllocations < rule.enterMinimum()) {
            return;
        }
        if (!rule.mightEnter(listAllocations, (e.allocated - allocated()) / e.quantum, listGaps)) {
            if (e.list.spanCount() - dense.size() <= 1 || ++letOff < 4) {
                return;
            }
        }
        letOff = 0;
        walks++;
        int shift = Long.numberOfTrailingZeros(e.quantum);
        List<Tag> markers = new ArrayList<>();
        e.list.spanMarkers().forEach(markers::add); // a move must not disturb the iteration
        for (Tag marker : markers) {
            if (dense.size() >= MAX_DENSE_SPANS) {
                return;
            }
            if (marker.next.type == Tag.DENSE || (marker.size >>> shift) > DenseSpan.MAX_QUANTA) {
                continue;
            }
            long count = 0;
            long quanta = 0;
            long gaps = 0;
            for (Tag t = marker.next; t != e.list.sentinel && !t.isSpan(); t = t.next) {
                if (t.type == Tag.ALLOCATED) {
                    count++;
                    quanta += t.size >>> shift;
                } else {
                    gaps++;
                }
            }
            if (rule.enters(count, quanta, gaps, marker.size >>> shift)) {
                toDense(marker);
            }
        }
    }

    /** Replaces the tags of the span after {@code marker} by one dense tag. */
    void toDense(Tag marker) {
        DenseSpan b = new DenseSpan(marker.base, marker.size, e.quantum, rule.idleAfter());
        DenseTag d = new DenseTag(b, rule.leaveBelow(b.quanta), marker.type == Tag.IMPORTED_SPAN);
        dense.add(d); // may grow the list: before any link changes
        none = false;
        for (Tag t = marker.next; t != e.list.sentinel && !t.isSpan(); t = t.next) {
            if (t.type == Tag.ALLOCATED) {
                b.allocate(t.base, t.size);
            }
        }
        long unlinked = 0;
        for (Tag t = marker.next; t != e.list.sentinel && !t.isSpan(); ) {
            Tag next = t.next;
            if (t.type == Tag.ALLOCATED) {
                e.table.remove(t);
                if (t.quarantined) {
                    e.quarantine.toDense(t);
                }
            } else {
                e.freeLists.remove(t);
            }
            if (e.rotorHint == t) {
                e.rotorHint = marker;
            }
            SegmentList.unlink(t);
            unlinked++;
            t = next;
        }
        SegmentList.insertAfter(d, marker);
        e.tagSegments -= unlinked - 1;
        assert unlinked == b.allocations + b.freeRuns() : unlinked + " " + b.allocations + " " + b.freeRuns();
        moves++;
        e.table.trim(); // last: running out of memory here leaves the move done and the buckets as they were
    }

    /** Replaces dense tag {@code d} by the boundary tags of its segments. */
    void toList(DenseTag d) {
        DenseSpan b = d.bits;
        List<Tag> tags = new ArrayList<>((int) Math.min(Integer.MAX_VALUE - 8, b.allocations + b.freeRuns()));
        b.visit((base, size, isAllocated) -> tags.add(new Tag(isAllocated ? Tag.ALLOCATED : Tag.FREE, base, size)));
        e.table.reserve(e.table.size() + b.allocations);
        Tag marker = d.prev;
        if (e.rotorHint == d) {
            e.rotorHint = marker;
        }
        SegmentList.unlink(d);
        forget(d);
        Tag after = marker;
        for (Tag t : tags) {
            SegmentList.insertAfter(t, after);
            if (t.type == Tag.ALLOCATED) {
                e.table.insert(t);
                if (e.quarantine != null) {
                    e.quarantine.toList(t);
                }
            } else {
                e.freeLists.insert(t);
            }
            after = t;
        }
        e.tagSegments += tags.size() - 1;
        moves++;
    }
}

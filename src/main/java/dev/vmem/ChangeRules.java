package dev.vmem;

/**
 * Whether an {@link ArenaChange} can happen to an arena in a given state: the one statement of what
 * each change requires. Reverting a change (a store taking back a failed operation), restoring a state
 * (a store reopening) and replaying a journal ({@link ArenaReplay}) all ask it, each through a
 * {@link View} of its own structure.
 */
final class ChangeRules {
    private ChangeRules() {
    }

    /** What the rules need to know of an arena; each structure answers in its own way. */
    interface View {
        long quantum();

        boolean hasSource();

        /** Whether {@code [base, base + size)} overlaps a span the arena has (or, while restoring, precedes one). */
        boolean overlapsSpan(long base, long size);

        /** The span that starts at {@code base}, or null. */
        Segment spanAt(long base);

        /** The base of a live allocation inside {@code span}, or -1 if it holds none. */
        long allocationIn(Segment span);

        /** Whether {@code [base, base + size)} lies inside one span. */
        boolean inOneSpan(long base, long size);

        /** Whether {@code [base, base + size)}, inside one span, overlaps a live allocation. */
        boolean overlapsAllocation(long base, long size);

        /** The size of the live allocation that starts at {@code base}, or -1. */
        long liveSize(long base);

        long cursor();
    }

    /** Why {@code change} cannot happen to the arena {@code v} shows, or null if it can. */
    static String whyNot(View v, ArenaChange change) {
        if (change instanceof ArenaChange.SpanAdded a) {
            return whyNotAdd(v, a.base(), a.size(), a.imported());
        }
        if (change instanceof ArenaChange.SpanRemoved r) {
            return whyNotRemove(v, r.base(), r.size(), true);
        }
        if (change instanceof ArenaChange.Allocated a) {
            if (a.size() <= 0 || !aligned(v, a.base(), a.size()) || !v.inOneSpan(a.base(), a.size())) {
                return "allocation lies outside every span or is unaligned";
            }
            return v.overlapsAllocation(a.base(), a.size()) ? "allocation overlaps a live allocation" : null;
        }
        if (change instanceof ArenaChange.Freed f) {
            return f.size() > 0 && v.liveSize(f.base()) == f.size() ? null : "no live allocation of that size";
        }
        ArenaChange.CursorMoved m = (ArenaChange.CursorMoved) change;
        if (m.from() != v.cursor()) {
            return "the cursor is at " + v.cursor();
        }
        return m.to() >= 0 && (m.to() & (v.quantum() - 1)) == 0 ? null
                : "cursor " + m.to() + " is negative or not a multiple of quantum=" + v.quantum();
    }

    /** Why a span {@code [base, base + size)} of the given kind cannot join the arena, or null. */
    static String whyNotAdd(View v, long base, long size, boolean imported) {
        if (size <= 0 || base < 0 || size > Long.MAX_VALUE - base || !aligned(v, base, size)) {
            return "the span is empty, negative, runs past Long.MAX_VALUE or is unaligned";
        }
        if (imported && !v.hasSource()) {
            return "imported span in an arena without a source";
        }
        return v.overlapsSpan(base, size) ? "the span overlaps another" : null;
    }

    /**
     * Why the span at {@code base} cannot leave the arena, or null: it must be there with this size and
     * kind and hold no allocation. (A journal only records imported spans leaving; taking back an added
     * span removes a plain one.)
     */
    static String whyNotRemove(View v, long base, long size, boolean imported) {
        Segment span = v.spanAt(base);
        if (span == null || span.size() != size || (span.kind() == Segment.Kind.IMPORTED_SPAN) != imported) {
            return "no " + (imported ? "imported " : "") + "span of that size";
        }
        long inside = v.allocationIn(span);
        return inside < 0 ? null : "span still holds the allocation at " + inside;
    }

    private static boolean aligned(View v, long base, long size) {
        return ((base | size) & (v.quantum() - 1)) == 0;
    }
}

package dev.vmem;

import java.util.ArrayList;
import java.util.List;

/**
 * Moving an arena's state in and out of its engine: exporting it as an {@link ArenaState}, rebuilding an
 * empty engine from one, and taking back reported changes newest first. What a change or a restored
 * state may contain is decided by {@link ChangeRules}; this class only asks it, through views of the
 * engine. Runs with the arena's lock held.
 */
final class StateTransfer {
    private StateTransfer() {
    }

    /** The engine's spans, live allocations, rotor and counters. O(n). */
    static ArenaState export(ArenaEngine e) {
        List<Segment> spans = new ArrayList<>(e.list.spanCount());
        QuarantineQueue q = e.quarantine;
        if (q != null) {
            q.settle(); // a state carries due times, not "at the next reading"
        }
        int held = q == null ? 0 : q.count();
        long[] allocations = new long[Math.toIntExact(2 * (e.table.size() + e.forms.allocations() - held))];
        int[] i = {0};
        DenseSpan.Visitor add = (base, size, allocated) -> {
            if (allocated && (q == null || !q.holds(base))) { // a quarantined block is free but for its queue
                allocations[i[0]++] = base;
                allocations[i[0]++] = size;
            }
        };
        for (Tag t = e.list.first(); t != e.list.sentinel; t = t.next) {
            if (t.isSpan()) {
                spans.add(new Segment(t.base, t.size, t.kind()));
            } else if (t.type == Tag.DENSE) {
                ((DenseTag) t).bits.visit(add);
            } else {
                add.segment(t.base, t.size, t.type == Tag.ALLOCATED);
            }
        }
        long[] quarantine = new long[3 * held];
        int[] j = {0};
        if (q != null) {
            q.forEach((base, size, due) -> {
                quarantine[j[0]++] = base;
                quarantine[j[0]++] = size;
                quarantine[j[0]++] = due;
            });
        }
        return new ArenaState(spans, allocations, e.rotor, e.stats(), quarantine);
    }

    /**
     * Rebuilds the (new, empty) engine from {@code state} in one pass, appending in address order.
     *
     * @throws IllegalArgumentException naming what does not fit when the state is inconsistent
     */
    static void load(ArenaEngine e, ArenaState state) {
        Restoring v = new Restoring(e);
        for (Segment span : state.spans()) {
            if (!span.kind().isSpan()) {
                throw new IllegalArgumentException("restore: " + span + " is not a span");
            }
            String why = span.base() < v.frontier ? "spans out of order or overlapping"
                    : ChangeRules.whyNotAdd(v, span.base(), span.size(), span.kind() == Segment.Kind.IMPORTED_SPAN);
            if (why != null) {
                throw new IllegalArgumentException("restore: span " + span + " of arena '" + e.label + "': " + why);
            }
            v.frontier = span.end();
        }
        long[] a = state.allocations();
        e.table.reserve(a.length / 2);
        int next = 0;
        for (Segment span : state.spans()) {
            Tag marker = new Tag(span.kind() == Segment.Kind.IMPORTED_SPAN ? Tag.IMPORTED_SPAN : Tag.SPAN,
                    span.base(), span.size());
            e.list.appendSpan(marker);
            v.spanEnd = span.end();
            v.frontier = span.base();
            for (; next < a.length && a[next] < span.end(); next += 2) {
                long base = a[next];
                long size = a[next + 1];
                if (ChangeRules.whyNot(v, new ArenaChange.Allocated(base, size)) != null) {
                    throw new IllegalArgumentException("restore: allocation base=" + base + " size=" + size
                            + " is unaligned, overlaps another or lies outside span " + span);
                }
                if (base > v.frontier) {
                    appendFree(e, v.frontier, base - v.frontier);
                }
                appendAllocated(e, base, size);
                v.frontier = base + size;
            }
            if (v.frontier < span.end()) {
                appendFree(e, v.frontier, span.end() - v.frontier);
            }
            e.total += span.size();
            if (marker.type == Tag.IMPORTED_SPAN) {
                e.imported += span.size();
            }
        }
        if (next < a.length) {
            throw new IllegalArgumentException("restore: allocation base=" + a[next] + " lies in no span");
        }
        // Restoring the rotor is moving it from where a new arena has it.
        String why = ChangeRules.whyNot(v, new ArenaChange.CursorMoved(e.rotor, state.cursor()));
        if (why != null) {
            throw new IllegalArgumentException("restore: " + why);
        }
        e.rotor = state.cursor();
        ArenaStats c = state.counters();
        if (c.allocations() - c.frees() != e.table.size() || c.failures() < 0 || c.frees() < 0 || c.releases() < 0
                || c.imports() - c.releases() != e.list.importedSpanCount()) {
            throw new IllegalArgumentException("restore: counters " + c + " do not match " + e.table.size()
                    + " live allocations and " + e.list.importedSpanCount() + " imported spans");
        }
        loadQuarantine(e, state.quarantine());
        e.allocations = c.allocations();
        e.frees = c.frees();
        e.failures = c.failures();
        e.imports = c.imports();
        e.releases = c.releases();
        e.forms.review(); // a restored span takes the form the rule gives it now, not at the next review
    }

    /** Makes each quarantined block of a restored state an allocated segment again, and queues it, oldest first. */
    private static void loadQuarantine(ArenaEngine e, long[] q) {
        if (q.length > 0 && e.quarantine == null) {
            throw new IllegalArgumentException("restore: " + q.length / 3 + " quarantined blocks in arena '" + e.label
                    + "', which has no quarantine");
        }
        for (int k = 0; k < q.length; k += 3) {
            long base = q[k];
            long size = q[k + 1];
            if (size <= 0 || ((base | size) & (e.quantum - 1)) != 0 || !Addresses.isFree(e, base, size)
                    || (q[k + 2] < 0 && q[k + 2] != QuarantineQueue.DUE_UNKNOWN)) {
                throw new IllegalArgumentException("restore: quarantined block base=" + base + " size=" + size
                        + " due=" + q[k + 2] + " is unaligned, overlaps an allocation or another quarantined block, "
                        + "lies outside every span, or has a bad due time (arena '" + e.label + "')");
            }
            e.claim(base, size);
            e.quarantine.restore(base, size, q[k + 2]);
        }
    }

    /**
     * Undoes one reported change, counters included, without calling the source and without reporting
     * anything: the inverse change must be legal now, else nothing changes.
     *
     * @throws IllegalArgumentException if the change does not match the engine's state
     */
    static void revert(ArenaEngine e, ArenaChange change) {
        Live v = new Live(e);
        if (change instanceof ArenaChange.Allocated a) {
            check(e, change, ChangeRules.whyNot(v, new ArenaChange.Freed(a.base(), a.size())));
            e.discardAt(a.base());
            e.frees--;
            e.allocations--;
        } else if (change instanceof ArenaChange.Freed f && e.quarantine != null) {
            // A quarantined free is the newest block of the queue, still an allocated segment.
            check(e, change, e.quarantine.newestIs(f.base(), f.size()) ? null : "the newest quarantined block differs");
            e.quarantine.takeBackNewest();
            e.frees--;
        } else if (change instanceof ArenaChange.Freed f) {
            check(e, change, e.frees == 0 ? "no free to take back"
                    : ChangeRules.whyNot(v, new ArenaChange.Allocated(f.base(), f.size())));
            e.claim(f.base(), f.size());
            e.allocations--;
            e.frees--;
        } else if (change instanceof ArenaChange.SpanAdded a) {
            check(e, change, ChangeRules.whyNotRemove(v, a.base(), a.size(), a.imported()));
            e.removeFreeSpan(e.list.spanAt(a.base()));
            if (a.imported()) {
                e.imports--;
            }
        } else if (change instanceof ArenaChange.SpanRemoved r) {
            check(e, change, ChangeRules.whyNotAdd(v, r.base(), r.size(), true));
            e.insertSpan(r.base(), r.size(), Tag.IMPORTED_SPAN);
            e.releases--;
        } else if (change instanceof ArenaChange.CursorMoved m) {
            check(e, change, ChangeRules.whyNot(v, new ArenaChange.CursorMoved(m.to(), m.from())));
            e.rotor = m.from();
            e.rotorHint = e.list.sentinel;
        }
    }

    private static void check(ArenaEngine e, ArenaChange change, String why) {
        if (why != null) {
            throw new IllegalArgumentException("cannot revert " + change + " in arena '" + e.label + "': " + why);
        }
    }

    /** The live engine as {@link ChangeRules} sees it. */
    private static class Live implements ChangeRules.View {
        final ArenaEngine e;

        Live(ArenaEngine e) {
            this.e = e;
        }

        @Override
        public long quantum() {
            return e.quantum;
        }

        @Override
        public boolean hasSource() {
            return e.importer != null;
        }

        @Override
        public boolean overlapsSpan(long base, long size) {
            return e.list.overlappingSpan(base, size) != null;
        }

        @Override
        public Segment spanAt(long base) {
            Tag marker = e.list.spanAt(base);
            return marker == null ? null : new Segment(marker.base, marker.size, marker.kind());
        }

        @Override
        public long allocationIn(Segment span) {
            Tag first = e.list.spanAt(span.base()).next;
            if (first.type == Tag.DENSE) {
                DenseSpan b = ((DenseTag) first).bits;
                long i = b.nextUsed(0);
                return i < b.quanta ? b.value(i) : -1;
            }
            for (Tag t = first; t != e.list.sentinel && !t.isSpan(); t = t.next) {
                if (t.type == Tag.ALLOCATED) {
                    return t.base;
                }
            }
            return -1;
        }

        @Override
        public boolean inOneSpan(long base, long size) {
            Tag marker = base < 0 ? null : e.list.spanContaining(base);
            return marker != null && size <= marker.end() - base;
        }

        @Override
        public boolean overlapsAllocation(long base, long size) {
            return !Addresses.isFree(e, base, size);
        }

        @Override
        public long liveSize(long base) {
            return Addresses.liveSize(e, base);
        }

        @Override
        public long cursor() {
            return e.rotor;
        }
    }

    /**
     * The engine while {@link #load} appends to it in address order: a span may not start below the end
     * of the one before, and an allocation may not start below the end of the one before in its span.
     */
    private static final class Restoring extends Live {
        /** The end of the previous span (first pass), or of the previous allocation in the span (second). */
        long frontier = Long.MIN_VALUE;
        long spanEnd;

        Restoring(ArenaEngine e) {
            super(e);
        }

        @Override
        public boolean overlapsSpan(long base, long size) {
            return base < frontier;
        }

        @Override
        public boolean inOneSpan(long base, long size) {
            return size <= spanEnd - base;
        }

        @Override
        public boolean overlapsAllocation(long base, long size) {
            return base < frontier;
        }
    }

    /** Appends a free segment at the end of the list: restore builds the list in address order. */
    private static void appendFree(ArenaEngine e, long base, long size) {
        Tag free = new Tag(Tag.FREE, base, size);
        SegmentList.insertBefore(free, e.list.sentinel);
        e.freeLists.insert(free);
        e.tagSegments++;
    }

    /** Appends an allocated segment at the end of the list, for restore. */
    private static void appendAllocated(ArenaEngine e, long base, long size) {
        Tag t = new Tag(Tag.ALLOCATED, base, size);
        SegmentList.insertBefore(t, e.list.sentinel);
        e.table.insert(t);
        e.tagSegments++;
        e.allocated += size;
    }
}

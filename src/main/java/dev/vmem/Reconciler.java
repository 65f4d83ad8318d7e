package dev.vmem;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes an arena's allocations exactly a caller's ranges ({@link VmemArena#reconcile}). Runs with the
 * arena's lock held, in three passes: check the input (nothing has changed if it is refused), compare it
 * with the arena's allocations in one merge of two address-ordered sequences, then free what the arena
 * alone holds and claim what the caller alone holds.
 *
 * <p>The rule is exact identity: an arena allocation stays only if the caller names exactly its base and
 * size. An allocation that merely overlaps a caller's range ({@code [0, 8)} held, {@code [0, 4)} named)
 * is freed as leaked and the caller's range claimed as lost; since the caller's ranges do not overlap
 * each other, every arena allocation a lost range overlaps is leaked, so each claim finds its range free
 * once the frees are done.
 *
 * <p>Quarantined blocks are neither the arena's allocations nor free: the merge passes over them, and a
 * caller's range that overlaps one is refused before anything changes (an arena with a quarantine has no
 * caches, so the merge runs before the first change).
 *
 * <p>Frees come before claims, and a wholly free imported span goes back to the source only after all
 * claims (a lost range may lie in it), in the order {@link ArenaChange}s can be replayed and reverted.
 */
final class Reconciler {
    private static final Logger LOG = LoggerFactory.getLogger(Arena.class);
    private static final Comparator<Allocation> BY_BASE = Comparator.comparingLong(Allocation::base);

    private Reconciler() {
    }

    /**
     * Reconciles the engine (and its caches, which are dissolved into the segment list first) with
     * {@code ranges}.
     *
     * @throws IllegalArgumentException naming the range when one is not aligned to the quantum, lies
     *         outside every span or leaves its span, or two overlap; nothing changes
     */
    static ReconcileReport run(ArenaEngine e, QuantumCaches caches, Iterable<Allocation> ranges) {
        List<Allocation> want = checked(e, ranges);
        // The imported spans that frees (of leaked allocations, or of dissolved slabs) may leave wholly free.
        Set<Tag> emptied = new LinkedHashSet<>();
        if (caches != null) {
            caches.dissolveAll(base -> {
                e.discardAt(base);
                noteImported(e, base, emptied); // an idle slab may have been all its span held
            }, e::claim);
        }
        Pairs leaked = new Pairs();
        Pairs lost = new Pairs();
        compare(e, want, leaked, lost);
        free(e, leaked, emptied);
        for (int i = 0; i < lost.count; i++) {
            long base = lost.base(i);
            long size = lost.size(i);
            Claims.claimFree(e, base, size);
        }
        for (Tag marker : emptied) {
            release(e, marker);
        }
        return new ReconcileReport(leaked.count, leaked.values, leaked.first(), lost.count, lost.values, lost.first());
    }

    /** The caller's ranges in address order, checked against the arena. O(n) if they come sorted. */
    private static List<Allocation> checked(ArenaEngine e, Iterable<Allocation> ranges) {
        Objects.requireNonNull(ranges, "ranges");
        List<Allocation> want = new ArrayList<>();
        for (Allocation a : ranges) {
            want.add(Objects.requireNonNull(a, "a range is null"));
        }
        want.sort(BY_BASE); // a merge that finds the input sorted: one pass
        Tag marker = null;
        Allocation previous = null;
        for (Allocation a : want) {
            Claims.checkArguments(e, "reconcile: range ", a.base(), a.size());
            if (previous != null && a.base() < previous.end()) {
                throw new IllegalArgumentException("reconcile in arena '" + e.label + "': ranges " + previous + " and "
                        + a + " overlap");
            }
            if (marker == null || a.base() >= marker.end()) {
                marker = Claims.spanOf(e, "reconcile: range ", a.base(), a.size());
            } else if (a.size() > marker.end() - a.base()) {
                Claims.spanOf(e, "reconcile: range ", a.base(), a.size()); // throws: it leaves the span
            }
            previous = a;
        }
        return want;
    }

    /** Merges the arena's allocations (in address order) with {@code want}: what only one side holds. */
    private static void compare(ArenaEngine e, List<Allocation> want, Pairs leaked, Pairs lost) {
        int[] k = {0};
        DenseSpan.Visitor merge = (base, size, allocated) -> {
            if (!allocated) {
                return;
            }
            if (e.quarantine != null && e.quarantine.holds(base)) {
                // Not the arena's allocation, nor free: no caller range may overlap it (refused before any change).
                for (; k[0] < want.size() && want.get(k[0]).end() <= base; k[0]++) {
                    lost.add(want.get(k[0]));
                }
                if (k[0] < want.size() && want.get(k[0]).base() < base + size) {
                    throw new IllegalArgumentException("reconcile in arena '" + e.label + "': range " + want.get(k[0])
                            + " overlaps the quarantined block " + new Allocation(base, size) + " (freed, and held back"
                            + " from reuse until its quarantine is over): a reconcile cannot take quarantined values");
                }
                return;
            }
            for (; k[0] < want.size() && want.get(k[0]).base() < base; k[0]++) {
                lost.add(want.get(k[0]));
            }
            if (k[0] < want.size() && want.get(k[0]).base() == base) {
                Allocation w = want.get(k[0]++);
                if (w.size() == size) {
                    return;
                }
                lost.add(w);
            }
            leaked.add(base, size);
        };
        for (Tag t = e.list.first(); t != e.list.sentinel; t = t.next) {
            if (t.type == Tag.DENSE) {
                ((DenseTag) t).bits.visit(merge);
            } else if (t.type == Tag.ALLOCATED) {
                merge.segment(t.base, t.size, true);
            }
        }
        for (; k[0] < want.size(); k[0]++) {
            lost.add(want.get(k[0]));
        }
    }

    /** Frees the leaked allocations, keeping their imported spans, and adds those spans to {@code imported}. */
    private static void free(ArenaEngine e, Pairs leaked, Set<Tag> imported) {
        for (int i = 0; i < leaked.count; i++) {
            long base = leaked.base(i);
            DenseTag d = e.forms.holding(base);
            e.discardAt(base);
            e.emit(new ArenaChange.Freed(base, leaked.size(i)));
            if (d != null) {
                e.forms.settle(d);
            }
            noteImported(e, base, imported);
        }
    }

    /** Adds the span holding {@code base} to {@code imported} if it is an imported one. */
    private static void noteImported(ArenaEngine e, long base, Set<Tag> imported) {
        Tag marker = e.list.spanContaining(base);
        if (marker.type == Tag.IMPORTED_SPAN) {
            imported.add(marker);
        }
    }

    /** Gives imported span {@code marker} back if it is wholly free, as a free that empties it does. */
    private static void release(ArenaEngine e, Tag marker) {
        Tag only = marker.next;
        boolean empty = only.type == Tag.DENSE ? ((DenseTag) only).bits.allocations == 0
                : only.type == Tag.FREE && only.size == marker.size;
        if (!empty) {
            return;
        }
        try {
            e.importer.giveBack(marker);
        } catch (RuntimeException refused) {
            // The caller's allocations are reconciled; a span the source will not take back stays, wholly
            // free, as an idle cache slab does, and close() offers it again.
            LOG.warn("arena '{}': reconcile could not give imported span [{}, {}) back: {}", e.label, marker.base,
                    marker.end(), refused.toString());
            return;
        }
        e.removeFreeSpan(marker);
        e.releases++;
        e.emit(new ArenaChange.SpanRemoved(marker.base, marker.size));
    }

    /** Ranges as pairs of longs, with their count, values and the first few as allocations. */
    private static final class Pairs {
        long[] a = new long[16];
        int count;
        long values;
        final List<Allocation> first = new ArrayList<>();

        void add(Allocation r) {
            add(r.base(), r.size());
        }

        void add(long base, long size) {
            if (2 * count == a.length) {
                a = Arrays.copyOf(a, 2 * a.length);
            }
            a[2 * count] = base;
            a[2 * count + 1] = size;
            count++;
            values += size;
            if (first.size() < ReconcileReport.SAMPLE) {
                first.add(new Allocation(base, size));
            }
        }

        long base(int i) {
            return a[2 * i];
        }

        long size(int i) {
            return a[2 * i + 1];
        }

        List<Allocation> first() {
            return first;
        }
    }
}

package dev.vmem;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * An {@link ArenaState} brought forward by reported changes, as a persistent store's recovery replays
 * its journal onto a checkpoint. Every change is checked against the state by the same rules that
 * decide whether an arena can revert it or restore a state; one that does not fit is refused with the
 * reason and changes nothing, so a recovery can call it corruption rather than guess.
 *
 * <p>With a quarantine, a replayed free queues its block with {@link ArenaState#DUE_UNKNOWN} (the journal
 * does not say when it was freed, so the restored arena holds it for the whole delay from the restore);
 * an allocation over a quarantined block, or the release of its span, proves that it and every older
 * block had left quarantine; a count-only quarantine releases as the arena did, by count.
 *
 * <p>Works on sorted maps, not on an arena: replaying a change is O(log n) however many segments the
 * arena has. Not thread-safe: one recovery owns it.
 */
public final class ArenaReplay {
    private final long quantum;
    private final boolean hasSource;
    private final Quarantine quarantine;
    private ArenaState state;
    /** The state as maps, made on the first change; {@link #state} is rebuilt from them when asked for. */
    private Maps maps;

    /**
     * Starts from {@code state}, for an arena of quantum {@code quantum} that imports from a source or
     * not ({@code hasSource}).
     */
    public ArenaReplay(ArenaState state, long quantum, boolean hasSource) {
        this(state, quantum, hasSource, Quarantine.NONE);
    }

    /** As {@link #ArenaReplay(ArenaState, long, boolean)}, for an arena with the quarantine rule {@code quarantine}. */
    public ArenaReplay(ArenaState state, long quantum, boolean hasSource, Quarantine quarantine) {
        this.state = state;
        this.quantum = quantum;
        this.hasSource = hasSource;
        this.quarantine = Objects.requireNonNull(quarantine, "quarantine");
    }

    /**
     * Applies {@code change} to the state.
     *
     * @return null if it was applied; otherwise why it does not fit the state (nothing changed)
     */
    public String apply(ArenaChange change) {
        if (maps == null) {
            maps = new Maps(state);
        }
        String why = ChangeRules.whyNot(maps, change);
        if (why != null) {
            return why;
        }
        state = null;
        maps.apply(change);
        return null;
    }

    /** The state after the changes applied so far. */
    public ArenaState state() {
        if (state == null) {
            state = maps.toState();
        }
        return state;
    }

    /** The state as sorted maps. */
    private final class Maps implements ChangeRules.View {
        private final TreeMap<Long, Segment> spans = new TreeMap<>();
        private final TreeMap<Long, Long> allocations = new TreeMap<>(); // base -> size
        private long cursor;
        private long allocationCount;
        private long freeCount;
        private final long failureCount;
        private long importCount;
        private long releaseCount;
        /** Quarantined blocks by base: {size, due, seq}; and their bases oldest first, by seq. */
        private final TreeMap<Long, long[]> held = new TreeMap<>();
        private final TreeMap<Long, Long> heldOrder = new TreeMap<>();
        private long nextSeq;

        Maps(ArenaState s) {
            for (Segment span : s.spans()) {
                spans.put(span.base(), span);
            }
            long[] a = s.allocations();
            for (int i = 0; i < a.length; i += 2) {
                allocations.put(a[i], a[i + 1]);
            }
            cursor = s.cursor();
            ArenaStats c = s.counters();
            allocationCount = c.allocations();
            freeCount = c.frees();
            failureCount = c.failures();
            importCount = c.imports();
            releaseCount = c.releases();
            long[] q = s.quarantine();
            for (int i = 0; i < q.length; i += 3) {
                hold(q[i], q[i + 1], q[i + 2]);
            }
        }

        private void hold(long base, long size, long due) {
            held.put(base, new long[] {size, due, nextSeq});
            heldOrder.put(nextSeq++, base);
        }

        /** Every quarantined block in {@code [base, end)} had left quarantine, and so had every older one. */
        private void releasedWithin(long base, long end) {
            Map.Entry<Long, long[]> below = held.floorEntry(base);
            long newest = below != null && below.getKey() + below.getValue()[0] > base ? below.getValue()[2] : -1;
            for (long[] h : held.subMap(base, end).values()) {
                newest = Math.max(newest, h[2]);
            }
            while (!heldOrder.isEmpty() && heldOrder.firstKey() <= newest) {
                held.remove(heldOrder.pollFirstEntry().getValue());
            }
        }

        /** Applies a change {@link ChangeRules} has allowed. */
        void apply(ArenaChange change) {
            if (change instanceof ArenaChange.SpanAdded a) {
                spans.put(a.base(), new Segment(a.base(), a.size(),
                        a.imported() ? Segment.Kind.IMPORTED_SPAN : Segment.Kind.SPAN));
                if (a.imported()) {
                    importCount++;
                }
            } else if (change instanceof ArenaChange.SpanRemoved r) {
                spans.remove(r.base());
                releaseCount++;
                releasedWithin(r.base(), r.base() + r.size());
            } else if (change instanceof ArenaChange.Allocated a) {
                allocations.put(a.base(), a.size());
                allocationCount++;
                releasedWithin(a.base(), a.base() + a.size());
            } else if (change instanceof ArenaChange.Freed f) {
                allocations.remove(f.base());
                freeCount++;
                if (quarantine.isActive()) {
                    hold(f.base(), f.size(), ArenaState.DUE_UNKNOWN);
                }
                while (quarantine.delay().isZero() && held.size() > quarantine.frees()) {
                    held.remove(heldOrder.pollFirstEntry().getValue());
                }
            } else if (change instanceof ArenaChange.CursorMoved m) {
                cursor = m.to();
            }
        }

        ArenaState toState() {
            long[] a = new long[2 * allocations.size()];
            int i = 0;
            for (Map.Entry<Long, Long> e : allocations.entrySet()) {
                a[i++] = e.getKey();
                a[i++] = e.getValue();
            }
            long[] q = new long[3 * held.size()];
            i = 0;
            for (long base : heldOrder.values()) {
                long[] h = held.get(base);
                q[i++] = base;
                q[i++] = h[0];
                q[i++] = h[1];
            }
            List<Segment> s = new ArrayList<>(spans.values());
            return new ArenaState(s, a, cursor, new ArenaStats(0, 0, 0, 0, 0, 0, 0, allocationCount, freeCount,
                    failureCount, importCount, releaseCount, 0), q);
        }

        @Override
        public long quantum() {
            return quantum;
        }

        @Override
        public boolean hasSource() {
            return hasSource;
        }

        @Override
        public boolean overlapsSpan(long base, long size) {
            Map.Entry<Long, Segment> below = spans.floorEntry(base);
            Long above = spans.ceilingKey(base);
            return (below != null && below.getValue().end() > base) || (above != null && above - base < size);
        }

        @Override
        public Segment spanAt(long base) {
            return spans.get(base);
        }

        @Override
        public long allocationIn(Segment span) {
            Long inside = allocations.ceilingKey(span.base());
            return inside == null || inside >= span.end() ? -1 : inside;
        }

        @Override
        public boolean inOneSpan(long base, long size) {
            Map.Entry<Long, Segment> span = spans.floorEntry(base);
            return span != null && size <= span.getValue().end() - base;
        }

        @Override
        public boolean overlapsAllocation(long base, long size) {
            Map.Entry<Long, Long> prev = allocations.floorEntry(base);
            Long next = allocations.higherKey(base);
            return (prev != null && prev.getKey() + prev.getValue() > base) || (next != null && next - base < size);
        }

        @Override
        public long liveSize(long base) {
            Long size = allocations.get(base);
            return size == null ? -1 : size;
        }

        @Override
        public long cursor() {
            return cursor;
        }
    }
}

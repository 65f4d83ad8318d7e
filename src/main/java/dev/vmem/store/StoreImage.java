package dev.vmem.store;

import dev.vmem.ArenaChange;
import dev.vmem.ArenaState;
import dev.vmem.ArenaStats;
import dev.vmem.Segment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The store's state as data: arena definitions and {@link ArenaState}s at a journal sequence number.
 * A checkpoint holds one; recovery loads one and replays the journal tail onto it, checking every
 * operation against the state (an operation that does not fit is corruption, never guessed around).
 */
final class StoreImage {
    /** One arena: its definition and state. The state is expanded into maps only when replay touches it. */
    static final class ArenaImage {
        final Op.Create definition;
        private ArenaState state;
        private TreeMap<Long, long[]> spans; // base -> {size, imported}
        private TreeMap<Long, Long> allocations; // base -> size
        private long cursor;
        private long allocationCount;
        private long freeCount;
        private long failureCount;
        private long importCount;
        private long releaseCount;

        ArenaImage(Op.Create definition, ArenaState state) {
            this.definition = definition;
            this.state = state;
        }

        /** The state, rebuilt from the maps if replay changed it. */
        ArenaState state() {
            if (state == null) {
                List<Segment> s = new ArrayList<>(spans.size());
                for (Map.Entry<Long, long[]> e : spans.entrySet()) {
                    s.add(new Segment(e.getKey(), e.getValue()[0],
                            e.getValue()[1] == 1 ? Segment.Kind.IMPORTED_SPAN : Segment.Kind.SPAN));
                }
                long[] a = new long[2 * allocations.size()];
                int i = 0;
                for (Map.Entry<Long, Long> e : allocations.entrySet()) {
                    a[i++] = e.getKey();
                    a[i++] = e.getValue();
                }
                state = new ArenaState(s, a, cursor, new ArenaStats(0, 0, 0, 0, 0, 0, 0, allocationCount, freeCount,
                        failureCount, importCount, releaseCount, 0));
            }
            return state;
        }

        /** Turns the state into maps for replay (once); the state is rebuilt from them when asked for. */
        private void expand() {
            if (spans == null) {
                ArenaState s = state;
                spans = new TreeMap<>();
                for (Segment span : s.spans()) {
                    spans.put(span.base(), new long[] {span.size(), span.kind() == Segment.Kind.IMPORTED_SPAN ? 1 : 0});
                }
                allocations = new TreeMap<>();
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
            }
            state = null;
        }

        /** Applies one change, or returns why it does not fit the state. */
        String apply(ArenaChange change) {
            expand();
            long q = definition.quantum();
            if (change instanceof ArenaChange.SpanAdded a) {
                if (a.size() <= 0 || a.base() < 0 || a.size() > Long.MAX_VALUE - a.base()
                        || ((a.base() | a.size()) & (q - 1)) != 0) {
                    return "invalid span";
                }
                Map.Entry<Long, long[]> below = spans.floorEntry(a.base());
                Map.Entry<Long, long[]> above = spans.ceilingEntry(a.base());
                if (a.imported() && definition.source() == -1) {
                    return "imported span in an arena without a source";
                }
                if ((below != null && below.getKey() + below.getValue()[0] > a.base())
                        || (above != null && above.getKey() - a.base() < a.size())) {
                    return "span overlaps another";
                }
                spans.put(a.base(), new long[] {a.size(), a.imported() ? 1 : 0});
                if (a.imported()) {
                    importCount++;
                }
            } else if (change instanceof ArenaChange.SpanRemoved r) {
                long[] span = spans.get(r.base());
                if (span == null || span[0] != r.size() || span[1] != 1) {
                    return "no imported span of that size";
                }
                Long inside = allocations.ceilingKey(r.base());
                if (inside != null && inside < r.base() + r.size()) {
                    return "span still holds the allocation at " + inside;
                }
                spans.remove(r.base());
                releaseCount++;
            } else if (change instanceof ArenaChange.Allocated a) {
                Map.Entry<Long, long[]> span = spans.floorEntry(a.base());
                if (a.size() <= 0 || span == null || a.size() > span.getKey() + span.getValue()[0] - a.base()
                        || ((a.base() | a.size()) & (q - 1)) != 0) {
                    return "allocation lies outside every span or is unaligned";
                }
                Map.Entry<Long, Long> prev = allocations.floorEntry(a.base());
                Long next = allocations.higherKey(a.base());
                if ((prev != null && prev.getKey() + prev.getValue() > a.base())
                        || (next != null && next - a.base() < a.size())) {
                    return "allocation overlaps a live allocation";
                }
                allocations.put(a.base(), a.size());
                allocationCount++;
            } else if (change instanceof ArenaChange.Freed f) {
                Long size = allocations.get(f.base());
                if (size == null || size != f.size()) {
                    return "no live allocation of that size";
                }
                allocations.remove(f.base());
                freeCount++;
            } else if (change instanceof ArenaChange.CursorMoved m) {
                if (m.from() != cursor || m.to() < 0) {
                    return "cursor is at " + cursor;
                }
                cursor = m.to();
            }
            return null;
        }
    }

    long seq;
    /** Which checkpoint wrote this image: breaks the tie between two generations at the same seq. */
    long epoch;
    final TreeMap<Integer, ArenaImage> arenas = new TreeMap<>();

    StoreImage(long seq) {
        this.seq = seq;
    }

    private static boolean isPowerOfTwo(long x) {
        return x > 0 && (x & (x - 1)) == 0;
    }

    /** Applies one operation, or returns why it does not fit the state. */
    String apply(Op op) {
        if (op instanceof Op.Create c) {
            if (arenas.containsKey(c.arena())) {
                return "arena id " + c.arena() + " exists already";
            }
            for (ArenaImage a : arenas.values()) {
                if (a.definition.name().equals(c.name())) {
                    return "arena name '" + c.name() + "' exists already";
                }
            }
            if (c.source() != -1 && !arenas.containsKey(c.source())) {
                return "source arena " + c.source() + " does not exist";
            }
            if (!isPowerOfTwo(c.quantum()) || c.importQuantum() <= 0 || c.importQuantum() % c.quantum() != 0
                    || c.qcacheMax() < 0 || c.qcacheMax() % c.quantum() != 0 || c.name().isBlank()) {
                return "invalid arena definition " + c;
            }
            arenas.put(c.arena(), new ArenaImage(c, new ArenaState(List.of(), new long[0], 0,
                    new ArenaStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))));
            return null;
        }
        if (op instanceof Op.Drop d) {
            if (!arenas.containsKey(d.arena())) {
                return "arena " + d.arena() + " does not exist";
            }
            for (ArenaImage a : arenas.values()) {
                if (a.definition.source() == d.arena()) {
                    return "arena " + d.arena() + " is the source of '" + a.definition.name() + "'";
                }
            }
            arenas.remove(d.arena());
            return null;
        }
        Op.Change c = (Op.Change) op;
        ArenaImage a = arenas.get(c.arena());
        if (a == null) {
            return "arena " + c.arena() + " does not exist";
        }
        String problem = a.apply(c.change());
        return problem == null ? null : "arena '" + a.definition.name() + "': " + c.change() + ": " + problem;
    }
}

package dev.vmem;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What an arena shows of itself: its segments in address order as callers see them (a cache slab as the
 * blocks callers hold and its runs of idle blocks), and the text of {@link Arena#dump()}. Runs with the
 * arena's lock held.
 */
final class ArenaPicture {
    private ArenaPicture() {
    }

    /** Every span marker and segment in address order; {@code caches} may be null. */
    static List<Segment> segments(ArenaEngine engine, QuantumCaches caches) {
        List<Segment> out = new ArrayList<>(engine.list.spanCount() + (int) Math.min(engine.segments(),
                Integer.MAX_VALUE - 8));
        for (Tag t = engine.list.first(); t != engine.list.sentinel; t = t.next) {
            if (t.type == Tag.DENSE) {
                ((DenseTag) t).bits.visit((base, size, allocated) -> add(engine, base, size, allocated, caches, out));
            } else if (t.isSpan()) {
                out.add(new Segment(t.base, t.size, t.kind()));
            } else {
                add(engine, t.base, t.size, t.type == Tag.ALLOCATED, caches, out);
            }
        }
        return out;
    }

    private static void add(ArenaEngine engine, long base, long size, boolean allocated, QuantumCaches caches,
            List<Segment> out) {
        QuantumCache.Slab slab = allocated && caches != null ? caches.slabAt(base) : null;
        if (allocated && engine.quarantine != null && engine.quarantine.holds(base)) {
            out.add(new Segment(base, size, Segment.Kind.QUARANTINED));
        } else if (slab == null) {
            out.add(new Segment(base, size, allocated ? Segment.Kind.ALLOCATED : Segment.Kind.FREE));
        } else {
            describe(slab, out);
        }
    }

    /** Appends slab {@code s} to a walk of the arena: its held blocks, and its runs of idle ones as cached. */
    private static void describe(QuantumCache.Slab s, List<Segment> out) {
        long w = s.word();
        long block = s.cache.blockSize;
        for (int i = 0; i < QuantumCache.BLOCKS; ) {
            if (w >= 0 && (w & 1L << i) != 0) {
                out.add(new Segment(s.base + i * block, block, Segment.Kind.ALLOCATED));
                i++;
                continue;
            }
            int j = i + 1;
            while (j < QuantumCache.BLOCKS && (w < 0 || (w & 1L << j) == 0)) {
                j++;
            }
            out.add(new Segment(s.base + i * block, (j - i) * block, Segment.Kind.CACHED));
            i = j;
        }
    }

    /** The dump: a header with the callers' figures {@code s}, then every span and segment. */
    static String dump(ArenaEngine engine, QuantumCaches caches, ArenaStats s, boolean closed) {
        StringBuilder sb = new StringBuilder();
        sb.append("arena '").append(engine.label).append("' quantum=").append(engine.quantum)
                .append(" total=").append(s.total()).append(" allocated=").append(s.allocated())
                .append(" free=").append(s.free()).append(caches == null ? "" : " cached=" + s.cached())
                .append(engine.quarantine == null ? "" : " quarantined=" + s.quarantined()
                        + " (" + engine.quarantine.rule + ")")
                .append(" imported=").append(s.imported())
                .append(" cursor=").append(engine.rotor).append(closed ? " closed" : "").append('\n');
        for (Segment t : segments(engine, caches)) {
            sb.append(t.kind().isSpan() ? "  " : "    ")
                    .append(String.format("%-13s [0x%x, 0x%x) size=0x%x%n",
                            t.kind().name().toLowerCase(Locale.ROOT), t.base(), t.end(), t.size()));
        }
        return sb.toString();
    }
}

package dev.vmem;

import static dev.vmem.ArenaModelOracle.brief;
import static dev.vmem.ArenaModelOracle.freeRanges;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vmem.ArenaModelOracle.Block;
import dev.vmem.ArenaModelOracle.Range;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The claim and reconcile steps of a model run ({@link ArenaModelTest.Run}): each picks its input from the
 * reference model (free ranges, live blocks, or places that must be refused), works out from the model
 * alone what the arena must do, and updates the model.
 */
final class ModelClaims {
    private ModelClaims() {
    }

    /** A claim of a free range, of one over live blocks, or of a bad or out-of-span one. */
    static void claim(ArenaModelTest.Run run) {
        long q = run.q;
        List<Range> free = freeRanges(ArenaModelTest.Run.allSpans(run.spans, run.imported), run.live);
        int kind = run.rnd.nextInt(10);
        long base;
        long size;
        if (kind < 6 && !free.isEmpty()) {
            Range f = free.get(run.rnd.nextInt(free.size()));
            long quanta = (f.end() - f.base()) / q;
            long off = run.rnd.nextLong(quanta);
            base = f.base() + off * q;
            size = q * (1 + run.rnd.nextLong(Math.min(quanta - off, 64)));
        } else if (kind < 8 && !run.live.isEmpty()) {
            Block b = run.randomEntry(run.live).getValue();
            long v = b.base() + q * run.rnd.nextLong(b.size() / q);
            base = Math.max(0, v - q * run.rnd.nextLong(4));
            size = v - base + q * (1 + run.rnd.nextLong(4));
        } else {
            base = run.rnd.nextLong(run.ownEnd + run.parentSize + 64 * q) - (kind == 9 ? q : 0);
            size = run.rnd.nextInt(5) == 0 ? run.rnd.nextLong(-q, 3 * q) : q * (1 + run.rnd.nextLong(16));
            if (run.rnd.nextBoolean()) {
                base -= base % q;
            }
        }
        expectClaim(run, base, size);
    }

    private static void expectClaim(ArenaModelTest.Run run, long base, long size) {
        String what = run.ctx + " claim(" + base + ", " + size + ")";
        long q = run.q;
        boolean bad = size <= 0 || base < 0 || base % q != 0 || size % q != 0 || !inOneSpan(run, base, size);
        Block held = bad ? null : lowestOverlapping(run.live, base, size);
        if (bad) {
            assertThrows(IllegalArgumentException.class, () -> run.arena.claim(base, size), what + " accepted");
            run.assertUnchanged(false, "refused " + what);
        } else if (held != null) {
            RangeInUseException e = assertThrows(RangeInUseException.class, () -> run.arena.claim(base, size),
                    what + " accepted over " + held);
            assertEquals(new Allocation(held.base(), held.size()), e.held(), what + ": " + e.getMessage());
            run.assertUnchanged(false, "refused " + what);
        } else {
            try {
                run.arena.claim(base, size);
            } catch (RuntimeException e) {
                fail(what + " of a free range refused\n" + brief(run.arena.dump()), e);
            }
            run.live.put(base, new Block(base, size, size));
            run.allocatedModel += size;
            run.allocations++;
            run.claims++;
        }
    }

    static boolean inOneSpan(ArenaModelTest.Run run, long base, long size) {
        for (TreeMap<Long, Long> m : List.of(run.spans, run.imported)) {
            Map.Entry<Long, Long> s = m.floorEntry(base);
            if (s != null && s.getKey() + s.getValue() > base) {
                return size <= s.getKey() + s.getValue() - base;
            }
        }
        return false;
    }

    private static Block lowestOverlapping(TreeMap<Long, Block> live, long base, long size) {
        Map.Entry<Long, Block> below = live.floorEntry(base);
        if (below != null && below.getKey() + below.getValue().size() > base) {
            return below.getValue();
        }
        Map.Entry<Long, Block> above = live.ceilingEntry(base);
        return above != null && above.getKey() < base + size ? above.getValue() : null;
    }

    /**
     * A reconcile with the live blocks, some dropped, some resized in place, some free ranges added, in
     * address or random order; one run in ten names a range that must be refused.
     */
    static void reconcile(ArenaModelTest.Run run) {
        long q = run.q;
        List<Allocation> want = new ArrayList<>();
        for (Block b : run.live.values()) {
            int r = run.rnd.nextInt(10);
            if (r < 2) {
                continue;
            }
            long size = r == 2 ? q * (1 + run.rnd.nextLong(b.size() / q)) : b.size();
            want.add(new Allocation(b.base(), size));
        }
        List<Range> free = freeRanges(ArenaModelTest.Run.allSpans(run.spans, run.imported), run.live);
        for (int i = 0; i < 3 && !free.isEmpty(); i++) {
            Range f = free.remove(run.rnd.nextInt(free.size())); // one range per free segment: none overlap
            long quanta = (f.end() - f.base()) / q;
            long off = run.rnd.nextLong(quanta);
            want.add(new Allocation(f.base() + off * q, q * (1 + run.rnd.nextLong(Math.min(quanta - off, 32)))));
        }
        boolean bad = run.rnd.nextInt(10) == 0;
        if (bad) {
            int how = run.rnd.nextInt(3);
            if (how == 0 && !want.isEmpty()) {
                Allocation w = want.get(run.rnd.nextInt(want.size()));
                want.add(new Allocation(w.base(), w.size())); // overlaps itself
            } else if (how == 1 && q > 1) {
                want.add(new Allocation(run.ownEnd + run.parentSize + 64 * q + 1, q)); // unaligned, outside
            } else {
                want.add(new Allocation(run.ownEnd + run.parentSize + 64 * q, q)); // outside every span
            }
        }
        if (run.rnd.nextBoolean()) {
            Collections.shuffle(want, new java.util.Random(run.rnd.nextLong()));
        }
        String what = run.ctx + " reconcile(" + want.size() + " ranges)";
        if (bad) {
            assertThrows(IllegalArgumentException.class, () -> run.arena.reconcile(want), what + " accepted bad input");
            run.assertUnchanged(false, "refused " + what);
            return;
        }
        TreeMap<Long, Long> wanted = new TreeMap<>();
        want.forEach(w -> wanted.put(w.base(), w.size()));
        List<Allocation> leaked = new ArrayList<>();
        List<Allocation> lost = new ArrayList<>();
        for (Block b : run.live.values()) {
            if (!Long.valueOf(b.size()).equals(wanted.get(b.base()))) {
                leaked.add(new Allocation(b.base(), b.size()));
            }
        }
        wanted.forEach((b, s) -> {
            Block had = run.live.get(b);
            if (had == null || had.size() != s) {
                lost.add(new Allocation(b, s));
            }
        });
        ReconcileReport r = run.arena.reconcile(want);
        assertEquals(List.of(leaked.size(), sum(leaked), lost.size(), sum(lost)),
                List.of((int) r.leaked(), r.leakedValues(), (int) r.lost(), r.lostValues()), what + ": " + r);
        assertEquals(leaked.subList(0, Math.min(leaked.size(), ReconcileReport.SAMPLE)), r.firstLeaked(), what);
        assertEquals(lost.subList(0, Math.min(lost.size(), ReconcileReport.SAMPLE)), r.firstLost(), what);
        run.live.clear();
        run.allocatedModel = 0;
        wanted.forEach((b, s) -> {
            run.live.put(b, new Block(b, s, s));
            run.allocatedModel += s;
        });
        run.allocations += lost.size();
        run.frees += leaked.size();
        run.reconciles += r.unchanged() ? 0 : 1;
    }

    private static long sum(List<Allocation> ranges) {
        return ranges.stream().mapToLong(Allocation::size).sum();
    }
}

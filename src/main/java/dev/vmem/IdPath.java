package dev.vmem;

/**
 * An ID pool's operations, each whole, in a dense span whose rule this operation cannot make leave: the NEXT_FIT
 * allocation of one quantum in a span that needs only its bits for it ({@link DenseSpan#plain()}: no size classes
 * counted, no starts kept); the INSTANT_FIT allocation of one quantum where it takes the fresh run (the run the
 * last counted operation made, grew or left over: the freed ID, for a pool that frees an isolated ID and takes
 * one); and the free of a one-quantum allocation in the dense span found last. Each does exactly what the
 * engine's general path does with the same call (the same value, counters, rotor and reported changes), without
 * its layers. Where it does not apply it changes nothing and says so, and the caller takes the general path.
 *
 * <p>Why a path of its own: measured on an ID pool's step (free a random one of 1,000,000 IDs, then take the next;
 * paired runs in one JVM, against a {@code BitSet} searched from a cursor under a lock), the general path's layers
 * (facade, engine, span forms, span) cost a few nanoseconds each in tests, calls and loads: at 10% full the step took
 * 2.9 to 3.0 times the locked {@code BitSet}'s through them, 2.3 to 2.5 times with this path and the changes made
 * beside it (the bits' own word updates, the span's plain flag), and 1.7 times for the same work written out in
 * one method of a scratch harness. The JIT compiles a method into its callers only while its own code is small
 * (about 2.5 KB), so this path and what it calls keep their rare cases out of line. The INSTANT_FIT allocation
 * (no quantum cache) went from 3.5-4.2 to 2.7-3.4 times the locked {@code BitSet}'s at 10% full, and from 2.9 to
 * 2.5-2.8 at 90% (two copies of each build in one JVM, two runs).
 *
 * <p>Runs with the arena's lock held.
 */
final class IdPath {
    private IdPath() {
    }

    /**
     * The lowest free quantum at or after the rotor in the dense span the rotor's hint is, allocated, or
     * {@link Arena#NONE} with nothing changed if this path does not apply (the hint is no dense span, the span is
     * not plain or has none there, or the rule is due).
     */
    static long takeNext(ArenaEngine e) {
        Tag hint = e.rotorHint;
        if (hint.type != Tag.DENSE) {
            return Arena.NONE;
        }
        DenseTag d = (DenseTag) hint;
        if (d.untilRuleCheck <= 1) {
            return Arena.NONE;
        }
        long from = e.rotor;
        long start = d.bits.takePlainOneFrom(from);
        if (start == Arena.NONE) {
            return Arena.NONE;
        }
        d.untilRuleCheck--;
        e.allocated += e.quantum;
        e.allocations++;
        if (e.changes != null) { // in the general path's order, which matters only to an observer that throws
            e.changes.accept(new ArenaChange.Allocated(start, e.quantum));
        }
        e.rotor = start + e.quantum;
        if (e.changes != null) {
            e.changes.accept(new ArenaChange.CursorMoved(from, e.rotor));
        }
        return start;
    }

    /**
     * The INSTANT_FIT allocation of one quantum where it reuses the fresh run of the arena's only dense span (see
     * {@link DenseSpan#takeFreshOne}): the block the general path would place, allocated, or {@link Arena#NONE} with
     * nothing changed if this path does not apply.
     */
    static long takeFresh(ArenaEngine e) {
        SpanForms forms = e.forms;
        if (forms.dense.size() != 1) {
            return Arena.NONE;
        }
        DenseTag d = forms.dense.get(0);
        if (d.untilRuleCheck <= 1) {
            return Arena.NONE;
        }
        long start = d.bits.takeFreshOne(e.freeLists.classesFrom(0));
        if (start == Arena.NONE) {
            return Arena.NONE;
        }
        d.untilRuleCheck--;
        e.allocated += e.quantum;
        e.allocations++;
        if (e.changes != null) {
            e.changes.accept(new ArenaChange.Allocated(start, e.quantum));
        }
        return start;
    }

    /**
     * Frees {@code base}, checking {@code size} unless it is {@link Arena#NONE}, if it is a one-quantum allocation of
     * the dense span the engine found last, and returns true; returns false with nothing changed if this path does not
     * apply (elsewhere, a longer block, not allocated, a quarantine, the last allocation of an imported span, or the
     * rule due): the general path then frees it or says why not. In a span that is not plain the free counts the
     * size classes and the starts as the general path's does.
     */
    static boolean free(ArenaEngine e, long base, long size) {
        DenseTag d = e.forms.lastHolding(base);
        if (d == null || d.untilRuleCheck <= 1 || e.quarantine != null || size != Arena.NONE && size > e.quantum
                || d.imported && d.bits.allocations == 1
                || !(d.bits.plain() ? d.bits.freePlainOne(base) : d.bits.freeOne(base))) {
            return false;
        }
        d.untilRuleCheck--;
        e.allocated -= e.quantum;
        e.frees++;
        if (e.changes != null) {
            e.changes.accept(new ArenaChange.Freed(base, e.quantum));
        }
        return true;
    }
}

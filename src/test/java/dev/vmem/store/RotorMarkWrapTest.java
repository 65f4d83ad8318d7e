package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.ArenaChange;
import dev.vmem.Policy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A unit that wraps a NEXT_FIT rotor, below SYNC, gets a new mark one step ahead of where the rotor now is
 * (the lap before is behind it), not the mark of the lap before: replaying the unit, the wrap clears the
 * old mark and the new one is set, so a crash after it skips at most the reserve of values never handed
 * out. Found by {@link PowerLossTest} at WRITE and BUFFERED (the ring's rotor skipped ~200 of its 256 ids
 * with a reserve of 8).
 */
class RotorMarkWrapTest {
    private static final long RESERVE = 8;

    @TempDir
    Path dir;

    @Test
    void plan_ofAUnitThatWraps_marksOneStepAheadOfTheNewRotor_notTheOldLapsMark() {
        RotorMarks marks = new RotorMarks(RESERVE, () -> 0L);
        marks.track(1, 1);
        List<Op> outward = new ArrayList<>(List.of(new Op.Change(1, new ArenaChange.CursorMoved(0, 1000))));
        RotorMarks.Plan first = marks.plan(outward, Durability.WRITE, 0);
        outward.addAll(first.marks());
        marks.appended(outward, 1);
        long oldMark = first.marks().get(0).mark();
        assertTrue(oldMark > 1000, "the first mark is ahead of the rotor: " + oldMark);

        List<Op> wrap = List.of(new Op.Change(1, new ArenaChange.CursorMoved(1000, 50)));
        RotorMarks.Plan plan = marks.plan(wrap, Durability.WRITE, 1);

        assertTrue(plan.mustSync(), "a wrap below SYNC waits for its mark");
        long mark = plan.marks().get(0).mark();
        assertTrue(mark > 50 && mark <= 50 + RESERVE, "the wrapping unit's mark is " + mark + " (the lap before ended"
                + " at " + oldMark + "): a crash after it would skip " + (mark - 50) + " values never handed out, more"
                + " than rotorReserve=" + RESERVE);
    }

    /**
     * With a reserve below 128 the first step is one quantum, so half of it is none: no extension is ever
     * due ({@link RotorMarks#extensionsDue} needs the rotor within half a step of the mark, and the unit that
     * made the mark leaves the rotor a whole step behind it), the step never grows (only an extension grows
     * it), and every unit below SYNC that moves a rotor waits for an fsync, as at SYNC. Found by the
     * power-loss workload's rotor skips, which were never more than one quantum with reserves of 8 to 64.
     */
    @Test
    void smallReserve_stillExtendsMarksAhead_soUnitsBelowSyncRarelyWait() {
        RotorMarks marks = new RotorMarks(64, () -> 0L);
        marks.track(1, 1);
        long seq = 0;
        for (long rotor = 0; rotor < 100; rotor++) {
            List<Op> ops = new ArrayList<>(List.of(new Op.Change(1, new ArenaChange.CursorMoved(rotor, rotor + 1))));
            RotorMarks.Plan plan = marks.plan(ops, Durability.WRITE, seq);
            ops.addAll(plan.marks());
            marks.appended(ops, ++seq);
            for (int due : marks.extensionsDue(ops)) {
                List<Op> extension = List.of(marks.extension(due, rotor + 1));
                marks.appended(extension, ++seq); // journalled and fsynced in the background
            }
        }
        assertTrue(marks.waits() <= marks.moves() / 4, marks.waits() + " of " + marks.moves() + " units that moved"
                + " the rotor waited for a mark's fsync with rotorReserve=64");
    }

    @Test
    void crashAfterAWrapAtWrite_skipsAtMostTheReserve_andHandsOutNoValueOfTheNewLapAgain() {
        StoreOptions opts = StoreOptions.builder(dir).checkpointInterval(Duration.ZERO).durability(Durability.WRITE)
                .rotorReserve(RESERVE).build();
        try (VmemStore store = VmemStore.open(opts)) {
            PersistentArena ring = store.createArena(ArenaDefinition.of("ring", 1));
            ring.addSpan(0, 1000);
            for (int i = 0; i < 10; i++) {
                ring.free(ring.alloc(100, Policy.NEXT_FIT), 100);
            }
            assertEquals(1000, ring.nextFitCursor());
            long wrapped = ring.alloc(100, Policy.NEXT_FIT);
            assertEquals(0, wrapped, "the rotor came round");
            ring.free(wrapped, 100); // [0, 100) was handed out in this lap: not again before the rotor comes round
            StoreCrash.crash(store);
        }
        try (VmemStore store = VmemStore.open(opts)) {
            long skipped = store.recovery().rotorSkips().stream().mapToLong(s -> s.to() - Math.max(s.from(), 100))
                    .sum();
            assertTrue(skipped <= RESERVE, "recovery skipped " + skipped + " values never handed out, more than"
                    + " rotorReserve=" + RESERVE + ": " + store.recovery().rotorSkips());
            PersistentArena ring = store.arena("ring");
            assertNotEquals(0, ring.alloc(100, Policy.NEXT_FIT), "[0, 100), handed out in the rotor's current lap,"
                    + " is handed out again (rotor after recovery: " + store.recovery().rotorSkips() + ")");
            StoreFixture.assertSound(store);
        }
    }
}

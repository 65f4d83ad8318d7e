package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rotor mark a wrapping unit journals must be one step ahead of where the wrap left the rotor, not the
 * mark of the lap before. Found by {@link CrashByDurabilityTest} (a BUFFERED skip of 26,454 quanta with a
 * reserve of 256): {@code RotorMarks.ahead} keeps the larger of the new mark and the logged one, and on a wrap
 * the logged one is the previous lap's, high up the span.
 */
class RotorMarkAfterWrapTest {
    private static final long RESERVE = 64;
    private static final long END = 300;

    @TempDir
    Path dir;

    private StoreOptions options(Durability level) {
        return StoreOptions.builder(dir).checkpointInterval(Duration.ZERO).durability(level).rotorReserve(RESERVE)
                .flushInterval(StoreOptions.MAX_FLUSH_INTERVAL).build();
    }

    /** Runs the rotor to the span's end, frees everything and wraps it; returns the values of the new lap. */
    private static List<Long> wrapThenAllocate(VmemStore store, int afterWrap) {
        PersistentArena pids = store.createArena(ArenaDefinition.of("pids", 1));
        pids.addSpan(0, END);
        List<Long> lap = new ArrayList<>();
        for (long i = 0; i < END - 10; i++) {
            lap.add(pids.alloc(1, Policy.NEXT_FIT));
        }
        for (long v : lap) {
            pids.free(v);
        }
        for (int i = 0; i < 10; i++) {
            pids.alloc(1, Policy.NEXT_FIT); // END - 10 .. END - 1
        }
        long wrapped = pids.alloc(1, Policy.NEXT_FIT);
        assertEquals(0, wrapped, "the rotor wraps to the lowest free value");
        List<Long> newLap = new ArrayList<>(List.of(wrapped));
        for (int i = 0; i < afterWrap; i++) {
            newLap.add(pids.alloc(1, Policy.NEXT_FIT));
        }
        return newLap;
    }

    @Test
    void crashAfterAWrap_atWrite_skipsAtMostTheReserve() {
        try (VmemStore store = VmemStore.open(options(Durability.WRITE))) {
            wrapThenAllocate(store, 5);
            StoreCrash.crash(store);
        }
        try (VmemStore store = VmemStore.open(options(Durability.WRITE))) {
            for (RecoveryReport.RotorSkip skip : store.recovery().rotorSkips()) {
                assertTrue(skip.to() - skip.from() <= RESERVE, skip + " skips more than the reserve " + RESERVE
                        + " of values never handed out (a process crash at WRITE loses nothing)");
            }
            StoreFixture.assertSound(store);
        }
    }

    @Test
    void crashAfterAWrap_atBuffered_handsNoLostValueOutAgain() {
        List<Long> lost;
        try (VmemStore store = VmemStore.open(options(Durability.BUFFERED))) {
            lost = wrapThenAllocate(store, 5);
            lost.remove(0); // the wrapping unit waited for its fsync: it survives
            StoreCrash.crash(store); // drops the buffer: the five allocations after the wrap are lost
        }
        try (VmemStore store = VmemStore.open(options(Durability.BUFFERED))) {
            PersistentArena pids = store.arena("pids");
            List<Long> next = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                next.add(pids.alloc(1, Policy.NEXT_FIT));
            }
            for (long v : next) {
                assertTrue(!lost.contains(v), "NEXT_FIT handed out " + v + " again after the crash (lost values "
                        + lost + ", handed out now " + next + ", recovery " + store.recovery().rotorSkips() + ")");
            }
            StoreFixture.assertSound(store);
        }
    }
}

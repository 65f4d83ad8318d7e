package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code verify()} of a live store below SYNC must find nothing wrong with a rotor mark that is set (fails on
 * main): {@code StoreVerifier.checkAgainstDisk} replays with {@code Recovery.recover}, which moves every rotor
 * whose mark is set up to the mark, as after a crash, and then compares that cursor with the live one.
 */
class VerifyBelowSyncTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = Durability.class, names = {"WRITE", "BUFFERED"})
    void verify_liveStoreWhoseRotorHasAMark_findsNothing(Durability level) {
        try (VmemStore store = VmemStore.open(StoreOptions.builder(dir).checkpointInterval(Duration.ZERO)
                .durability(level).rotorReserve(64).build())) {
            PersistentArena pids = store.createArena(ArenaDefinition.of("pids", 1));
            pids.addSpan(0, 300);
            for (int i = 0; i < 5; i++) {
                pids.alloc(1, Policy.NEXT_FIT);
            }
            store.sync();
            assertTrue(store.stats().rotorMoves() > 0, "the allocations ran below SYNC: " + store.stats());
            assertEquals(List.of(), store.verify(), level + ", rotor at " + pids.nextFitCursor());
            assertEquals(List.of(), pids.checkInvariants());
        }
    }
}

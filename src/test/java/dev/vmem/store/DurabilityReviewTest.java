package dev.vmem.store;

import static dev.vmem.store.StoreFixture.assertSound;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An adversarial review of the durability levels and the log-ahead NEXT_FIT rotor ({@link RotorMarks}): each
 * test pins a promise of {@link Durability} / {@link VmemStore} that a review found broken or at risk.
 */
@Timeout(60)
class DurabilityReviewTest {
    /** Long enough that no background flush happens during a test unless it waits for one. */
    private static final Duration NEVER = StoreOptions.MAX_FLUSH_INTERVAL;

    @TempDir
    Path dir;

    /**
     * {@code rotorReserve} accepts any positive value, but the step doubles with {@code s.step * 2} in
     * {@code RotorMarks.adapt} without a bound check: from a reserve past 2^62 the step overflows to a negative
     * number after a few fast marks, and the next mark is journalled below the rotor (or as -1, which a replay
     * refuses as "negative"). A ring that wraps quickly makes every wrap a new mark, so the step doubles fast.
     */
    @Test
    void aHugeRotorReserve_neverJournalsAMarkBelowTheRotor_andTheStoreReopensAfterACrash() {
        StoreOptions opts = StoreOptions.builder(dir).checkpointInterval(Duration.ZERO)
                .durability(Durability.BUFFERED).flushInterval(NEVER).rotorReserve(Long.MAX_VALUE).build();
        List<String> problems;
        try (VmemStore store = VmemStore.open(opts)) {
            PersistentArena ring = store.createArena(ArenaDefinition.of("ring", 1));
            ring.addSpan(0, 4);
            for (int i = 0; i < 64; i++) { // 16 laps of the rotor, each wrap a new mark within a second
                ring.free(ring.alloc(1, Policy.NEXT_FIT), 1);
            }
            problems = store.verify();
            StoreCrash.crash(store);
        }
        try (VmemStore store = assertDoesNotThrow(() -> VmemStore.open(opts), "reopen after a crash")) {
            assertSound(store);
        }
        assertEquals(List.of(), problems, "before the crash, the journal replays to the state in memory");
    }
}

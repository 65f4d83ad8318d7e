package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.ArenaStats;
import dev.vmem.Policy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the store tests share: options for a store that checkpoints only when told to, the state of a store as
 * values to compare ({@link #dumps}), and the check every store test ends with ({@link #assertSound}).
 */
final class StoreFixture {
    private StoreFixture() {
    }

    /** A store in {@code dir} without timed checkpoints: a test decides when one is written. */
    static StoreOptions options(Path dir) {
        return StoreOptions.builder(dir).checkpointInterval(Duration.ZERO).build();
    }

    /** As {@link #options(Path)}, with journal segments of {@code journalSegmentBytes}: rollovers come soon. */
    static StoreOptions options(Path dir, int journalSegmentBytes) {
        return StoreOptions.builder(dir).checkpointInterval(Duration.ZERO).journalSegmentBytes(journalSegmentBytes)
                .build();
    }

    /** Every arena's {@link PersistentArena#dump}, by name in the store's order. */
    static Map<String, String> dumps(VmemStore store) {
        Map<String, String> out = new LinkedHashMap<>();
        for (PersistentArena a : store.arenas()) {
            out.put(a.name(), a.dump());
        }
        return out;
    }

    /** Every arena's statistics, by name. */
    static Map<String, ArenaStats> stats(VmemStore store) {
        Map<String, ArenaStats> out = new LinkedHashMap<>();
        for (PersistentArena a : store.arenas()) {
            out.put(a.name(), a.stats());
        }
        return out;
    }

    /**
     * Creates an ID arena "ids" (quantum 1) over {@code [1, 1 + span)} and allocates {@code perCheckpoint} IDs
     * with NEXT_FIT before each of {@code checkpoints} checkpoints, then {@code tail} more: a store with a history
     * in both checkpoint generations and the journal.
     */
    static PersistentArena idsWithCheckpoints(VmemStore store, long span, int checkpoints, int perCheckpoint,
            int tail) {
        PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
        ids.addSpan(1, span);
        for (int checkpoint = 0; checkpoint < checkpoints; checkpoint++) {
            for (int i = 0; i < perCheckpoint; i++) {
                ids.alloc(1, Policy.NEXT_FIT);
            }
            assertTrue(store.checkpoint(), "checkpoint " + checkpoint);
        }
        for (int i = 0; i < tail; i++) {
            ids.alloc(1, Policy.NEXT_FIT);
        }
        return ids;
    }

    /** Every arena's invariants hold and {@link VmemStore#verify} finds nothing. */
    static void assertSound(VmemStore store) {
        for (PersistentArena a : store.arenas()) {
            assertEquals(List.of(), a.checkInvariants(), "invariants of " + a.name());
        }
        assertEquals(List.of(), store.verify());
    }

    /** Opens with {@code opts} (default hooks), finds exactly {@code expected}, sound, and closes. */
    static void assertOpensWith(StoreOptions opts, Map<String, String> expected) {
        try (VmemStore store = VmemStore.open(opts)) {
            assertEquals(expected, dumps(store));
            assertSound(store);
        }
    }
}

package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vmem.ArenaStats;
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

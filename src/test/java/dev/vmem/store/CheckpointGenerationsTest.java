package dev.vmem.store;

import static dev.vmem.store.StoreFixture.dumps;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two checkpoint generations: each checkpoint with news is written and moves recovery's starting point,
 * and a clean close leaves both generations holding the same, newest state, with no other checkpoint file
 * beside them.
 */
class CheckpointGenerationsTest {
    @TempDir
    Path dir;

    private long peek(int generation) {
        return Checkpoint.peekSeq(dir.resolve(StoreFormat.checkpointName(generation)));
    }

    @Test
    void everyCheckpointWithNews_isWritten_andRecoveryStartsFromIt() {
        Map<String, String> acknowledged;
        long lastSeq;
        VmemStore store = VmemStore.open(StoreFixture.options(dir));
        try {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(1, 1 << 20);
            for (int round = 1; round <= 3; round++) {
                for (int i = 0; i < 10; i++) {
                    ids.alloc(1, Policy.NEXT_FIT);
                }
                assertTrue(store.checkpoint());
                long seq = 2 + 10L * round;
                assertEquals(seq, Math.max(peek(0), peek(1)), "round " + round + " is in the newest generation");
                assertTrue(store.checkpoint(), "a checkpoint without news succeeds");
                assertEquals(seq, Math.max(peek(0), peek(1)));
            }
            lastSeq = 32;
            acknowledged = dumps(store);
        } finally {
            StoreCrash.crash(store);
        }
        try (VmemStore reopened = VmemStore.open(StoreFixture.options(dir))) {
            assertEquals(acknowledged, dumps(reopened));
            assertEquals(lastSeq, reopened.recovery().checkpointSeq());
            assertEquals(0, reopened.recovery().replayed(), "nothing after the newest checkpoint to replay");
            StoreFixture.assertSound(reopened);
        }
    }

    @Test
    void cleanClose_mirrorsTheNewestGeneration_andLeavesNoOtherCheckpointFile() throws IOException {
        Map<String, String> expected;
        try (VmemStore store = VmemStore.open(StoreFixture.options(dir))) {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(1, 1 << 20);
            for (int i = 0; i < 25; i++) {
                ids.alloc(1, Policy.NEXT_FIT);
                if (i == 9) {
                    assertTrue(store.checkpoint()); // the generations now differ
                }
            }
            expected = dumps(store);
            StoreFixture.assertSound(store);
        }
        assertEquals(27, peek(0));
        assertEquals(27, peek(1));
        try (Stream<Path> entries = Files.list(dir)) {
            List<String> checkpoints = entries.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("checkpoint")).sorted().toList();
            assertEquals(List.of(StoreFormat.checkpointName(0), StoreFormat.checkpointName(1)), checkpoints);
        }
        // Either generation alone now holds everything: damage to one loses nothing.
        JournalForgery.truncate(dir.resolve(StoreFormat.checkpointName(0)), 100);
        StoreFixture.assertOpensWith(StoreFixture.options(dir), expected);
    }
}

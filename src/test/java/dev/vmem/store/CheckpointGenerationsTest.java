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

    /**
     * Without timed checkpoints, the journal growing by {@code checkpointBytes} queues one on the background
     * thread, again and again: each moves recovery's starting point on (bounded wait, 10 s).
     */
    @Test
    void journalGrowth_pastCheckpointBytes_checkpointsInTheBackground_everyTime() {
        StoreOptions opts = StoreOptions.builder(dir).checkpointInterval(java.time.Duration.ZERO)
                .checkpointBytes(4096).build();
        Map<String, String> acknowledged;
        VmemStore store = VmemStore.open(opts);
        try {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(1, 1 << 20);
            for (int round = 1; round <= 2; round++) {
                for (int i = 0; i < 100; i++) { // about 7 KiB of journal
                    ids.alloc(1, Policy.NEXT_FIT);
                }
                long written = 2 + 100L * round;
                long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
                while (Math.max(peek(0), peek(1)) < written - 60) {
                    assertTrue(System.nanoTime() < deadline, "round " + round + ": no background checkpoint past "
                            + Math.max(peek(0), peek(1)));
                    java.util.concurrent.locks.LockSupport.parkNanos(20_000_000);
                }
            }
            acknowledged = dumps(store);
            StoreFixture.assertSound(store);
        } finally {
            StoreCrash.crash(store);
        }
        StoreFixture.assertOpensWith(opts, acknowledged);
    }

    /**
     * Failed allocations are no journal record, only a count in the checkpoint: a checkpoint whose only news is
     * that count is still written, even when both generations already hold the newest record.
     */
    @Test
    void checkpointWhoseOnlyNewsIsTheFailureCount_isWritten_andSurvivesACrash() {
        VmemStore store = VmemStore.open(StoreFixture.options(dir));
        try {
            PersistentArena small = store.createArena(ArenaDefinition.of("small", 1));
            small.addSpan(0, 4);
            assertTrue(store.checkpoint());
            assertTrue(store.checkpoint());
            assertEquals(2, peek(0));
            assertEquals(2, peek(1), "both generations hold the newest record");
            for (int i = 0; i < 3; i++) {
                assertEquals(dev.vmem.Arena.NONE, small.tryAlloc(100, Policy.INSTANT_FIT));
            }
            assertTrue(store.checkpoint());
            StoreFixture.assertSound(store);
        } finally {
            StoreCrash.crash(store);
        }
        try (VmemStore reopened = VmemStore.open(StoreFixture.options(dir))) {
            assertEquals(3, reopened.arena("small").stats().failures());
            StoreFixture.assertSound(reopened);
        }
    }
}

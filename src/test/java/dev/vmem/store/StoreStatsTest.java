package dev.vmem.store;

import static dev.vmem.store.StoreFixture.assertSound;
import static dev.vmem.store.StoreFixture.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link VmemStore#stats()} counts: fsyncs and the units they cover, journal bytes, checkpoints, recovery. */
class StoreStatsTest {
    /** One unit each: the arena's creation, its span and three allocations. */
    private static final int UNITS = 5;

    @TempDir
    Path dir;

    private static void fiveUnits(VmemStore store) {
        PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
        ids.addSpan(0, 1000);
        for (int i = 0; i < 3; i++) {
            ids.alloc(1, Policy.INSTANT_FIT);
        }
    }

    @Test
    void syncOperations_areCountedAsFsyncsAndJournalBytes() {
        try (VmemStore store = VmemStore.open(options(dir))) {
            StoreStats before = store.stats();
            assertEquals(0, before.journal().fsyncs(), "the force at open makes no record durable");
            assertEquals(0, before.journal().unitsPerFsync());
            fiveUnits(store);
            StoreStats after = store.stats();
            assertEquals(UNITS, after.durableSeq() - before.durableSeq());
            assertEquals(UNITS, after.journal().fsyncs(), "one caller at SYNC: an fsync per unit");
            assertEquals(UNITS, after.journal().fsyncedUnits());
            assertEquals(1.0, after.journal().unitsPerFsync());
            assertTrue(after.journal().appendedBytes() > UNITS * StoreFormat.RECORD_HEADER_BYTES, after.toString());
            assertTrue(after.journal().sizeBytes() >= after.journal().appendedBytes(), after.toString());
            assertTrue(after.journal().fsyncTime().compareTo(Duration.ZERO) > 0, after.toString());
            assertTrue(after.recoveryTime().compareTo(Duration.ZERO) > 0, after.toString());
            assertSound(store);
        }
    }

    @Test
    void checkpoints_countedWithAgeAndDuration_failuresApart() throws IOException {
        boolean[] failing = {false};
        StoreHooks hooks = new StoreHooks(StoreFiles.DEFAULT, (files, file, image) -> {
            if (failing[0]) {
                throw new IOException("checkpoint refused by the test");
            }
            Checkpoint.write(files, file, image);
        });
        try (VmemStore store = VmemStore.open(options(dir), hooks)) {
            StoreStats.CheckpointStats none = store.stats().checkpoints();
            assertEquals(new StoreStats.CheckpointStats(0, 0, Optional.empty(), Optional.empty()), none);
            fiveUnits(store);
            assertTrue(store.checkpoint());
            assertTrue(store.checkpoint(), "the other generation");
            assertTrue(store.checkpoint(), "both hold everything: nothing is written");
            StoreStats.CheckpointStats one = store.stats().checkpoints();
            assertEquals(2, one.written());
            assertEquals(0, one.failed());
            assertTrue(one.lastDuration().orElseThrow().compareTo(Duration.ZERO) > 0, one.toString());
            Duration age = one.lastAge().orElseThrow();
            assertTrue(store.stats().checkpoints().lastAge().orElseThrow().compareTo(age) >= 0, "the age grows");
            failing[0] = true;
            store.arena("ids").alloc(1, Policy.INSTANT_FIT);
            assertFalse(store.checkpoint());
            StoreStats.CheckpointStats failed = store.stats().checkpoints();
            assertEquals(2, failed.written());
            assertEquals(1, failed.failed());
            failing[0] = false;
            assertSound(store);
        }
    }

    @Test
    void aCheckpointWrittenAtClose_isNotCountedOnTheNextOpen_andAReopenReportsItsRecovery() {
        try (VmemStore store = VmemStore.open(options(dir))) {
            fiveUnits(store);
            store.closeWithoutCheckpoint();
        }
        try (VmemStore store = VmemStore.open(options(dir))) {
            StoreStats stats = store.stats();
            assertEquals(UNITS, store.recovery().replayed());
            assertEquals(0, stats.checkpoints().written());
            assertEquals(0, stats.journal().appendedBytes(), "counted since this open");
            assertTrue(stats.journal().sizeBytes() > 0, "the replayed records are still in the journal");
            assertTrue(stats.recoveryTime().compareTo(Duration.ZERO) > 0);
            assertSound(store);
        }
    }
}

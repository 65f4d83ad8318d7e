package dev.vmem.store;

import static dev.vmem.store.StoreFixture.assertSound;
import static dev.vmem.store.StoreFixture.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import jdk.jfr.Category;
import jdk.jfr.EventType;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JFR events a store commits while a recording wants them: fsync, checkpoint, recovery. */
class StoreJfrTest {
    @TempDir
    Path dir;

    private static List<RecordedEvent> named(List<RecordedEvent> events, String name) {
        return events.stream().filter(e -> e.getEventType().getName().equals(name)).toList();
    }

    @Test
    void syncOperations_aCheckpointAndAReopen_areRecorded() throws IOException {
        Path store = dir.resolve("store");
        Path file = dir.resolve("store.jfr");
        long checkpointSeq;
        long durable;
        try (Recording recording = new Recording()) {
            for (String name : Set.of("dev.vmem.Fsync", "dev.vmem.Checkpoint", "dev.vmem.Recovery")) {
                recording.enable(name).withoutThreshold();
            }
            recording.start();
            try (VmemStore s = VmemStore.open(options(store))) {
                PersistentArena ids = s.createArena(ArenaDefinition.of("ids", 1));
                ids.addSpan(0, 1000);
                ids.alloc(1, Policy.INSTANT_FIT);
                assertTrue(s.checkpoint());
                checkpointSeq = s.stats().appendedSeq();
                ids.alloc(1, Policy.INSTANT_FIT);
                ids.alloc(1, Policy.INSTANT_FIT);
                durable = s.stats().journal().fsyncedUnits();
                s.closeWithoutCheckpoint(); // so that the reopen replays the last two
            }
            try (VmemStore s = VmemStore.open(options(store))) {
                assertEquals(2, s.recovery().replayed());
                assertSound(s);
            }
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);

        List<RecordedEvent> fsyncs = named(events, "dev.vmem.Fsync").stream()
                .filter(e -> e.getLong("units") > 0).toList();
        assertTrue(fsyncs.size() >= durable, "an fsync per SYNC unit of the first open, at least: " + fsyncs);
        for (RecordedEvent e : fsyncs) {
            assertEquals(store.toString(), e.getString("store"));
            assertTrue(e.getLong("bytes") > StoreFormat.RECORD_HEADER_BYTES, e.toString());
            assertTrue(!e.getDuration().isNegative(), e.toString());
        }
        EventType type = fsyncs.get(0).getEventType();
        assertEquals(List.of("vmem", "Store"), type.getCategoryNames());
        assertEquals(List.of("vmem", "Store"), List.of(FsyncEvent.class.getAnnotation(Category.class).value()));

        List<RecordedEvent> checkpoints = named(events, "dev.vmem.Checkpoint");
        RecordedEvent first = checkpoints.get(0);
        assertEquals(checkpointSeq, first.getLong("sequence"));
        assertEquals(CheckpointEvent.WRITTEN, first.getString("outcome"));
        assertEquals(1, first.getLong("arenas"));
        assertTrue(first.getDuration().toNanos() > 0, first.toString());

        List<RecordedEvent> recoveries = named(events, "dev.vmem.Recovery");
        assertEquals(2, recoveries.size(), "one per open: " + recoveries);
        assertEquals(0, recoveries.get(0).getLong("recordsReplayed"), "a new store");
        RecordedEvent reopen = recoveries.get(1);
        assertEquals(checkpointSeq, reopen.getLong("checkpointSequence"));
        assertEquals(2, reopen.getLong("recordsReplayed"));
        assertEquals(0, reopen.getLong("recordsCut"));
        assertEquals(0, reopen.getLong("acknowledgedLost"));
        assertTrue(reopen.getDuration().toNanos() > 0, reopen.toString());
    }
}

package dev.vmem.store;

import static dev.vmem.store.JournalForgery.records;
import static dev.vmem.store.JournalForgery.segments;
import static dev.vmem.store.StoreFixture.dumps;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import dev.vmem.testing.StoreDirectories;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The journal and its head at the exact edges of their rules: a segment file exactly one header long, a
 * damaged record that is exactly the newest one the head proves durable, and the like. Each case sits on the
 * one value where a rule's {@code <} and {@code <=} part; the store must open with exactly what was
 * acknowledged, or refuse naming the right cause.
 */
class JournalEdgesTest {
    @TempDir
    Path dir;

    private StoreOptions opts() {
        return StoreFixture.options(dir);
    }

    /**
     * 40 NEXT_FIT IDs (records 1 to 42), then a checkpoint of all of them if {@code checkpointed}; the store
     * stops as a crash stops it. Returns its state.
     */
    private Map<String, String> crashedWithIds(boolean checkpointed) {
        VmemStore store = VmemStore.open(opts());
        try {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(1, 1 << 20);
            for (int i = 0; i < 40; i++) {
                ids.alloc(1, Policy.NEXT_FIT);
            }
            if (checkpointed) {
                assertTrue(store.checkpoint());
            }
            return dumps(store);
        } finally {
            StoreCrash.crash(store);
        }
    }

    /**
     * The crash came after the new segment's file got its length but before its header bytes landed. With
     * {@code checkpointed}, the checkpoint holds every record, so the segment the head names is the only one
     * the journal has left: it must be read, not skipped with the ones the checkpoint holds whole.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void segmentCreatedByACrash_exactlyOneHeaderOfZeros_isDiscarded_andTheStoreOpens(boolean checkpointed)
            throws IOException {
        Map<String, String> acknowledged = crashedWithIds(checkpointed);
        Path stray = JournalForgery.journalDir(dir).resolve(StoreFormat.segmentName(43));
        Files.write(stray, new byte[StoreFormat.SEGMENT_HEADER_BYTES]);
        try (VmemStore store = VmemStore.open(opts())) {
            assertEquals(acknowledged, dumps(store));
            assertFalse(Files.exists(stray), "the segment that never held a record is deleted");
            assertTrue(Files.exists(JournalForgery.journalDir(dir).resolve(StoreFormat.segmentName(1))),
                    "the segment the head names is kept");
            assertEquals(41, store.arena("ids").alloc(1, Policy.NEXT_FIT));
            StoreFixture.assertSound(store);
        }
    }

    @Test
    void segmentTheHeadNames_withADamagedHeader_isRefusedAsDamaged_notAsMissing() throws IOException {
        try (VmemStore store = VmemStore.open(opts())) {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(1, 1 << 20);
            ids.alloc(1, Policy.NEXT_FIT);
            StoreFixture.assertSound(store);
        }
        List<Path> segs = segments(dir);
        assertEquals(1, segs.size(), "a clean close leaves one segment, which the head names: " + segs);
        Path seg = segs.get(0);
        assertEquals(StoreFormat.SEGMENT_HEADER_BYTES, Files.size(seg));
        JournalForgery.xorByte(seg, StoreFormat.SEGMENT_FIRST_SEQ_OFFSET);
        StoreCorruptedException e = assertThrows(StoreCorruptedException.class, () -> VmemStore.open(opts()));
        assertEquals(seg, e.file());
        assertTrue(e.getMessage().contains("header is damaged"), e.getMessage());
        assertTrue(Files.exists(seg), "a refused open deletes nothing");
    }

    /** Waits (bounded) until the store head records {@code seq} as durable: it does so within about a second. */
    private void awaitHead(long seq) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (StoreHead.read(dir).durableSeq() < seq) {
            assertTrue(System.nanoTime() < deadline, "the head reached only " + StoreHead.read(dir).durableSeq());
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    /**
     * 300 NEXT_FIT IDs (records 1 to 302) in segments of 4 KiB, then the store stops as a crash stops it; with
     * {@code headCaughtUp}, only once the head records all of them as durable.
     */
    private void crashedInSmallSegments(boolean headCaughtUp) throws IOException {
        VmemStore store = VmemStore.open(StoreFixture.options(dir, 4096));
        try {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(1, 1 << 20);
            for (int i = 0; i < 300; i++) {
                ids.alloc(1, Policy.NEXT_FIT);
            }
            if (headCaughtUp) {
                awaitHead(302);
            }
        } finally {
            StoreCrash.crash(store);
        }
    }

    @Test
    void newestRecordTorn_thatTheHeadProvesDurable_isRefusedAtThatRecord() throws IOException {
        crashedInSmallSegments(true);
        List<Path> segs = segments(dir);
        Path last = segs.get(segs.size() - 1);
        List<JournalForgery.Rec> recs = records(last);
        JournalForgery.Rec newest = recs.get(recs.size() - 1);
        assertEquals(StoreHead.read(dir).durableSeq(), newest.seq(), "the head names exactly the newest record");
        JournalForgery.truncate(last, newest.end() - 1);
        StoreCorruptedException e = assertThrows(StoreCorruptedException.class,
                () -> VmemStore.open(StoreFixture.options(dir, 4096)));
        assertEquals(last, e.file());
        assertEquals(newest.offset(), e.offset(), e.getMessage());
        assertTrue(e.getMessage().contains("journal record " + newest.seq() + " is damaged, but the store head"),
                e.getMessage());
    }

    @Test
    void newestSegmentDeleted_isRefused_namingTheRecordsTheHeadProvesLost() throws IOException {
        crashedInSmallSegments(true);
        List<Path> segs = segments(dir);
        Path last = segs.get(segs.size() - 1);
        long first = JournalReader.listSegments(JournalForgery.journalDir(dir)).get(segs.size() - 1);
        long durable = StoreHead.read(dir).durableSeq();
        Files.delete(last);
        StoreCorruptedException e = assertThrows(StoreCorruptedException.class,
                () -> VmemStore.open(StoreFixture.options(dir, 4096)));
        assertEquals(last, e.file());
        assertTrue(e.getMessage().contains("is missing") && e.getMessage().contains(
                "and records " + first + " to " + durable), e.getMessage());
    }

    @Test
    void segmentRoll_isRecordedInTheHead_beforeAnyRecordGoesIntoTheNewSegment() throws IOException {
        VmemStore store = VmemStore.open(StoreFixture.options(dir, 4096));
        try {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(1, 1 << 20);
            List<Long> firsts = JournalReader.listSegments(JournalForgery.journalDir(dir));
            for (int i = 0; i < 400 && firsts.size() < 4; i++) {
                ids.alloc(1, Policy.NEXT_FIT);
                List<Long> now = JournalReader.listSegments(JournalForgery.journalDir(dir));
                if (!now.equals(firsts)) {
                    assertEquals(now.get(now.size() - 1), StoreHead.read(dir).segment(),
                            "the head names the new segment as soon as the roll returns");
                    firsts = now;
                }
            }
            assertTrue(firsts.size() >= 4, "segments: " + firsts);
            StoreFixture.assertSound(store);
        } finally {
            StoreCrash.crash(store);
        }
    }

    @Test
    void journalCutBackBeforeTheCheckpoint_isRefused_namingTheCheckpoint() throws IOException {
        crashedWithIds(true);
        Path seg = segments(dir).get(0);
        List<JournalForgery.Rec> recs = records(seg);
        JournalForgery.Rec newest = recs.get(recs.size() - 1);
        assertEquals(42, newest.seq());
        JournalForgery.truncate(seg, newest.offset()); // exactly at a record boundary: no record is torn
        StoreCorruptedException e = assertThrows(StoreCorruptedException.class, () -> VmemStore.open(opts()));
        assertTrue(e.getMessage().contains("the journal ends at sequence 41 but the checkpoint reflects up to 42"),
                e.getMessage());
    }

    @Test
    void zerosAfterARecordWhoseLastByteIsZero_areTheEndOfTheJournal_andNoCutIsReported() throws IOException {
        Map<String, String> acknowledged;
        VmemStore store = VmemStore.open(opts());
        Path seg = segments(dir).get(0);
        try {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(1, 1 << 20);
            // NEXT_FIT records end with the rotor's new position: 256 ends in a zero byte.
            for (int i = 0; i < 1000 && ids.nextFitCursor() != 256; i++) {
                ids.alloc(1, Policy.NEXT_FIT);
            }
            assertEquals(256, ids.nextFitCursor());
            acknowledged = dumps(store);
        } finally {
            StoreCrash.crash(store);
        }
        long end = JournalForgery.recordsEnd(seg);
        assertEquals(end, Files.size(seg));
        assertEquals(0, Files.readAllBytes(seg)[(int) end - 1], "the last record ends in a zero byte");
        JournalForgery.append(seg, new byte[100]);
        try (VmemStore reopened = VmemStore.open(opts())) {
            assertEquals(acknowledged, dumps(reopened));
            assertEquals(java.util.Optional.empty(), reopened.recovery().cut(), "zeros are not a lost tail");
            StoreFixture.assertSound(reopened);
        }
    }

    /**
     * A segment that is not the last ends exactly at its last record (it was cut and forced before the next
     * one began): zeros after it and other bytes after it are both refused, each named for what it is.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void olderSegment_runningOnAfterItsLastRecord_isRefused_sayingWhatFollows(boolean zeros) throws IOException {
        crashedInSmallSegments(false);
        List<Path> segs = segments(dir);
        assertTrue(segs.size() >= 3, "segments: " + segs);
        Path older = segs.get(1);
        List<JournalForgery.Rec> recs = records(older);
        long lastSeq = recs.get(recs.size() - 1).seq();
        long end = Files.size(older);
        byte[] tail = new byte[1000];
        if (!zeros) {
            tail[tail.length - 1] = 7; // zeros, then one byte that is not
        }
        JournalForgery.append(older, tail);
        StoreCorruptedException e = assertThrows(StoreCorruptedException.class,
                () -> VmemStore.open(StoreFixture.options(dir, 4096)));
        assertEquals(older, e.file());
        assertEquals(end, e.offset());
        String expected = zeros ? "runs on in 1000 zero bytes after its last record (" + lastSeq + ")"
                : "journal record " + (lastSeq + 1) + " is damaged in a segment that was forced whole";
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    /**
     * Segments that the checkpoint holds whole are not read: their deletion by an earlier checkpoint may reach
     * the disk in any order, so one of them missing (here the newest of them) is no gap in the journal.
     */
    @Test
    void segmentTheCheckpointHoldsWhole_missing_isNoGap() throws IOException {
        StoreOptions opts = StoreFixture.options(dir, 4096);
        Map<String, String> acknowledged;
        VmemStore store = VmemStore.open(opts);
        try {
            StoreFixture.idsWithCheckpoints(store, 1 << 20, 2, 150, 10);
            acknowledged = dumps(store);
        } finally {
            StoreCrash.crash(store);
        }
        List<Long> firsts = JournalReader.listSegments(JournalForgery.journalDir(dir));
        assertTrue(firsts.size() >= 3, "segments: " + firsts);
        long newestCovered = firsts.get(firsts.size() - 2);
        Files.delete(JournalForgery.journalDir(dir).resolve(StoreFormat.segmentName(newestCovered)));
        try (VmemStore reopened = VmemStore.open(opts)) {
            assertEquals(acknowledged, dumps(reopened));
            assertEquals(firsts.get(firsts.size() - 1) - 1, reopened.recovery().checkpointSeq(),
                    "the checkpoint holds every record before the newest segment");
            assertEquals(10, reopened.recovery().replayed());
            StoreFixture.assertSound(reopened);
        }
    }

    @Test
    void eitherHeadSlotDamaged_theOtherIsUsed_andTheStoreOpens() throws IOException {
        for (int slot = 0; slot < 2; slot++) {
            StoreDirectories.delete(dir);
            Map<String, String> expected;
            try (VmemStore store = VmemStore.open(opts())) {
                PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
                ids.addSpan(1, 1 << 20);
                ids.alloc(1, Policy.NEXT_FIT);
                expected = dumps(store);
            }
            JournalForgery.xorByte(dir.resolve(StoreFormat.HEAD_FILE), (long) slot * StoreFormat.HEAD_SLOT_STRIDE + 9);
            StoreFixture.assertOpensWith(opts(), expected);
        }
    }
}

package dev.vmem.store;

import static dev.vmem.store.JournalForgery.records;
import static dev.vmem.store.JournalForgery.segments;
import static dev.vmem.store.JournalForgery.truncate;
import static dev.vmem.store.StoreFixture.assertOpensWith;
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
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mapdb.BTreeMap;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

/**
 * The journal losing what it acknowledged, in ways no record inside it can show (its newest segment cut
 * short or deleted, the whole directory gone), and a checkpoint's numbers edited: each is refused, or opens
 * with exactly the acknowledged state. Never opens with less, and never lets NEXT_FIT hand out again a value
 * it handed out (the reproduction of finding 1 was a rotor at 1250 handing out 1215 again).
 */
class LostJournalTest {
    @TempDir
    Path dir;

    private Path journalDir() {
        return dir.resolve(StoreFormat.JOURNAL_DIR);
    }

    /** 1,250 NEXT_FIT IDs handed out, then the store stops as a crash stops it, after the head caught up. */
    private Map<String, String> idsHandedOut(StoreOptions opts) throws IOException {
        VmemStore store = VmemStore.open(opts);
        try {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(1, 1 << 20);
            for (int i = 0; i < 1250; i++) {
                ids.alloc(1, Policy.NEXT_FIT);
            }
            assertEquals(1251, ids.nextFitCursor());
            awaitHead(store.recovery().lastSeq() + 1252);
            return dumps(store);
        } finally {
            StoreCrash.crash(store);
        }
    }

    /** Waits (bounded) until the store head records {@code seq} as durable: it does so within about a second. */
    private void awaitHead(long seq) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (StoreHead.read(dir).durableSeq() < seq) {
            assertTrue(System.nanoTime() < deadline, "the head reached only " + StoreHead.read(dir).durableSeq());
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Opening must be refused with a message holding every fragment; the directory is left as it was. */
    private StoreCorruptedException assertRefused(StoreOptions opts, String... fragments) throws IOException {
        List<Path> before = StoreDirectories.files(dir);
        StoreCorruptedException e = assertThrows(StoreCorruptedException.class, () -> VmemStore.open(opts));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' in: " + e.getMessage());
        }
        assertEquals(before, StoreDirectories.files(dir), "a refused open changes nothing");
        return e;
    }

    @Nested
    class NewestSegmentLost {
        @ParameterizedTest
        @ValueSource(ints = {0, 1, 2, 3})
        void newestSegmentCutShort_behindWhatTheHeadRecorded_isRefused(int where) throws IOException {
            StoreOptions opts = StoreFixture.options(dir);
            idsHandedOut(opts);
            List<Path> segs = segments(dir);
            Path last = segs.get(segs.size() - 1);
            List<JournalForgery.Rec> recs = records(last);
            long size = switch (where) {
                case 0 -> recs.get(recs.size() - 1).offset(); // the last record gone
                case 1 -> recs.get(recs.size() - 1).end() - 1; // the last record one byte short
                case 2 -> recs.get(recs.size() / 2).offset(); // half of them gone
                default -> StoreFormat.SEGMENT_HEADER_BYTES; // every record gone
            };
            truncate(last, size);
            assertRefused(opts, "store head", "" + recs.get(recs.size() - 1).seq());
        }

        @Test
        void newestSegmentDeleted_isRefused_namingIt() throws IOException {
            StoreOptions opts = StoreFixture.options(dir, 4096);
            idsHandedOut(opts);
            List<Path> segs = segments(dir);
            assertTrue(segs.size() > 3, "segments: " + segs);
            Files.delete(segs.get(segs.size() - 1));
            assertRefused(opts, segs.get(segs.size() - 1).getFileName().toString(), "missing");
        }

        @Test
        void journalDirectoryDeleted_isRefused_andNotRecreated() throws IOException {
            StoreOptions opts = StoreFixture.options(dir);
            idsHandedOut(opts);
            StoreDirectories.delete(journalDir());
            assertRefused(opts, "journal directory is missing");
            assertFalse(Files.exists(journalDir()), "open must not recreate the journal");
        }

        @Test
        void afterACleanClose_theJournalHoldsNoRecord_andLosingItsSegmentIsStillRefused() throws IOException {
            StoreOptions opts = StoreFixture.options(dir);
            Map<String, String> expected;
            try (VmemStore store = VmemStore.open(opts)) {
                PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
                ids.addSpan(1, 1 << 20);
                for (int i = 0; i < 1250; i++) {
                    ids.alloc(1, Policy.NEXT_FIT);
                }
                expected = dumps(store);
            }
            List<Path> segs = segments(dir);
            assertEquals(1, segs.size(), "one segment: " + segs);
            assertEquals(List.of(), records(segs.get(0)), "no record: both checkpoints hold everything");
            Path seg = segs.get(0);
            byte[] whole = Files.readAllBytes(seg);
            truncate(seg, 10);
            assertRefused(opts, seg.getFileName().toString());
            Files.delete(seg);
            assertRefused(opts, seg.getFileName().toString(), "missing");
            Files.write(seg, whole);
            try (VmemStore store = VmemStore.open(opts)) {
                assertEquals(expected, dumps(store));
                assertEquals(1251, store.arena("ids").alloc(1, Policy.NEXT_FIT), "the rotor goes on from 1251");
                StoreFixture.assertSound(store);
            }
        }
    }

    @Nested
    class CheckpointsLost {
        @Test
        void bothCheckpointsDamaged_afterACleanClose_isRefusedNamingTheCheckpoint() throws IOException {
            StoreOptions opts = StoreFixture.options(dir);
            try (VmemStore store = VmemStore.open(opts)) {
                PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
                ids.addSpan(1, 1 << 20);
                for (int i = 0; i < 50; i++) {
                    ids.alloc(1, Policy.NEXT_FIT);
                }
            }
            for (int g = 0; g < 2; g++) {
                truncate(dir.resolve(StoreFormat.checkpointName(g)), 100);
            }
            StoreCorruptedException e = assertRefused(opts, "checkpoint-", "damaged", "journal starts at sequence 53");
            assertTrue(e.file().getFileName().toString().startsWith("checkpoint-"), "names the checkpoint: " + e.file());
        }
    }

    /** The checkpoint's own numbers are under its checksum: editing one makes it unusable, never silently trusted. */
    @Nested
    class CheckpointNumbersEdited {
        private void edit(Path file, String key, long delta) {
            DB db = DBMaker.fileDB(file.toFile()).fileChannelEnable().fileLockDisable().make();
            try {
                BTreeMap<String, Long> meta = db.treeMap(StoreFormat.MAP_META, Serializer.STRING, Serializer.LONG).open();
                meta.put(key, meta.get(key) + delta);
            } finally {
                db.close();
            }
        }

        @ParameterizedTest
        @ValueSource(strings = {"seq+1", "seq+2", "seq+3", "epoch+1", "arenas+1"})
        void editedNumber_failsTheChecksum_andTheStoreOpensWithEveryAcknowledgedOperation(String edit)
                throws IOException {
            StoreOptions opts = StoreFixture.options(dir);
            Map<String, String> expected;
            VmemStore store = VmemStore.open(opts);
            int newest;
            try {
                PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
                ids.addSpan(1, 1 << 20);
                for (int round = 0; round < 3; round++) {
                    for (int i = 0; i < 100; i++) {
                        ids.alloc(1, Policy.NEXT_FIT);
                    }
                    assertTrue(store.checkpoint());
                }
                for (int i = 0; i < 3; i++) {
                    ids.alloc(1, Policy.NEXT_FIT); // the journal's tail beyond the newest checkpoint
                }
                expected = dumps(store);
                newest = Checkpoint.peekSeq(dir.resolve(StoreFormat.checkpointName(0)))
                        > Checkpoint.peekSeq(dir.resolve(StoreFormat.checkpointName(1))) ? 0 : 1;
            } finally {
                StoreCrash.crash(store);
            }
            Path file = dir.resolve(StoreFormat.checkpointName(newest));
            String key = edit.substring(0, edit.indexOf('+'));
            edit(file, key, Long.parseLong(edit.substring(edit.indexOf('+') + 1)));
            StoreCorruptedException e = assertThrows(StoreCorruptedException.class, () -> Checkpoint.read(file));
            assertTrue(e.getMessage().contains("checksum"), e.getMessage());
            try (VmemStore reopened = VmemStore.open(opts)) {
                assertEquals(expected, dumps(reopened));
                assertEquals(304, reopened.arena("ids").alloc(1, Policy.NEXT_FIT), "no ID handed out again");
                StoreFixture.assertSound(reopened);
            }
            Checkpoint.read(file); // rebuilt
            assertOpensWith(opts, dumpsAfterOneMore(expected));
        }

        private Map<String, String> dumpsAfterOneMore(Map<String, String> before) {
            try (VmemStore store = VmemStore.open(StoreFixture.options(dir))) {
                Map<String, String> now = dumps(store);
                assertFalse(before.equals(now), "the allocation made after the reopen is kept");
                return now;
            }
        }
    }
}

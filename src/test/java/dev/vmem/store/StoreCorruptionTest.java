package dev.vmem.store;

import static dev.vmem.store.JournalForgery.append;
import static dev.vmem.store.JournalForgery.forgeRecord;
import static dev.vmem.store.JournalForgery.forgeUnacknowledged;
import static dev.vmem.store.JournalForgery.records;
import static dev.vmem.store.JournalForgery.truncate;
import static dev.vmem.store.JournalForgery.xorByte;
import static dev.vmem.store.StoreFixture.assertOpensWith;
import static dev.vmem.store.StoreFixture.dumps;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.ArenaChange;
import dev.vmem.Constraints;
import dev.vmem.Policy;
import dev.vmem.Segment;
import dev.vmem.store.JournalForgery.Rec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Damaged stores: flipped, torn, appended, deleted and forged journal bytes; damaged checkpoint
 * generations; wrong FORMAT files. In every case the store either opens with exactly the right contents
 * or refuses with an exception that says what is wrong and where.
 */
class StoreCorruptionTest {
    @TempDir
    Path dir;

    private StoreOptions options() {
        return StoreFixture.options(dir);
    }

    private StoreOptions smallSegments() {
        return StoreFixture.options(dir, 4096);
    }

    private Path journalDir() {
        return JournalForgery.journalDir(dir);
    }

    private List<Path> segments() throws IOException {
        return JournalForgery.segments(dir);
    }

    /**
     * A store with three arenas (a parent, a child importing from it, a NEXT_FIT id arena) and a few
     * dozen records. Returns the dumps before the last operation; {@code finalDumps} receives the dumps
     * after it.
     */
    private Map<String, String> populate(VmemStore store, Map<String, String> finalDumps) {
        PersistentArena disk = store.createArena(ArenaDefinition.of("disk", 4096));
        disk.addSpan(0, 1 << 26);
        PersistentArena tenant = store.createArena(ArenaDefinition.of("tenant", 4096).withSource("disk", 1 << 20));
        PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
        ids.addSpan(100, 1000);
        List<Long> pages = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            ids.alloc(1 + i % 3, Policy.NEXT_FIT);
            pages.add(tenant.alloc(4096 * (1 + i % 2), Policy.INSTANT_FIT));
        }
        ids.free(100);
        tenant.free(pages.get(3));
        disk.xalloc(Constraints.builder(8192).align(1 << 16).build(), Policy.BEST_FIT);
        Map<String, String> before = dumps(store);
        ids.alloc(5, Policy.NEXT_FIT);
        finalDumps.putAll(dumps(store));
        return before;
    }

    private static long newest(Path dir) {
        long s0 = Checkpoint.peekSeq(dir.resolve(StoreFormat.checkpointName(0)));
        long s1 = Checkpoint.peekSeq(dir.resolve(StoreFormat.checkpointName(1)));
        assertTrue(s0 > 0 && s1 > 0 && s0 != s1, "two generations: " + s0 + ", " + s1);
        return s0 > s1 ? 0 : 1;
    }

    /**
     * Overwrites a 256-byte block in the middle of the file's written content. MapDB files are mostly
     * preallocated zeros and keep stale copies of rewritten records, so a block that holds nothing live
     * changes nothing: blocks are tried from the middle of the non-zero bytes outwards, and the first
     * whose damage makes the checkpoint unreadable stays damaged.
     */
    private static void overwriteMiddle(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        List<Integer> used = new ArrayList<>();
        for (int block = 0; block < bytes.length; block += 256) {
            for (int i = block; i < Math.min(block + 256, bytes.length); i++) {
                if (bytes[i] != 0) {
                    used.add(block);
                    break;
                }
            }
        }
        int middle = used.size() / 2;
        for (int step = 0; step < used.size(); step++) {
            int index = middle + ((step & 1) == 0 ? step / 2 : -(step / 2 + 1));
            if (index < 0 || index >= used.size()) {
                continue;
            }
            byte[] damaged = bytes.clone();
            for (int i = used.get(index); i < Math.min(used.get(index) + 256, bytes.length); i++) {
                damaged[i] ^= (byte) 0xA5;
            }
            Files.write(file, damaged);
            try {
                Checkpoint.read(file);
            } catch (StoreCorruptedException expected) {
                return;
            }
        }
        throw new AssertionError("no block of " + file + " matters");
    }

    /** A store with two checkpoint generations and a journal tail beyond both. */
    private Map<String, String> twoGenerations(StoreOptions opts) {
        Map<String, String> expected;
        VmemStore store = VmemStore.open(opts);
        try {
            populate(store, new LinkedHashMap<>());
            assertTrue(store.checkpoint());
            PersistentArena ids = store.arena("ids");
            PersistentArena tenant = store.arena("tenant");
            for (int i = 0; i < 40; i++) {
                ids.alloc(2, Policy.NEXT_FIT);
            }
            assertTrue(store.checkpoint());
            for (int i = 0; i < 40; i++) {
                tenant.alloc(4096, Policy.NEXT_FIT);
            }
            assertTrue(store.checkpoint());
            ids.free(101);
            tenant.alloc(1 << 20, Policy.BEST_FIT);
            expected = dumps(store);
        } finally {
            StoreCrash.crash(store);
        }
        return expected;
    }

    /** A damaged record with whole records after it: damage to acknowledged data, refused. */
    @Nested
    class DamagedRecordFollowedByGoodOnes {
        /** Offsets within a record: length, checksum, sequence number, first payload byte, middle of the payload. */
        @ParameterizedTest
        @ValueSource(ints = {0, 3, 5, 12, 16, -1})
        void flippedByte_inARecordFollowedByGoodOnes_isRefused_namingFileAndOffset(int within) throws IOException {
            VmemStore store = VmemStore.open(options());
            try {
                populate(store, new LinkedHashMap<>());
            } finally {
                StoreCrash.crash(store);
            }
            Path seg = segments().get(0);
            List<Rec> recs = records(seg);
            assertTrue(recs.size() > 20);
            Rec victim = recs.get(recs.size() / 2);
            long at = victim.offset() + (within >= 0 ? within : victim.headerBytes() + victim.length() / 2);
            xorByte(seg, at);

            StoreCorruptedException e = assertThrows(StoreCorruptedException.class, () -> VmemStore.open(options()));
            assertEquals(seg, e.file());
            assertEquals(victim.offset(), e.offset());
            assertTrue(e.getMessage().contains(seg.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("offset " + victim.offset()), e.getMessage());
            assertTrue(e.getMessage().contains("journal record " + victim.seq()), e.getMessage());
            // Refusing changed nothing and released the lock: undoing the damage makes the store open again.
            xorByte(seg, at);
            try (VmemStore reopened = VmemStore.open(options())) {
                assertEquals(List.of(), reopened.verify());
            }
        }

        @Test
        void flippedByte_isRefusedEvenWhenTheCheckpointHoldsTheRecord() throws IOException {
            Map<String, String> all = new LinkedHashMap<>();
            VmemStore store = VmemStore.open(options());
            try {
                populate(store, all);
                assertTrue(store.checkpoint());
            } finally {
                StoreCrash.crash(store);
            }
            Path seg = segments().get(0);
            List<Rec> recs = records(seg);
            Rec victim = recs.get(3);
            xorByte(seg, victim.payload() + 1);
            StoreCorruptedException e = assertThrows(StoreCorruptedException.class, () -> VmemStore.open(options()));
            assertEquals(victim.offset(), e.offset());
            assertTrue(e.getMessage().contains(seg.getFileName().toString()), e.getMessage());
        }

        @Test
        void damagedLastRecordOfAnOlderSegment_isCorruptionNotATornTail() throws IOException {
            VmemStore store = VmemStore.open(smallSegments());
            try {
                PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
                ids.addSpan(0, 1 << 20);
                for (int i = 0; i < 200; i++) {
                    ids.alloc(1, Policy.NEXT_FIT);
                }
            } finally {
                StoreCrash.crash(store);
            }
            List<Path> segs = segments();
            assertTrue(segs.size() >= 3, "segments: " + segs);
            Path older = segs.get(1);
            List<Rec> recs = records(older);
            Rec last = recs.get(recs.size() - 1);
            assertEquals(Files.size(older), last.end());
            xorByte(older, last.end() - 1);
            StoreCorruptedException e = assertThrows(StoreCorruptedException.class, () -> VmemStore.open(smallSegments()));
            assertEquals(older, e.file());
            assertEquals(last.offset(), e.offset());

            xorByte(older, last.end() - 1);
            truncate(older, last.end() - 3); // a torn record in the middle of the journal is no torn tail either
            e = assertThrows(StoreCorruptedException.class, () -> VmemStore.open(smallSegments()));
            assertEquals(older, e.file());
            assertEquals(last.offset(), e.offset());
        }

        @Test
        void damagedSegmentHeader_isRefusedAtOffsetZero() throws IOException {
            VmemStore store = VmemStore.open(options());
            try {
                PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
                ids.addSpan(0, 100);
                ids.alloc(1, Policy.NEXT_FIT);
            } finally {
                StoreCrash.crash(store);
            }
            Path seg = segments().get(0);
            xorByte(seg, 9); // inside the version field
            StoreCorruptedException e = assertThrows(StoreCorruptedException.class, () -> VmemStore.open(options()));
            assertEquals(seg, e.file());
            assertEquals(0, e.offset());
            assertTrue(e.getMessage().contains("header"), e.getMessage());
        }
    }

    /** The last record cut short, as a crash leaves it: cut off, everything before it kept. */
    @Nested
    class TornTail {
        /** Cut points inside the last record: in its header, at its payload start, mid-payload, one byte short. */
        @ParameterizedTest
        @ValueSource(ints = {1, 7, 15, 16, -2, -1})
        void tornLastRecord_isCutOff_andEverythingBeforeItIsThere(int cut) throws IOException {
            Map<String, String> all = new LinkedHashMap<>();
            VmemStore store = VmemStore.open(options());
            try {
                populate(store, all);
            } finally {
                StoreCrash.crash(store);
            }
            Path seg = segments().get(0);
            long end = records(seg).get(records(seg).size() - 1).end();
            // The last operation's record again, being written when the process died: never acknowledged.
            Rec last = forgeUnacknowledged(dir);
            long size = cut == -2 ? last.payload() + last.length() / 2
                    : cut == -1 ? last.end() - 1 : last.offset() + cut;
            truncate(seg, size);

            // Cut off and reported at open; the cut-off bytes are gone for good: new records follow the last whole one.
            Map<String, String> after;
            store = VmemStore.open(options());
            try {
                assertEquals(all, dumps(store));
                assertEquals(List.of(), store.verify());
                // A single byte of a record's length field is a zero: indistinguishable from the writer's zeros.
                assertEquals(cut != 1, store.recovery().cut().isPresent(), "cut reported");
                store.recovery().cut().ifPresent(lost -> {
                    assertEquals(new RecoveryReport.LostTail(seg, last.offset(), last.seq(), last.seq(), 1,
                            lost.bytes()), lost);
                    assertTrue(lost.bytes() > 0 && lost.bytes() <= size - last.offset(), "bytes up to the last non-zero");
                });
                assertEquals(last.seq() - 1, store.recovery().lastSeq());
                assertEquals(end, Files.size(seg), "cut at open");
                store.arena("ids").free(store.arena("ids").alloc(5, Policy.NEXT_FIT));
                after = dumps(store);
            } finally {
                StoreCrash.crash(store);
            }
            assertOpensWith(options(), after);
        }

        @Test
        void tornRecord_afterACheckpoint_isCutOff() throws IOException {
            Map<String, String> atClose;
            try (VmemStore store = VmemStore.open(options())) {
                populate(store, new LinkedHashMap<>());
                atClose = dumps(store);
            }
            VmemStore store = VmemStore.open(options());
            try {
                store.arena("tenant").alloc(3 << 20, Policy.BEST_FIT); // imports
            } finally {
                StoreCrash.crash(store);
            }
            Map<String, String> crashed;
            try (VmemStore reopened = VmemStore.open(options())) {
                crashed = dumps(reopened);
                StoreCrash.crash(reopened);
            }
            Path seg = segments().get(segments().size() - 1);
            Rec last = forgeUnacknowledged(dir);
            truncate(seg, last.end() - 10);
            assertOpensWith(options(), crashed);
            assertTrue(!atClose.equals(crashed), "the import after the checkpoint is kept");
        }
    }

    /** Bytes after the last whole record that are no record: a torn tail. */
    @Nested
    class GarbageAfterTheLastRecord {
        @ParameterizedTest
        @ValueSource(strings = {"random", "zeros", "ones", "next-header", "old-record"})
        void garbageAfterTheLastRecord_isATornTail(String kind) throws IOException {
            Map<String, String> all = new LinkedHashMap<>();
            VmemStore store = VmemStore.open(options());
            try {
                populate(store, all);
            } finally {
                StoreCrash.crash(store);
            }
            Path seg = segments().get(0);
            List<Rec> recs = records(seg);
            Rec last = recs.get(recs.size() - 1);
            byte[] garbage;
            switch (kind) {
                case "random" -> {
                    garbage = new byte[333];
                    new Random(7).nextBytes(garbage);
                }
                case "zeros" -> garbage = new byte[4096]; // a preallocated, never written tail
                case "ones" -> {
                    garbage = new byte[100];
                    Arrays.fill(garbage, (byte) 0xFF);
                }
                case "next-header" -> {
                    // A plausible header of the next record, with a wrong checksum and no payload.
                    garbage = ByteBuffer.allocate(StoreFormat.RECORD_HEADER_BYTES + 10).putInt(10).putInt(12345)
                            .putLong(last.seq() + 1).array();
                }
                default -> {
                    // A copy of an earlier whole record: valid checksum, but an old sequence number.
                    byte[] bytes = Files.readAllBytes(seg);
                    Rec old = recs.get(2);
                    garbage = Arrays.copyOfRange(bytes, (int) old.offset(), (int) old.end());
                }
            }
            append(seg, garbage);
            assertOpensWith(options(), all);

            Map<String, String> after;
            store = VmemStore.open(options());
            try {
                store.arena("disk").alloc(4096, Policy.NEXT_FIT);
                after = dumps(store);
            } finally {
                StoreCrash.crash(store);
            }
            assertOpensWith(options(), after);
        }
    }

    /** One checkpoint generation damaged: the other one and the journal rebuild it. */
    @Nested
    class DamagedCheckpointGeneration {
        static List<Arguments> damages() {
            List<Arguments> out = new ArrayList<>();
            for (String damage : List.of("overwrite-middle", "truncate-half", "truncate-to-header", "empty")) {
                out.add(Arguments.of(damage, false));
                out.add(Arguments.of(damage, true));
            }
            return out;
        }

        /** With {@code trimmed}, small segments let checkpoints delete the journal's first segments. */
        @ParameterizedTest
        @MethodSource("damages")
        void damagedNewestCheckpoint_fallsBackToTheOlderOne_andIsRebuilt(String damage, boolean trimmed)
                throws IOException {
            StoreOptions opts = trimmed ? smallSegments() : options();
            Map<String, String> expected = twoGenerations(opts);
            int g = (int) newest(dir);
            Path file = dir.resolve(StoreFormat.checkpointName(g));
            long size = Files.size(file);
            switch (damage) {
                case "overwrite-middle" -> overwriteMiddle(file);
                case "truncate-half" -> truncate(file, size / 2 + 4096);
                case "truncate-to-header" -> truncate(file, 64);
                default -> truncate(file, 0);
            }
            assertThrows(StoreCorruptedException.class, () -> Checkpoint.read(file), "the damage is real");

            try (VmemStore store = VmemStore.open(opts)) {
                assertEquals(expected, dumps(store));
                assertEquals(List.of(), store.verify());
                assertTrue(store.checkpoint());
            }
            for (int i = 0; i < 2; i++) {
                Path f = dir.resolve(StoreFormat.checkpointName(i));
                assertTrue(Checkpoint.peekSeq(f) > 0, "generation " + i + " readable");
                assertEquals(3, Checkpoint.read(f).arenas.size());
            }
            assertOpensWith(opts, expected);
        }

        @Test
        void damagedOlderCheckpoint_isNotUsed_andGetsRebuilt() throws IOException {
            Map<String, String> expected = twoGenerations(smallSegments());
            int older = 1 - (int) newest(dir);
            Path file = dir.resolve(StoreFormat.checkpointName(older));
            overwriteMiddle(file);
            assertThrows(StoreCorruptedException.class, () -> Checkpoint.read(file));
            try (VmemStore store = VmemStore.open(smallSegments())) {
                assertEquals(expected, dumps(store));
                assertTrue(store.checkpoint());
                assertEquals(List.of(), store.verify());
            }
            Checkpoint.read(file);
            assertOpensWith(smallSegments(), expected);
        }
    }

    /** Both checkpoint generations damaged: the journal alone, if it is whole. */
    @Nested
    class BothGenerationsDamaged {
        @Test
        void bothCheckpointsDamaged_withTheWholeJournal_opensFromTheJournal() throws IOException {
            Map<String, String> expected = new LinkedHashMap<>();
            VmemStore store = VmemStore.open(options());
            try {
                populate(store, expected);
                assertTrue(store.checkpoint()); // one generation: the journal keeps every record the other lacks
            } finally {
                StoreCrash.crash(store);
            }
            Files.copy(dir.resolve(StoreFormat.checkpointName(0)), dir.resolve(StoreFormat.checkpointName(1)));
            assertTrue(Files.exists(journalDir().resolve(StoreFormat.segmentName(1))), "the journal starts at 1");
            overwriteMiddle(dir.resolve(StoreFormat.checkpointName(0)));
            truncate(dir.resolve(StoreFormat.checkpointName(1)), 100);
            assertOpensWith(options(), expected);
            for (int g = 0; g < 2; g++) {
                Checkpoint.read(dir.resolve(StoreFormat.checkpointName(g))); // rebuilt by the open and the close
            }
        }

        @Test
        void bothCheckpointsDamaged_afterTheJournalWasTrimmed_isRefused() throws IOException {
            twoGenerations(smallSegments());
            assertFalse(Files.exists(journalDir().resolve(StoreFormat.segmentName(1))),
                    "checkpoints let the journal drop its first segments");
            overwriteMiddle(dir.resolve(StoreFormat.checkpointName(0)));
            overwriteMiddle(dir.resolve(StoreFormat.checkpointName(1)));
            for (int g = 0; g < 2; g++) {
                Path f = dir.resolve(StoreFormat.checkpointName(g));
                assertThrows(StoreCorruptedException.class, () -> Checkpoint.read(f));
            }
            StoreCorruptedException e = assertThrows(StoreCorruptedException.class, () -> VmemStore.open(smallSegments()));
            assertTrue(e.getMessage().contains("journal starts at sequence"), e.getMessage());
            assertTrue(e.getMessage().contains("missing"), e.getMessage());
        }
    }

    /** A journal segment deleted: refused, naming the gap. */
    @Nested
    class MissingSegment {
        @Test
        void deletedMiddleSegment_isRefused_namingTheGap() throws IOException {
            VmemStore store = VmemStore.open(smallSegments());
            try {
                PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
                ids.addSpan(0, 1 << 20);
                for (int i = 0; i < 300; i++) {
                    ids.alloc(1, Policy.NEXT_FIT);
                }
            } finally {
                StoreCrash.crash(store);
            }
            List<Long> firsts = JournalReader.listSegments(journalDir());
            assertTrue(firsts.size() >= 4, "segments: " + firsts);
            Files.delete(journalDir().resolve(StoreFormat.segmentName(firsts.get(2))));
            StoreCorruptedException e = assertThrows(StoreCorruptedException.class, () -> VmemStore.open(smallSegments()));
            Path after = journalDir().resolve(StoreFormat.segmentName(firsts.get(3)));
            assertEquals(after, e.file());
            assertTrue(e.getMessage().contains("sequence " + firsts.get(3)), e.getMessage());
            assertTrue(e.getMessage().contains(Long.toString(firsts.get(2))), e.getMessage());
            assertTrue(e.getMessage().contains("missing"), e.getMessage());
        }

        @Test
        void deletedFirstSegment_withoutCheckpoint_isRefused() throws IOException {
            VmemStore store = VmemStore.open(smallSegments());
            try {
                PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
                ids.addSpan(0, 1 << 20);
                for (int i = 0; i < 150; i++) {
                    ids.alloc(1, Policy.NEXT_FIT);
                }
            } finally {
                StoreCrash.crash(store);
            }
            Files.delete(journalDir().resolve(StoreFormat.segmentName(1)));
            StoreCorruptedException e = assertThrows(StoreCorruptedException.class, () -> VmemStore.open(smallSegments()));
            assertTrue(e.getMessage().contains("records are missing"), e.getMessage());
        }
    }

    /** A directory that is not a store of this format version: refused, changing nothing. */
    @Nested
    class NotAStoreOrAnotherVersion {
        @Test
        void aNewerFormatVersion_isRefused_namingTheVersion() throws IOException {
            try (VmemStore store = VmemStore.open(options())) {
                store.createArena(ArenaDefinition.of("a", 1)).addSpan(0, 10);
            }
            Path format = dir.resolve(StoreFormat.FORMAT_FILE);
            String current = "vmem-store format " + StoreFormat.VERSION + "\n";
            assertEquals(current, Files.readString(format));
            Files.writeString(format, "vmem-store format " + (StoreFormat.VERSION + 1) + "\n");
            NotAStoreException e = assertThrows(NotAStoreException.class, () -> VmemStore.open(options()));
            assertTrue(e.getMessage().contains("version " + (StoreFormat.VERSION + 1)), e.getMessage());
            assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
            // The refusal released the lock and changed nothing.
            Files.writeString(format, current);
            try (VmemStore store = VmemStore.open(options())) {
                assertEquals(10, store.arena("a").stats().total());
            }
        }

        @Test
        void garbledFormatFile_isRefused() throws IOException {
            try (VmemStore store = VmemStore.open(options())) {
                store.createArena(ArenaDefinition.of("a", 1));
            }
            Files.write(dir.resolve(StoreFormat.FORMAT_FILE), new byte[] {(byte) 0xFF, (byte) 0xFE, 0, 1});
            NotAStoreException e = assertThrows(NotAStoreException.class, () -> VmemStore.open(options()));
            assertTrue(e.getMessage().contains("not a vmem store"), e.getMessage());
        }

        @Test
        void missingFormatFile_inAStoreDirectory_isRefused() throws IOException {
            try (VmemStore store = VmemStore.open(options())) {
                store.createArena(ArenaDefinition.of("a", 1)).addSpan(0, 10);
            }
            Files.delete(dir.resolve(StoreFormat.FORMAT_FILE));
            NotAStoreException e = assertThrows(NotAStoreException.class, () -> VmemStore.open(options()));
            assertTrue(e.getMessage().contains(StoreFormat.FORMAT_FILE), e.getMessage());
            assertFalse(Files.exists(dir.resolve(StoreFormat.FORMAT_FILE)), "nothing was created over the old store");
            NotAStoreException e2 = assertThrows(NotAStoreException.class,
                    () -> VmemStore.open(StoreOptions.builder(dir).createIfMissing(false).build()));
            assertTrue(e2.getMessage().contains(StoreFormat.FORMAT_FILE), e2.getMessage());
        }

        @Test
        void regularFile_asTheDirectory_isRefused() throws IOException {
            Path file = dir.resolve("plain.txt");
            Files.writeString(file, "not a store");
            NotAStoreException e = assertThrows(NotAStoreException.class,
                    () -> VmemStore.open(StoreOptions.of(file)));
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
            assertEquals("not a store", Files.readString(file));
        }
    }

    /** A record with a valid frame and checksum whose operations do not fit the state: corruption. */
    @Nested
    class ValidFrameImpossibleOperation {
        private Map<String, String> crashedStore() {
            Map<String, String> all = new LinkedHashMap<>();
            VmemStore store = VmemStore.open(options());
            try {
                populate(store, all);
            } finally {
                StoreCrash.crash(store);
            }
            return all;
        }

        /** Arena ids as {@link #populate} creates them. */
        private static final int DISK = 0;
        private static final int TENANT = 1;
        private static final int IDS = 2;

        private void assertForgedRecordRefused(List<Op> ops, String why) throws IOException {
            Path seg = segments().get(segments().size() - 1);
            long offset = forgeRecord(dir, ops);
            long seq = records(seg).get(records(seg).size() - 1).seq();
            StoreCorruptedException e = assertThrows(StoreCorruptedException.class, () -> VmemStore.open(options()));
            assertEquals(seg, e.file());
            assertEquals(offset, e.offset());
            assertTrue(e.getMessage().contains("journal record " + seq), e.getMessage());
            assertTrue(e.getMessage().contains(why), e.getMessage());
        }

        @Test
        void forgedAlloc_ofAnAllocatedRange_isRefused_namingTheRecord() throws IOException {
            crashedStore();
            assertForgedRecordRefused(List.of(new Op.Change(IDS, new ArenaChange.Allocated(101, 1))),
                    "overlaps a live allocation");
        }

        @Test
        void forgedAlloc_afterACleanClose_isRefused_too() throws IOException {
            try (VmemStore store = VmemStore.open(options())) {
                populate(store, new LinkedHashMap<>());
            }
            Segment taken;
            try (VmemStore store = VmemStore.open(options())) {
                taken = store.arena("tenant").segments().stream().filter(s -> s.kind() == Segment.Kind.ALLOCATED)
                        .findFirst().orElseThrow();
            }
            assertForgedRecordRefused(List.of(new Op.Change(TENANT, new ArenaChange.Allocated(taken.base(), 4096))),
                    "overlaps a live allocation");
        }

        @Test
        void forgedFree_ofAFreeRange_isRefused() throws IOException {
            crashedStore();
            assertForgedRecordRefused(List.of(new Op.Change(IDS, new ArenaChange.Freed(100, 1))),
                    "no live allocation");
        }

        @Test
        void forgedCursorMove_fromTheWrongPlace_isRefused() throws IOException {
            crashedStore();
            assertForgedRecordRefused(List.of(new Op.Change(IDS, new ArenaChange.CursorMoved(0, 500))), "cursor is at");
        }

        @Test
        void forgedChange_toAnUnknownArena_isRefused() throws IOException {
            crashedStore();
            assertForgedRecordRefused(List.of(new Op.Change(17, new ArenaChange.Allocated(0, 1))), "does not exist");
        }

        @Test
        void forgedCreate_ofAnExistingName_isRefused() throws IOException {
            crashedStore();
            assertForgedRecordRefused(List.of(new Op.Create(9, "ids", 1, 1, 0, -1)), "exists already");
        }

        @Test
        void forgedUnit_whoseSecondOperationDoesNotFit_isRefusedWhole() throws IOException {
            crashedStore();
            assertForgedRecordRefused(List.of(new Op.Change(IDS, new ArenaChange.Allocated(1000, 1)),
                    new Op.Change(IDS, new ArenaChange.Allocated(1000, 1))), "overlaps");
        }

        @Test
        void forgedPayload_thatDoesNotDecode_isRefused() throws IOException {
            crashedStore();
            Path seg = segments().get(0);
            byte[] payload = ByteBuffer.allocate(4 + 5).putInt(1).put((byte) 99).putInt(IDS).array();
            long offset = forgeRecord(dir, payload);
            StoreCorruptedException e = assertThrows(StoreCorruptedException.class, () -> VmemStore.open(options()));
            assertEquals(seg, e.file());
            assertEquals(offset, e.offset());
            assertTrue(e.getMessage().contains("malformed"), e.getMessage());
        }

        @Test
        void forgedImportedSpan_withoutItsParentsAllocation_isRefused() throws IOException {
            crashedStore();
            forgeRecord(dir, List.of(new Op.Change(TENANT, new ArenaChange.SpanAdded(60 << 20, 1 << 20, true))));
            StoreCorruptedException e = assertThrows(StoreCorruptedException.class, () -> VmemStore.open(options()));
            assertTrue(e.getMessage().contains("imported span"), e.getMessage());
        }

        /**
         * An arena without a source cannot hold an imported span (nothing could ever take it back, and
         * freeing it whole would call a source that does not exist): a record adding one does not fit the
         * state.
         */
        @Test
        void forgedImportedSpan_inAnArenaWithoutSource_isRefused() throws IOException {
            crashedStore();
            forgeRecord(dir, List.of(new Op.Change(IDS, new ArenaChange.SpanAdded(5000, 100, true))));
            assertRefusedAsCorruption();
        }

        /** A forged definition that the arena itself rejects is corruption, not an IllegalArgumentException. */
        @Test
        void forgedCreate_withAnInvalidQuantum_isRefusedAsCorruption() throws IOException {
            crashedStore();
            forgeRecord(dir, List.of(new Op.Create(9, "odd", 3, 3, 0, -1)));
            assertRefusedAsCorruption();
        }

        /** Opening must fail with {@link StoreCorruptedException} naming the store (and never open). */
        private void assertRefusedAsCorruption() {
            StoreCorruptedException e = assertThrows(StoreCorruptedException.class, () -> {
                VmemStore store = VmemStore.open(options());
                String seen = dumps(store).toString();
                store.close();
                throw new AssertionError("opened with contents no acknowledged operation produced: " + seen);
            });
            assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        }
    }
}

package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.ArenaChange;
import dev.vmem.Policy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A store written by format version 1 (src/test/resources/golden/v1, made by {@link GoldenStoreGenerator})
 * must keep opening with exactly the contents it was written with, its files must keep the documented
 * layout, and opening it upgrades it to the current format without changing what it holds. If this test
 * fails after a change, the change broke compatibility with stores on disk: never regenerate these files.
 * What every version's golden store must do is in {@link GoldenStoreContract}; the contents and the decoding
 * of the layouts are shared with the tests of later versions ({@link GoldenStores}).
 */
class GoldenFormatTest extends GoldenStoreContract {
    private static final String FIRST_SEGMENT = "journal/J00000000000000000001.wal";

    @Override
    int formatVersion() {
        return 1;
    }

    @Override
    List<String> expectedFiles() {
        return List.of("FORMAT", "checkpoint-0.db", "checkpoint-1.db", FIRST_SEGMENT);
    }

    @Override
    Map<String, Long> expectedSizes() {
        return Map.of("FORMAT", 20L, FIRST_SEGMENT, 1466L);
    }

    @Override
    long[] checkpointSeqs() {
        return new long[] {18, 21};
    }

    @Override
    int upgradedFrom() {
        return 1;
    }

    /** The journal keeps the documented layout, byte for byte. */
    @Nested
    class JournalLayout {
        private static final String FIRST_SEGMENT_HEAD =
                // header: magic "VMEMJRNL", version 1, first sequence 1, CRC32C of bytes 0-19
                "564d454d4a524e4c" + "00000001" + "0000000000000001" + "0179801c"
                // record 1: length 43, CRC32C, sequence 1
                + "0000002b" + "90b16691" + "0000000000000001"
                // payload: 1 operation: CREATE arena 0, quantum 4096, import quantum 4096, qcacheMax 0, no source, "disk"
                + "00000001" + "01" + "00000000" + "0000000000001000" + "0000000000001000" + "0000000000000000"
                + "ffffffff" + "0004" + "6469736b";

        @Test
        void journalSegment_matchesTheDocumentedLayout_byteForByte() throws IOException {
            byte[] bytes = Files.readAllBytes(store.resolve(FIRST_SEGMENT));
            byte[] head = HexFormat.of().parseHex(FIRST_SEGMENT_HEAD);
            assertArrayEquals(head, Arrays.copyOf(bytes, head.length));

            List<GoldenStores.JournalRecord> records = GoldenStores.decodeSegment(bytes, 1, 1);
            assertEquals(25, records.size(), "25 records, and nothing after the last");
            List<List<Op>> units = GoldenStores.units(records);
            assertEquals(List.of(new Op.Create(0, "disk", 4096, 4096, 0, -1)), units.get(0));
            assertEquals(List.of(
                    new Op.Change(0, new ArenaChange.Allocated(0x110000, 0x100000)),
                    new Op.Change(1, new ArenaChange.SpanAdded(0x110000, 0x100000, true)),
                    new Op.Change(1, new ArenaChange.Allocated(0x110000, 0x3000))), units.get(16), "an import is one unit");
            assertEquals(GoldenStores.TAIL, units.subList(21, 25), "the tail beyond the newest checkpoint");
        }
    }

    /** The two checkpoint generations hold the explicit checkpoint after phase 1 and the one at the close after phase 2. */
    @Nested
    class Checkpoints {
        @Test
        void goldenCheckpoints_holdTheExplicitCheckpoint_andTheOneAtClose() {
            StoreImage g0 = Checkpoint.read(store.resolve(StoreFormat.checkpointName(0)));
            assertEquals(18, g0.seq, "the explicit checkpoint after phase 1");
            assertEquals(18, Checkpoint.peekSeq(store.resolve(StoreFormat.checkpointName(0))));
            assertEquals(1, g0.arenas.get(1).state().spans().size(), "one import at generation 0");
            assertEquals(21, Checkpoint.peekSeq(store.resolve(StoreFormat.checkpointName(1))));
            GoldenStores.assertCloseCheckpoint(Checkpoint.read(store.resolve(StoreFormat.checkpointName(1))));
        }
    }

    /** Opening a format 1 store upgrades it to the current format in place, and keeps what it holds. */
    @Nested
    class Upgrade {
        private String format() throws IOException {
            return Files.readString(store.resolve(StoreFormat.FORMAT_FILE), StandardCharsets.UTF_8);
        }

        @Test
        void opening_upgradesToTheCurrentFormat_andTheStoreReopensInItWithTheSameContents() throws IOException {
            try (VmemStore s = VmemStore.open(options())) {
                assertEquals(1, s.recovery().upgradedFrom());
                assertEquals("vmem-store format " + StoreFormat.VERSION + "\n", format());
                StoreHead.State head = StoreHead.read(store);
                assertEquals(GoldenStores.LAST_SEQ + 1, head.segment(), "the head names the new segment");
                assertEquals(GoldenStores.LAST_SEQ, head.durableSeq());
                assertEquals(GoldenStores.CHECKPOINT_SEQ, head.checkpointSeq());
                GoldenStores.assertGoldenContents("v1 upgraded", s);
            }
            // A clean close empties the journal: one format 2 segment with only its header.
            assertEquals(List.of("FORMAT", "HEAD", "checkpoint-0.db", "checkpoint-1.db",
                    "journal/J00000000000000000026.wal"), GoldenStores.fileNames(store));
            byte[] segment = Files.readAllBytes(store.resolve("journal/J00000000000000000026.wal"));
            assertEquals(List.of(), GoldenStores.decodeSegment(segment, StoreFormat.VERSION, GoldenStores.LAST_SEQ + 1));
            try (VmemStore s = VmemStore.open(options())) {
                assertEquals(0, s.recovery().upgradedFrom(), "already of this format");
                GoldenStores.assertGoldenContents("v1 reopened in the current format", s);
            }
            assertEquals("vmem-store format " + StoreFormat.VERSION + "\n", format());
        }

        @Test
        void upgradedStore_journalsNewWorkInACurrentFormatSegment_afterTheFormat1One_andRecoversFromBoth() throws IOException {
            VmemStore upgraded = VmemStore.open(options());
            try {
                assertEquals(312, upgraded.arena("pids").alloc(1, Policy.NEXT_FIT));
            } finally {
                StoreCrash.crash(upgraded);
            }
            List<GoldenStores.JournalRecord> old = GoldenStores.decodeSegment(
                    Files.readAllBytes(store.resolve(FIRST_SEGMENT)), 1, 1);
            assertEquals(25, old.size(), "the format 1 segment is kept whole");
            List<GoldenStores.JournalRecord> added = GoldenStores.decodeSegment(
                    Files.readAllBytes(store.resolve("journal/J00000000000000000026.wal")), StoreFormat.VERSION, 26);
            assertEquals(1, added.size());
            assertEquals(25, added.get(0).watermark(), "record 25 was durable when 26 was written");
            assertEquals(List.of(List.of(new Op.Change(2, new ArenaChange.Allocated(312, 1)),
                    new Op.Change(2, new ArenaChange.CursorMoved(312, 313)))), GoldenStores.units(added));
            try (VmemStore s = VmemStore.open(options())) {
                assertEquals(0, s.recovery().upgradedFrom());
                assertEquals(5, s.recovery().replayed(), "records 22 to 25 of format 1 and 26 of the current format");
                assertEquals(313, s.arena("pids").nextFitCursor());
                assertEquals(List.of(), s.verify());
            }
        }

        /**
         * An upgrade that stopped before its FORMAT file landed leaves a format 1 FORMAT over files the new
         * version already wrote (its HEAD, a format 2 segment, and after a clean close new checkpoints and a
         * journal without the format 1 segment; a stop between writing FORMAT.tmp and renaming it leaves that
         * too): opening it must find the same contents and finish the upgrade.
         */
        @ParameterizedTest
        @ValueSource(strings = {"crash", "close", "crash before the rename"})
        void interruptedUpgrade_stillOpensWithTheSameContents_andFinishesTheUpgrade(String stop) throws IOException {
            VmemStore upgraded = VmemStore.open(options());
            if (stop.equals("close")) {
                upgraded.close();
            } else {
                StoreCrash.crash(upgraded);
            }
            assertTrue(Files.exists(store.resolve(StoreFormat.HEAD_FILE)));
            if (stop.equals("crash before the rename")) {
                Files.move(store.resolve(StoreFormat.FORMAT_FILE), store.resolve(StoreFormat.FORMAT_TMP_FILE));
            }
            Files.writeString(store.resolve(StoreFormat.FORMAT_FILE), "vmem-store format 1\n", StandardCharsets.UTF_8);
            try (VmemStore s = VmemStore.open(options())) {
                assertEquals(1, s.recovery().upgradedFrom());
                GoldenStores.assertGoldenContents("v1 after an interrupted upgrade (" + stop + ")", s);
            }
            assertEquals("vmem-store format " + StoreFormat.VERSION + "\n", format());
            assertFalse(Files.exists(store.resolve(StoreFormat.FORMAT_TMP_FILE)));
            try (VmemStore s = VmemStore.open(options())) {
                assertEquals(0, s.recovery().upgradedFrom());
                GoldenStores.assertGoldenContents("v1 after the finished upgrade (" + stop + ")", s);
            }
        }
    }
}

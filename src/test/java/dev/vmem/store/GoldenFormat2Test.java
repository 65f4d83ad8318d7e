package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * A store written by format version 2 (src/test/resources/golden/v2, made by {@link GoldenStoreGenerator}
 * with the same history as version 1's, so it holds the same contents) must keep opening with exactly those
 * contents, and its files must keep the documented layout: journal records that carry the durable
 * watermark, the HEAD file's two slots, and a checkpoint checksum that starts with the meta numbers. If this
 * test fails after a change, the change broke compatibility with stores on disk: bump
 * {@link StoreFormat#VERSION} and keep reading version 2, never regenerate these files. What every version's
 * golden store must do is in {@link GoldenStoreContract}, the shared contents and decoders in {@link GoldenStores}.
 *
 * <p>What the generator's history leaves: the close after phase 2 mirrored its checkpoint (sequence 21) into
 * both generations and emptied the journal into a new segment starting at 22; phase 3 wrote records 22 to 25
 * there and stopped like a crash. The HEAD file is the one golden file that depends on timing: the store
 * brings its head up to date every second as well as at rolls and checkpoints, so a slower run writes it more
 * often (another count, the newer slot in the other place, a durable sequence up to 25). Its test pins what
 * a store reads from it, not those numbers.
 */
class GoldenFormat2Test extends GoldenStoreContract {
    private static final String SEGMENT = "journal/J00000000000000000022.wal";

    @Override
    int formatVersion() {
        return 2;
    }

    @Override
    List<String> expectedFiles() {
        return List.of("FORMAT", "HEAD", "checkpoint-0.db", "checkpoint-1.db", SEGMENT);
    }

    @Override
    Map<String, Long> expectedSizes() {
        return Map.of("FORMAT", 20L, "HEAD", 4096L + 52, SEGMENT, 24L + (24 + 46) + (24 + 25) + (24 + 25) + (24 + 46));
    }

    @Override
    long[] checkpointSeqs() {
        return new long[] {21, 21};
    }

    @Override
    int upgradedFrom() {
        return 2;
    }

    /** Both checkpoint generations hold the one written at the close after phase 2 (the close mirrored it). */
    @Nested
    class Checkpoints {
        @Test
        void goldenCheckpoints_bothHoldTheCloseCheckpoint() throws IOException {
            Path g0 = store.resolve(StoreFormat.checkpointName(0));
            Path g1 = store.resolve(StoreFormat.checkpointName(1));
            assertArrayEquals(Files.readAllBytes(g0), Files.readAllBytes(g1), "the close mirrored one into the other");
            GoldenStores.assertCloseCheckpoint(Checkpoint.read(g0));
            GoldenStores.assertCloseCheckpoint(Checkpoint.read(g1));
        }
    }

    /** The journal keeps the documented layout, byte for byte. */
    @Nested
    class JournalLayout {
        private static final String SEGMENT_HEAD =
                // header: magic "VMEMJRNL", version 2, first sequence 22, CRC32C of bytes 0-19
                "564d454d4a524e4c" + "00000002" + "0000000000000016" + "dc422fb1"
                // record 22: length 46, CRC32C, sequence 22, watermark 21
                + "0000002e" + "dd11e738" + "0000000000000016" + "0000000000000015"
                // payload: 2 operations: ALLOC arena 2 at 311 size 1; CURSOR arena 2 from 311 to 312
                + "00000002" + "05" + "00000002" + "0000000000000137" + "0000000000000001"
                + "07" + "00000002" + "0000000000000137" + "0000000000000138";

        @Test
        void journalSegment_matchesTheDocumentedLayout_byteForByte() throws IOException {
            byte[] bytes = Files.readAllBytes(store.resolve(SEGMENT));
            byte[] head = HexFormat.of().parseHex(SEGMENT_HEAD);
            assertArrayEquals(head, Arrays.copyOf(bytes, head.length));

            List<GoldenStores.JournalRecord> records = GoldenStores.decodeSegment(bytes, 2, GoldenStores.CHECKPOINT_SEQ + 1);
            assertEquals(4, records.size(), "records 22 to 25, and nothing after the last");
            assertEquals(GoldenStores.TAIL, GoldenStores.units(records), "the same tail as format 1's");
            long previous = 0;
            for (GoldenStores.JournalRecord r : records) {
                assertTrue(r.watermark() < r.seq(), "record " + r.seq() + " cannot have been durable when written");
                assertTrue(r.watermark() >= previous, "watermarks never go back: record " + r.seq());
                assertTrue(r.watermark() >= GoldenStores.CHECKPOINT_SEQ, "record 21 was durable before 22 was written");
                previous = r.watermark();
            }
        }
    }

    /** The HEAD file keeps the documented layout: two slots a page apart, the newer one winning. */
    @Nested
    class Head {
        /** One slot decoded field by field from the documentation. */
        private StoreHead.State slot(byte[] bytes, int offset) {
            ByteBuffer b = ByteBuffer.wrap(bytes).position(offset);
            byte[] magic = new byte[8];
            b.get(magic);
            assertEquals("VMEMHEAD", new String(magic, StandardCharsets.US_ASCII), "magic at " + offset);
            assertEquals(2, b.getInt(), "version at " + offset);
            StoreHead.State s = new StoreHead.State(b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getInt());
            CRC32C crc = new CRC32C();
            crc.update(bytes, offset, 48);
            assertEquals((int) crc.getValue(), b.getInt(), "CRC32C of bytes 0-47 of the slot at " + offset);
            assertEquals(offset + 52, b.position());
            return s;
        }

        @Test
        void headFile_decodesFieldByField_andTheNewerSlotWins() throws IOException {
            byte[] bytes = Files.readAllBytes(store.resolve(StoreFormat.HEAD_FILE));
            StoreHead.State first = slot(bytes, 0);
            StoreHead.State second = slot(bytes, 4096);
            StoreHead.State newer = first.count() > second.count() ? first : second;
            StoreHead.State older = newer == first ? second : first;
            assertEquals(older.count() + 1, newer.count(), "the slots are written in turn");
            assertEquals(newer == first ? 0 : 1, newer.count() % 2, "count n is written at slot n mod 2");
            // Phase 3 opened the store with the journal's one segment, after the checkpoint at 21; what it
            // wrote after that (records 22 to 25) reached the head only if the head was brought up to date.
            assertEquals(GoldenStores.CHECKPOINT_SEQ + 1, newer.segment(), "the newest segment");
            assertEquals(GoldenStores.CHECKPOINT_SEQ, newer.checkpointSeq());
            assertTrue(newer.durableSeq() >= GoldenStores.CHECKPOINT_SEQ && newer.durableSeq() <= GoldenStores.LAST_SEQ,
                    "durable sequence " + newer.durableSeq() + " within what the journal holds");
            assertEquals(0, newer.repairs());
            assertTrue(older.durableSeq() <= newer.durableSeq() && older.segment() <= newer.segment()
                    && older.checkpointSeq() <= newer.checkpointSeq(), "the head only moves forward");
            assertEquals(newer, StoreHead.read(store), "the store reads the newer slot");
        }

        @Test
        void tornNewerSlot_theOlderOneIsRead_andTheStoreOpensWithTheSameContents() throws IOException {
            Path file = store.resolve(StoreFormat.HEAD_FILE);
            byte[] bytes = Files.readAllBytes(file);
            StoreHead.State before = StoreHead.read(store);
            int newerOffset = (int) (before.count() % 2) * 4096;
            bytes[newerOffset + 20] ^= 1; // a bit of the durable sequence: the slot's checksum fails
            Files.write(file, bytes);
            assertEquals(slot(bytes, 4096 - newerOffset), StoreHead.read(store));
            try (VmemStore s = VmemStore.open(options())) {
                GoldenStores.assertGoldenContents("v2 with a torn newer head slot", s);
            }
            assertTrue(StoreHead.read(store).count() > before.count(), "the open wrote a newer head");
        }
    }
}

package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.ArenaChange;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mapdb.BTreeMap;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

/** Format 4's packed allocation chunks: the documented bytes, exact round trips, size, and damage named. */
class PackedAllocationsTest {
    @TempDir
    Path dir;

    @Test
    void chunk_hasTheDocumentedBytes() {
        // quantum 8: [16, 24) one quantum, [40, 64) three quanta (gap 2), [64, 72) one quantum (gap 0)
        long[] pairs = {16, 8, 40, 24, 64, 8};
        byte[] chunk = PackedAllocations.encode(pairs, 0, 3, 3);
        assertEquals("03" + "02" + "00" + "05" + "03" + "00", HexFormat.of().formatHex(chunk));
        assertArrayEquals(pairs, PackedAllocations.decode(chunk, 3, 2048));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 12, 40})
    void randomChunks_roundTripExactly(int shift) {
        long seed = new Random().nextLong();
        System.out.println("PackedAllocationsTest shift=" + shift + " seed=" + seed);
        Random random = new Random(seed);
        for (int round = 0; round < 200; round++) {
            int count = 1 + random.nextInt(2048);
            long[] pairs = new long[2 * count];
            long limit = Long.MAX_VALUE >>> shift; // in quanta
            long at = random.nextBoolean() ? 0 : limit - 4L * count - random.nextInt(1000) - 1;
            if (random.nextInt(8) == 0) {
                at = random.nextLong(limit / 2);
            }
            for (int i = 0; i < count; i++) {
                at += random.nextInt(4) == 0 ? random.nextInt(3) : 0;
                long quanta = random.nextInt(3) == 0 ? 1 + random.nextInt(3) : 1;
                pairs[2 * i] = at << shift;
                pairs[2 * i + 1] = quanta << shift;
                at += quanta;
            }
            byte[] chunk = PackedAllocations.encode(pairs, 0, count, shift);
            assertArrayEquals(pairs, PackedAllocations.decode(chunk, shift, 2048), "seed " + seed + " round " + round);
        }
    }

    @Test
    void extremes_roundTrip_aBlockEndingAtLongMaxValue_andAGapOfAlmostTwoToThe63() {
        long[] pairs = {0, 1, Long.MAX_VALUE - 1, 1};
        assertArrayEquals(pairs, PackedAllocations.decode(PackedAllocations.encode(pairs, 0, 2, 0), 0, 2));
        long[] huge = {0, Long.MAX_VALUE};
        assertArrayEquals(huge, PackedAllocations.decode(PackedAllocations.encode(huge, 0, 1, 0), 0, 1));
        long[] slice = {8, 8, 16, 8, 32, 8};
        assertArrayEquals(new long[] {16, 8, 32, 8}, PackedAllocations.decode(PackedAllocations.encode(slice, 1, 3, 3), 3, 2));
    }

    @Test
    void ids_takeOneByteEach_packedOrEveryOtherOne() {
        long[] packed = new long[2 * 2048];
        long[] alternate = new long[2 * 2048];
        for (int i = 0; i < 2048; i++) {
            packed[2 * i] = 1_000_000 + i;
            packed[2 * i + 1] = 1;
            alternate[2 * i] = 1_000_000 + 2L * i;
            alternate[2 * i + 1] = 1;
        }
        // count (2 bytes), first base (3 bytes), then one byte per ID: 16 bytes each in format 3
        assertEquals(5 + 2048, PackedAllocations.encode(packed, 0, 2048, 0).length);
        assertEquals(5 + 2048, PackedAllocations.encode(alternate, 0, 2048, 0).length);
    }

    @Test
    void damagedChunks_areRefused_sayingWhat() {
        byte[] good = PackedAllocations.encode(new long[] {16, 8, 40, 24}, 0, 2, 3);
        assertRefused(Arrays.copyOf(good, good.length - 1), 3, 2048, "ends inside a number");
        assertRefused(Arrays.copyOf(good, good.length + 1), 3, 2048, "1 bytes after the last allocation");
        assertRefused(new byte[] {0}, 3, 2048, "claims 0 allocations");
        assertRefused(good, 3, 1, "claims 2 allocations");
        assertRefused(new byte[] {1, 0, 1, 0}, 3, 2048, "has size 0");
        byte[] eleven = new byte[11];
        Arrays.fill(eleven, (byte) 0xFF);
        assertRefused(eleven, 0, 2048, "passes 64 bits");
        // one allocation at 2^62 quanta of 2: the base alone passes Long.MAX_VALUE
        assertRefused(new byte[] {1, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
            (byte) 0x80, (byte) 0x80, 0x40, 0}, 1, 2048, "pass Long.MAX_VALUE");
        // base Long.MAX_VALUE - 1 with a size of 2: the end passes it
        byte[] end = PackedAllocations.encode(new long[] {Long.MAX_VALUE - 1, 1}, 0, 1, 0);
        end[end.length - 1] = 1; // the size bit set, and the size missing
        assertRefused(end, 0, 2048, "ends inside a number");
        byte[] over = Arrays.copyOf(end, end.length + 1);
        over[over.length - 1] = 2;
        assertRefused(over, 0, 2048, "passes Long.MAX_VALUE");
    }

    private static void assertRefused(byte[] chunk, int shift, int max, String says) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PackedAllocations.decode(chunk, shift, max));
        assertTrue(e.getMessage().contains(says), e.getMessage());
    }

    private static StoreImage imageWithIds(int ids) {
        StoreImage image = new StoreImage(7);
        assertNull(image.apply(new Op.Create(0, "ids", 1, 1, 0, -1)));
        assertNull(image.apply(new Op.Change(0, new ArenaChange.SpanAdded(0, 4L * ids, false))));
        for (int i = 0; i < ids; i++) {
            assertNull(image.apply(new Op.Change(0, new ArenaChange.Allocated(2L * i + (i % 3 == 0 ? 1 : 0), 1))));
        }
        return image;
    }

    @Test
    void checkpoint_ofIds_readsBackExactly_inChunksOfOneByteAnId() throws IOException {
        StoreImage image = imageWithIds(10_000);
        Path file = dir.resolve(StoreFormat.checkpointName(0));
        Checkpoint.write(StoreFiles.DEFAULT, file, image);
        StoreImage back = Checkpoint.read(file);
        assertEquals(image.arenas.get(0).state(), back.arenas.get(0).state());
        long bytes = 0;
        DB db = DBMaker.fileDB(file.toFile()).fileChannelEnable().fileLockDisable().readOnly().make();
        try {
            BTreeMap<long[], byte[]> chunks = db.treeMap(StoreFormat.MAP_PACKED_ALLOCATIONS, Serializer.LONG_ARRAY,
                    Serializer.BYTE_ARRAY).open();
            assertEquals(5, chunks.size(), "10,000 allocations in chunks of 2,048");
            for (byte[] chunk : chunks.values()) {
                bytes += chunk.length;
            }
        } finally {
            db.close();
        }
        assertTrue(bytes < 10_000 + 5 * 8, bytes + " bytes for 10,000 IDs");
    }

    @Test
    void checkpoint_withADamagedChunk_isRefused_namingTheChunk() throws IOException {
        Path file = dir.resolve(StoreFormat.checkpointName(0));
        Checkpoint.write(StoreFiles.DEFAULT, file, imageWithIds(3000));
        DB db = DBMaker.fileDB(file.toFile()).fileChannelEnable().fileLockDisable().make();
        try {
            BTreeMap<long[], byte[]> chunks = db.treeMap(StoreFormat.MAP_PACKED_ALLOCATIONS, Serializer.LONG_ARRAY,
                    Serializer.BYTE_ARRAY).open();
            long[] key = chunks.lastKey();
            byte[] chunk = chunks.get(key);
            chunks.put(key, Arrays.copyOf(chunk, chunk.length - 1));
        } finally {
            db.close();
        }
        StoreCorruptedException e = assertThrows(StoreCorruptedException.class, () -> Checkpoint.read(file));
        assertTrue(e.getMessage().contains("arena 0: allocation chunk at 4096 is damaged: chunk ends inside a number"),
                e.getMessage());
    }
}

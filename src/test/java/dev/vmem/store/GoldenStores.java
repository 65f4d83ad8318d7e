package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.vmem.ArenaChange;
import dev.vmem.ArenaStats;
import dev.vmem.Policy;
import dev.vmem.Segment;
import dev.vmem.Segment.Kind;
import dev.vmem.testing.StoreDirectories;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.mapdb.BTreeMap;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

/**
 * What the golden-file tests of every format version share. Each version's golden store was written by
 * {@link GoldenStoreGenerator} with the same history, so it must open with the same contents; and its files
 * are decoded here from the layouts documented in {@link StoreFormat}, with the numbers of the documentation
 * rather than through the store's readers, so that a reader and a writer that drift together still fail.
 */
final class GoldenStores {
    private GoldenStores() {
    }

    /** The golden directory of format {@code version} (golden/v1, golden/v2, ...) on the test class path. */
    static Path golden(int version) throws URISyntaxException {
        String dir = "/golden/v" + version;
        URL url = GoldenStores.class.getResource(dir + "/" + StoreFormat.FORMAT_FILE);
        assertNotNull(url, "golden files on the test class path under " + dir);
        return Path.of(url.toURI()).getParent();
    }

    /** Copies the golden store of {@code version} to {@code into}/store (opening a store writes to it). */
    static Path copy(int version, Path into) throws IOException, URISyntaxException {
        Path from = golden(version);
        Path store = into.resolve("store");
        Files.createDirectories(store.resolve(StoreFormat.JOURNAL_DIR));
        for (Path p : StoreDirectories.files(from)) {
            Files.copy(p, store.resolve(from.relativize(p).toString()));
        }
        return store;
    }

    /** Opens an existing store only, and checkpoints only when a test or the close asks. */
    static StoreOptions options(Path store) {
        return StoreOptions.builder(store).createIfMissing(false).checkpointInterval(Duration.ZERO).build();
    }

    /** The files under {@code dir} but the LOCK file (which a closed store keeps), as relative paths with '/', sorted. */
    static List<String> fileNames(Path dir) throws IOException {
        List<String> names = new ArrayList<>();
        for (Path p : StoreDirectories.files(dir)) {
            if (p.equals(dir.resolve(StoreFormat.LOCK_FILE))) {
                continue;
            }
            names.add(dir.relativize(p).toString().replace('\\', '/'));
        }
        return names;
    }

    private static Segment seg(long base, long size, Kind kind) {
        return new Segment(base, size, kind);
    }

    static final List<Segment> DISK = List.of(
            seg(0x100000L, 0x4000000L, Kind.SPAN),
            seg(0x100000L, 0x10000L, Kind.ALLOCATED),
            seg(0x110000L, 0x100000L, Kind.ALLOCATED),
            seg(0x210000L, 0x2000L, Kind.ALLOCATED),
            seg(0x212000L, 0x200000L, Kind.ALLOCATED),
            seg(0x412000L, 0x2000L, Kind.FREE),
            seg(0x414000L, 0x4000L, Kind.ALLOCATED),
            seg(0x418000L, 0x3ce8000L, Kind.FREE));

    static final List<Segment> TENANT = List.of(
            seg(0x110000L, 0x100000L, Kind.IMPORTED_SPAN),
            seg(0x110000L, 0x3000L, Kind.FREE),
            seg(0x113000L, 0x1000L, Kind.ALLOCATED),
            seg(0x114000L, 0xfc000L, Kind.FREE),
            seg(0x212000L, 0x200000L, Kind.IMPORTED_SPAN),
            seg(0x212000L, 0x200000L, Kind.ALLOCATED));

    static final List<Segment> PIDS = List.of(
            seg(300, 700, Kind.SPAN),
            seg(300, 1, Kind.FREE),
            seg(301, 1, Kind.ALLOCATED),
            seg(302, 2, Kind.FREE),
            seg(304, 1, Kind.ALLOCATED),
            seg(305, 1, Kind.FREE),
            seg(306, 1, Kind.ALLOCATED),
            seg(307, 1, Kind.ALLOCATED),
            seg(308, 3, Kind.ALLOCATED),
            seg(311, 1, Kind.ALLOCATED),
            seg(312, 688, Kind.FREE));

    /** The newest checkpoint of either version reflects the journal up to here (the close of phase 2). */
    static final long CHECKPOINT_SEQ = 21;
    /** The last record of phase 3, the crash: the golden journal ends here. */
    static final long LAST_SEQ = 25;

    /** The units of records 22 to 25, the journal tail beyond the newest checkpoint that recovery replays. */
    static final List<List<Op>> TAIL = List.of(
            List.of(new Op.Change(2, new ArenaChange.Allocated(311, 1)),
                    new Op.Change(2, new ArenaChange.CursorMoved(311, 312))),
            List.of(new Op.Change(2, new ArenaChange.Freed(303, 1))),
            List.of(new Op.Change(1, new ArenaChange.Freed(0x110000, 0x3000))),
            List.of(new Op.Change(0, new ArenaChange.Allocated(0x414000, 0x4000)),
                    new Op.Change(0, new ArenaChange.CursorMoved(0, 0x418000))));

    private static void assertArena(String label, PersistentArena a, String name, long quantum, long importQuantum, String source,
            long cursor, List<Segment> segments, ArenaStats stats) {
        String which = label + " " + name;
        assertEquals(name, a.name(), label);
        assertEquals(quantum, a.quantum(), which + " quantum");
        assertEquals(importQuantum, a.importQuantum(), which + " import quantum");
        assertEquals(0, a.qcacheMax(), which + " qcacheMax");
        assertEquals(source, a.sourceName(), which + " source");
        assertEquals(cursor, a.nextFitCursor(), which + " NEXT_FIT cursor");
        assertEquals(segments, a.segments(), which + " segments");
        assertEquals(stats, a.stats(), which + " stats");
        assertEquals(List.of(), a.checkInvariants(), which + " invariants");
    }

    /**
     * {@code s} holds exactly what the generator's history left (every version), and verifies; {@code label}
     * (the golden version, or how the store got here) starts every failure message.
     */
    static void assertGoldenContents(String label, VmemStore s) {
        assertEquals(List.of("disk", "tenant", "pids"), s.arenas().stream().map(PersistentArena::name).toList(), label);
        assertArena(label, s.arena("disk"), "disk", 4096, 4096, null, 0x418000,
                DISK, new ArenaStats(0x4000000, 0x316000, 0x3cea000, 0, 1, 7, 5, 5, 0, 0, 0, 0, 0));
        assertArena(label, s.arena("tenant"), "tenant", 4096, 0x100000, "disk", 0x114000,
                TENANT, new ArenaStats(0x300000, 0x201000, 0xff000, 0x300000, 2, 4, 2, 3, 1, 0, 2, 0, 0));
        assertArena(label, s.arena("pids"), "pids", 1, 1, null, 312,
                PIDS, new ArenaStats(700, 8, 692, 0, 1, 10, 6, 10, 4, 0, 0, 0, 0));
        assertEquals(List.of(), s.verify(), label);
    }

    /** The store goes on from its golden contents: the rotor was restored, and new work survives a reopen. */
    static void assertAcceptsNewWorkAndReopens(String label, StoreOptions options) {
        List<Segment> pids;
        try (VmemStore s = VmemStore.open(options)) {
            PersistentArena p = s.arena("pids");
            assertEquals(312, p.alloc(1, Policy.NEXT_FIT), label + ": the rotor was restored");
            s.arena("tenant").free(0x113000);
            pids = p.segments();
            assertEquals(List.of(), s.verify(), label);
        }
        try (VmemStore s = VmemStore.open(options)) {
            assertEquals(pids, s.arena("pids").segments(), label);
            assertEquals(List.of(new Segment(0x212000, 0x200000, Kind.IMPORTED_SPAN),
                    new Segment(0x212000, 0x200000, Kind.ALLOCATED)), s.arena("tenant").segments(),
                    label + ": the emptied import went back to disk");
            assertEquals(List.of(), s.verify(), label);
        }
    }

    /** The checkpoint written at the close of phase 2, read through the store. */
    static void assertCloseCheckpoint(StoreImage image) {
        assertEquals(CHECKPOINT_SEQ, image.seq);
        assertEquals(List.of(0, 1, 2), new ArrayList<>(image.arenas.keySet()));
        assertEquals(new Op.Create(1, "tenant", 4096, 0x100000, 0, 0), image.arenas.get(1).definition);
        assertEquals(2, image.arenas.get(1).state().spans().size(), "two imports");
        assertEquals(311, image.arenas.get(2).state().cursor());
    }

    /**
     * One journal record as the documentation lays it out.
     *
     * @param watermark -1 in a format 1 record, which has none
     */
    record JournalRecord(int offset, long seq, long watermark, byte[] payload) {
        List<Op> unit() {
            return UnitCodec.decode(payload);
        }
    }

    /**
     * Decodes a whole journal segment of format {@code version} from the documented layout, checking its
     * header (magic, version, first sequence {@code firstSeq}, CRC32C of bytes 0-19) and each record (its
     * sequence number, its CRC32C over everything but the checksum, a payload that re-encodes to itself).
     * The segment must end exactly at the end of its last record.
     */
    static List<JournalRecord> decodeSegment(byte[] bytes, int version, long firstSeq) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        byte[] magic = new byte[8];
        b.get(magic);
        assertEquals("VMEMJRNL", new String(magic, StandardCharsets.US_ASCII));
        assertEquals(version, b.getInt(), "segment version");
        assertEquals(firstSeq, b.getLong(), "first sequence number");
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, 20);
        assertEquals((int) crc.getValue(), b.getInt(), "segment header checksum");
        assertEquals(24, b.position());

        int headerBytes = version == 1 ? 16 : 24;
        List<JournalRecord> records = new ArrayList<>();
        long seq = firstSeq;
        while (b.hasRemaining()) {
            int at = b.position();
            int length = b.getInt();
            int recordCrc = b.getInt();
            assertEquals(seq, b.getLong(), "sequence at offset " + at);
            long watermark = version == 1 ? -1 : b.getLong();
            byte[] payload = new byte[length];
            b.get(payload);
            CRC32C c = new CRC32C();
            c.update(bytes, at, 4);
            c.update(bytes, at + 8, headerBytes - 8 + length);
            assertEquals((int) c.getValue(), recordCrc, "checksum of record " + seq);
            assertEquals(recordCrc, StoreFormat.recordCrc(bytes, at, version, length), "the store's rule agrees");
            assertArrayEquals(payload, UnitCodec.encode(UnitCodec.decode(payload)), "record " + seq + " re-encodes");
            records.add(new JournalRecord(at, seq, watermark, payload));
            seq++;
        }
        return records;
    }

    /** The units of {@code records}, in order. */
    static List<List<Op>> units(List<JournalRecord> records) {
        return records.stream().map(JournalRecord::unit).toList();
    }

    /**
     * A checkpoint file read from the documented layout: its meta map, its arenas' names (decoded from the
     * documented header offsets), and its checksum recomputed by both rules: over the content only (format
     * 1) and with the five meta numbers first (format 2).
     */
    record DocumentedCheckpoint(Map<String, Long> meta, List<String> names, long contentChecksum,
            long metaFirstChecksum) {
    }

    static DocumentedCheckpoint readCheckpoint(Path file) {
        DB db = DBMaker.fileDB(file.toFile()).fileChannelEnable().fileLockDisable().readOnly().make();
        try {
            Map<String, Long> meta = Map.copyOf(db.treeMap(StoreFormat.MAP_META, Serializer.STRING, Serializer.LONG)
                    .open());
            BTreeMap<Integer, byte[]> arenas = db.treeMap(StoreFormat.MAP_ARENAS, Serializer.INTEGER,
                    Serializer.BYTE_ARRAY).open();
            BTreeMap<long[], long[]> spans = db.treeMap(StoreFormat.MAP_SPANS, Serializer.LONG_ARRAY,
                    Serializer.LONG_ARRAY).open();
            BTreeMap<long[], long[]> allocations = db.treeMap(StoreFormat.MAP_ALLOCATIONS, Serializer.LONG_ARRAY,
                    Serializer.LONG_ARRAY).open();
            // Arena by arena in id order: the header, then each span entry, then each allocation chunk entry.
            ByteArrayOutputStream content = new ByteArrayOutputStream();
            List<String> names = new ArrayList<>();
            for (Map.Entry<Integer, byte[]> e : arenas.entrySet()) {
                int id = e.getKey();
                ByteBuffer header = ByteBuffer.wrap(e.getValue());
                assertEquals(id, header.getInt(0), "arena header id");
                byte[] name = new byte[header.getShort(32)];
                header.get(34, name);
                names.add(new String(name, StandardCharsets.UTF_8));
                assertEquals(34 + name.length + 48, e.getValue().length, "arena header and trailer");
                content.writeBytes(e.getValue());
                for (Map.Entry<long[], long[]> s : spans.prefixSubMap(new long[] {id}).entrySet()) {
                    content.writeBytes(entry(id, s.getKey()[1], s.getValue()));
                }
                for (Map.Entry<long[], long[]> c : allocations.prefixSubMap(new long[] {id}).entrySet()) {
                    content.writeBytes(entry(id, c.getKey()[1], c.getValue()));
                }
            }
            byte[] numbers = ByteBuffer.allocate(5 * 8).putLong(meta.get("version")).putLong(meta.get("seq"))
                    .putLong(meta.getOrDefault("epoch", 0L)).putLong(meta.get("arenas")).putLong(1).array();
            return new DocumentedCheckpoint(meta, names, crc(content.toByteArray()),
                    crc(numbers, content.toByteArray()));
        } finally {
            db.close();
        }
    }

    private static long crc(byte[]... parts) {
        CRC32C crc = new CRC32C();
        for (byte[] part : parts) {
            crc.update(part);
        }
        return crc.getValue();
    }

    /** A checksum entry as documented: {@code id:int32 | key | values...}. */
    private static byte[] entry(int id, long key, long[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 + 8 + 8 * values.length).putInt(id).putLong(key);
        for (long v : values) {
            b.putLong(v);
        }
        return b.array();
    }
}

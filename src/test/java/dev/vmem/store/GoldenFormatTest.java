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
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store written by format version 1 (src/test/resources/golden/v1, made by {@link GoldenStoreGenerator})
 * must keep opening with exactly the contents it was written with, and its journal must keep the
 * documented layout. If this test fails after a change, the change broke compatibility with stores on
 * disk: bump {@link StoreFormat#VERSION} and keep reading version 1, never regenerate these files.
 */
class GoldenFormatTest {
    private static final String GOLDEN = "/golden/v1";

    @TempDir
    Path tmp;

    private Path store;

    private static Path golden() throws URISyntaxException {
        URL url = GoldenFormatTest.class.getResource(GOLDEN + "/" + StoreFormat.FORMAT_FILE);
        assertNotNull(url, "golden files on the test class path under " + GOLDEN);
        return Path.of(url.toURI()).getParent();
    }

    @BeforeEach
    void copyGoldenStore() throws IOException, URISyntaxException {
        Path from = golden();
        store = tmp.resolve("store");
        Files.createDirectories(store.resolve(StoreFormat.JOURNAL_DIR));
        for (Path p : StoreDirectories.files(from)) {
            Files.copy(p, store.resolve(from.relativize(p).toString()));
        }
    }

    private StoreOptions options() {
        return StoreOptions.builder(store).createIfMissing(false).checkpointInterval(Duration.ZERO).build();
    }

    /** The golden directory holds the files it was written with. */
    @Nested
    class TheFiles {
        @Test
        void goldenDirectory_holdsExactlyTheExpectedFiles() throws IOException, URISyntaxException {
            Path from = golden();
            List<String> names = new ArrayList<>();
            for (Path p : StoreDirectories.files(from)) {
                names.add(from.relativize(p).toString().replace('\\', '/'));
            }
            assertEquals(List.of("FORMAT", "checkpoint-0.db", "checkpoint-1.db", "journal/J00000000000000000001.wal"),
                    names);
            assertEquals("vmem-store format 1\n", Files.readString(from.resolve(StoreFormat.FORMAT_FILE)));
            assertEquals(1466, Files.size(from.resolve("journal/J00000000000000000001.wal")));
        }
    }

    /** The golden store opens with exactly its contents, and goes on from them. */
    @Nested
    class Contents {
        private static Segment seg(long base, long size, Kind kind) {
            return new Segment(base, size, kind);
        }

        private static final List<Segment> DISK = List.of(
                seg(0x100000L, 0x4000000L, Kind.SPAN),
                seg(0x100000L, 0x10000L, Kind.ALLOCATED),
                seg(0x110000L, 0x100000L, Kind.ALLOCATED),
                seg(0x210000L, 0x2000L, Kind.ALLOCATED),
                seg(0x212000L, 0x200000L, Kind.ALLOCATED),
                seg(0x412000L, 0x2000L, Kind.FREE),
                seg(0x414000L, 0x4000L, Kind.ALLOCATED),
                seg(0x418000L, 0x3ce8000L, Kind.FREE));

        private static final List<Segment> TENANT = List.of(
                seg(0x110000L, 0x100000L, Kind.IMPORTED_SPAN),
                seg(0x110000L, 0x3000L, Kind.FREE),
                seg(0x113000L, 0x1000L, Kind.ALLOCATED),
                seg(0x114000L, 0xfc000L, Kind.FREE),
                seg(0x212000L, 0x200000L, Kind.IMPORTED_SPAN),
                seg(0x212000L, 0x200000L, Kind.ALLOCATED));

        private static final List<Segment> PIDS = List.of(
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

        private static void assertArena(PersistentArena a, String name, long quantum, long importQuantum, String source,
                long cursor, List<Segment> segments, ArenaStats stats) {
            assertEquals(name, a.name());
            assertEquals(quantum, a.quantum(), name + " quantum");
            assertEquals(importQuantum, a.importQuantum(), name + " import quantum");
            assertEquals(0, a.qcacheMax(), name + " qcacheMax");
            assertEquals(source, a.sourceName(), name + " source");
            assertEquals(cursor, a.nextFitCursor(), name + " NEXT_FIT cursor");
            assertEquals(segments, a.segments(), name + " segments");
            assertEquals(stats, a.stats(), name + " stats");
            assertEquals(List.of(), a.checkInvariants(), name + " invariants");
        }

        @Test
        void goldenStore_opensWithExactlyItsContents() {
            try (VmemStore s = VmemStore.open(options())) {
                assertEquals(List.of("disk", "tenant", "pids"), s.arenas().stream().map(PersistentArena::name).toList());
                assertArena(s.arena("disk"), "disk", 4096, 4096, null, 0x418000,
                        DISK, new ArenaStats(0x4000000, 0x316000, 0x3cea000, 0, 1, 7, 5, 5, 0, 0, 0, 0, 0));
                assertArena(s.arena("tenant"), "tenant", 4096, 0x100000, "disk", 0x114000,
                        TENANT, new ArenaStats(0x300000, 0x201000, 0xff000, 0x300000, 2, 4, 2, 3, 1, 0, 2, 0, 0));
                assertArena(s.arena("pids"), "pids", 1, 1, null, 312,
                        PIDS, new ArenaStats(700, 8, 692, 0, 1, 10, 6, 10, 4, 0, 0, 0, 0));
                assertEquals(List.of(), s.verify());
            }
        }

        @Test
        void goldenStore_acceptsNewWork_andReopens() {
            List<Segment> pids;
            try (VmemStore s = VmemStore.open(options())) {
                PersistentArena p = s.arena("pids");
                assertEquals(312, p.alloc(1, Policy.NEXT_FIT), "the rotor was restored");
                s.arena("tenant").free(0x113000);
                pids = p.segments();
                assertEquals(List.of(), s.verify());
            }
            try (VmemStore s = VmemStore.open(options())) {
                assertEquals(pids, s.arena("pids").segments());
                assertEquals(List.of(), s.verify());
            }
        }

        @Test
        void goldenCheckpoints_holdTheirGenerations_andTheJournalHoldsTheTail() {
            StoreImage g0 = Checkpoint.read(store.resolve(StoreFormat.checkpointName(0)));
            StoreImage g1 = Checkpoint.read(store.resolve(StoreFormat.checkpointName(1)));
            assertEquals(18, g0.seq);
            assertEquals(21, g1.seq);
            assertEquals(18, Checkpoint.peekSeq(store.resolve(StoreFormat.checkpointName(0))));
            assertEquals(21, Checkpoint.peekSeq(store.resolve(StoreFormat.checkpointName(1))));
            assertEquals(List.of(0, 1, 2), new ArrayList<>(g1.arenas.keySet()));
            assertEquals(new Op.Create(1, "tenant", 4096, 0x100000, 0, 0), g1.arenas.get(1).definition);
            assertEquals(1, g0.arenas.get(1).state().spans().size(), "one import at generation 0");
            assertEquals(2, g1.arenas.get(1).state().spans().size(), "two imports at generation 1");
            assertEquals(311, g1.arenas.get(2).state().cursor());
            // The newest checkpoint lacks the journal's last four records: recovery must replay them.
            try (VmemStore s = VmemStore.open(options())) {
                assertEquals(312, s.arena("pids").nextFitCursor());
            }
        }
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
            byte[] bytes = Files.readAllBytes(store.resolve(StoreFormat.JOURNAL_DIR).resolve("J00000000000000000001.wal"));
            byte[] head = HexFormat.of().parseHex(FIRST_SEGMENT_HEAD);
            assertArrayEquals(head, java.util.Arrays.copyOf(bytes, head.length));

            // The same layout, decoded field by field from the documentation (not from the reader).
            ByteBuffer b = ByteBuffer.wrap(bytes);
            byte[] magic = new byte[8];
            b.get(magic);
            assertEquals("VMEMJRNL", new String(magic, StandardCharsets.US_ASCII));
            assertEquals(1, b.getInt());
            assertEquals(1, b.getLong());
            CRC32C crc = new CRC32C();
            crc.update(bytes, 0, 20);
            assertEquals((int) crc.getValue(), b.getInt());
            assertEquals(StoreFormat.SEGMENT_HEADER_BYTES, b.position());

            long seq = 1;
            List<List<Op>> units = new ArrayList<>();
            while (b.hasRemaining()) {
                int at = b.position();
                int length = b.getInt();
                int recordCrc = b.getInt();
                assertEquals(seq, b.getLong(), "sequence at offset " + at);
                byte[] payload = new byte[length];
                b.get(payload);
                CRC32C c = new CRC32C();
                c.update(bytes, at, 4);
                c.update(bytes, at + 8, 8 + length);
                assertEquals((int) c.getValue(), recordCrc, "checksum of record " + seq);
                assertEquals(recordCrc, StoreFormat.recordCrc(bytes, at, 1, length));
                assertArrayEquals(payload, UnitCodec.encode(UnitCodec.decode(payload)), "record " + seq + " re-encodes");
                units.add(UnitCodec.decode(payload));
                seq++;
            }
            assertEquals(26, seq, "25 records, and nothing after the last");
            assertEquals(List.of(new Op.Create(0, "disk", 4096, 4096, 0, -1)), units.get(0));
            assertEquals(List.of(
                    new Op.Change(0, new ArenaChange.Allocated(0x110000, 0x100000)),
                    new Op.Change(1, new ArenaChange.SpanAdded(0x110000, 0x100000, true)),
                    new Op.Change(1, new ArenaChange.Allocated(0x110000, 0x3000))), units.get(16), "an import is one unit");
            assertEquals(List.of(
                    new Op.Change(2, new ArenaChange.Allocated(311, 1)),
                    new Op.Change(2, new ArenaChange.CursorMoved(311, 312))), units.get(21));
            assertEquals(List.of(
                    new Op.Change(0, new ArenaChange.Allocated(0x414000, 0x4000)),
                    new Op.Change(0, new ArenaChange.CursorMoved(0, 0x418000))), units.get(24));
        }
    }
}

package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.ArenaChange;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mapdb.BTreeMap;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

/**
 * Format 3's rotor marks as bytes and as rules: the MARK operation's layout, the replay rule that sets and
 * clears a mark ({@link RotorMarks#afterMove}), what a MARK must satisfy, and the checkpoint's mark entries
 * (in the meta map and under its checksum).
 */
class RotorMarkFormatTest {
    @TempDir
    Path dir;

    private static StoreImage imageWithIds(long quantum) {
        StoreImage image = new StoreImage(0);
        assertNull(image.apply(new Op.Create(0, "ids", quantum, quantum, 0, -1)));
        assertNull(image.apply(new Op.Change(0, new ArenaChange.SpanAdded(0, 1000 * quantum, false))));
        return image;
    }

    @Test
    void markOperation_hasTheDocumentedLayout_andDecodesBack() {
        byte[] payload = UnitCodec.encode(List.of(new Op.Mark(3, 0x1000)));
        assertEquals("00000001" + "08" + "00000003" + "0000000000001000", HexFormat.of().formatHex(payload));
        assertEquals(List.of(new Op.Mark(3, 0x1000)), UnitCodec.decode(payload));
    }

    @Test
    void replay_aMarkIsSetByMark_andClearedByAMoveThatWrapsOrReachesIt() {
        StoreImage image = imageWithIds(1);
        StoreImage.ArenaImage ids = image.arenas.get(0);
        assertEquals(RotorMarks.NONE, ids.mark);
        assertNull(image.apply(new Op.Mark(0, 100)));
        assertEquals(100, ids.mark);
        assertNull(image.apply(new Op.Change(0, new ArenaChange.CursorMoved(0, 99))));
        assertEquals(100, ids.mark, "a move below the mark keeps it");
        assertNull(image.apply(new Op.Change(0, new ArenaChange.CursorMoved(99, 100))));
        assertEquals(RotorMarks.NONE, ids.mark, "a move that reaches the mark spends it");
        assertNull(image.apply(new Op.Mark(0, 500)));
        assertNull(image.apply(new Op.Change(0, new ArenaChange.CursorMoved(100, 3))));
        assertEquals(RotorMarks.NONE, ids.mark, "a move that wraps spends it");
    }

    @Test
    void afterMove_isTheRule() {
        assertEquals(RotorMarks.NONE, RotorMarks.afterMove(RotorMarks.NONE, new ArenaChange.CursorMoved(1, 2)));
        assertEquals(10, RotorMarks.afterMove(10, new ArenaChange.CursorMoved(1, 9)));
        assertEquals(RotorMarks.NONE, RotorMarks.afterMove(10, new ArenaChange.CursorMoved(1, 10)));
        assertEquals(RotorMarks.NONE, RotorMarks.afterMove(10, new ArenaChange.CursorMoved(5, 5)));
        assertEquals(RotorMarks.NONE, RotorMarks.afterMove(10, new ArenaChange.CursorMoved(5, 4)));
    }

    @Test
    void aMarkThatDoesNotFit_isNamedAsTheProblem() {
        StoreImage image = imageWithIds(8);
        String negative = image.apply(new Op.Mark(0, -8));
        assertTrue(negative.contains("rotor mark -8") && negative.contains("quantum=8"), negative);
        String unaligned = image.apply(new Op.Mark(0, 12));
        assertTrue(unaligned.contains("rotor mark 12"), unaligned);
        String foreign = image.apply(new Op.Mark(7, 16));
        assertTrue(foreign.contains("arena 7 does not exist"), foreign);
        assertEquals(RotorMarks.NONE, image.arenas.get(0).mark, "nothing applied");
    }

    @Test
    void checkpoint_keepsTheMark_underItsChecksum() throws IOException {
        StoreImage image = imageWithIds(1);
        assertNull(image.apply(new Op.Mark(0, 640)));
        image.seq = 5;
        Path file = dir.resolve(StoreFormat.checkpointName(0));
        Checkpoint.write(StoreFiles.DEFAULT, file, image);
        assertEquals(640, Checkpoint.read(file).arenas.get(0).mark);

        DB db = DBMaker.fileDB(file.toFile()).fileChannelEnable().fileLockDisable().make();
        try {
            BTreeMap<String, Long> meta = db.treeMap(StoreFormat.MAP_META, Serializer.STRING, Serializer.LONG).open();
            assertEquals(640L, meta.get(StoreFormat.META_MARK_PREFIX + 0));
            meta.put(StoreFormat.META_MARK_PREFIX + 0, 64L); // a mark moved back would let IDs come round early
        } finally {
            db.close();
        }
        StoreCorruptedException e = assertThrows(StoreCorruptedException.class, () -> Checkpoint.read(file));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    }

    @Test
    void checkpoint_withoutAMark_readsNone_andItsBytesDoNotDependOnMarks() throws IOException {
        StoreImage image = imageWithIds(1);
        image.seq = 2;
        Path a = dir.resolve("a.db");
        Checkpoint.write(StoreFiles.DEFAULT, a, image);
        assertEquals(RotorMarks.NONE, Checkpoint.read(a).arenas.get(0).mark);
        Path b = dir.resolve("b.db");
        Checkpoint.write(StoreFiles.DEFAULT, b, Checkpoint.read(a));
        assertArrayEquals(java.nio.file.Files.readAllBytes(a), java.nio.file.Files.readAllBytes(b));
    }
}

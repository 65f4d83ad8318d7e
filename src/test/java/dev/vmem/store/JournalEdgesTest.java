package dev.vmem.store;

import static dev.vmem.store.JournalForgery.segments;
import static dev.vmem.store.StoreFixture.dumps;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    /** 40 NEXT_FIT IDs; the store stops as a crash stops it. Returns its state. */
    private Map<String, String> crashedWithIds() {
        VmemStore store = VmemStore.open(opts());
        try {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(1, 1 << 20);
            for (int i = 0; i < 40; i++) {
                ids.alloc(1, Policy.NEXT_FIT);
            }
            return dumps(store);
        } finally {
            StoreCrash.crash(store);
        }
    }

    @Test
    void segmentCreatedByACrash_exactlyOneHeaderOfZeros_isDiscarded_andTheStoreOpens() throws IOException {
        Map<String, String> acknowledged = crashedWithIds();
        // The crash came after the new segment's file got its length but before its header bytes landed.
        Path stray = JournalForgery.journalDir(dir).resolve(StoreFormat.segmentName(43));
        Files.write(stray, new byte[StoreFormat.SEGMENT_HEADER_BYTES]);
        try (VmemStore store = VmemStore.open(opts())) {
            assertEquals(acknowledged, dumps(store));
            assertFalse(Files.exists(stray), "the segment that never held a record is deleted");
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
}

package dev.vmem.store;

import static dev.vmem.store.JournalForgery.forgeRecord;
import static dev.vmem.store.JournalForgery.records;
import static dev.vmem.store.JournalForgery.segments;
import static dev.vmem.store.JournalForgery.xorByte;
import static dev.vmem.store.StoreFixture.dumps;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The durable watermark decides between a tail a power loss may cut and damage to durable records. After a
 * power loss, pages written after the last fsync arrive in any order: a damaged record may be followed by whole
 * ones. When none of those says the damaged record was on disk, it was never acknowledged, and the store opens
 * without it and everything after (finding 3: this used to be refused); when one does, it is corruption.
 */
class WatermarkRuleTest {
    @TempDir
    Path dir;

    /** A crashed store of 38 acknowledged records, then {@code forged} records written after the last fsync. */
    private Map<String, String> crashedWithUnsyncedTail(int forged, long watermarkOfLater) throws IOException {
        Map<String, String> acknowledged;
        VmemStore store = VmemStore.open(StoreFixture.options(dir));
        try {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(1, 1 << 20);
            for (int i = 0; i < 36; i++) { // records 1 (create) and 2 (span), then 3..38
                ids.alloc(1, Policy.NEXT_FIT);
            }
            acknowledged = dumps(store);
        } finally {
            StoreCrash.crash(store);
        }
        Path seg = segments(dir).get(segments(dir).size() - 1);
        List<JournalForgery.Rec> recs = records(seg);
        JournalForgery.Rec model = recs.get(recs.size() - 1);
        byte[] payload = Arrays.copyOfRange(Files.readAllBytes(seg), (int) model.payload(), (int) model.end());
        long durable = model.seq();
        for (int i = 0; i < forged; i++) {
            forgeRecord(dir, payload, i == 0 ? durable : watermarkOfLater);
        }
        return acknowledged;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 6})
    void damagedUnsyncedRecord_followedByWholeUnsyncedOnes_isCut_andReported(int forged) throws IOException {
        Map<String, String> acknowledged = crashedWithUnsyncedTail(forged, 38);
        Path seg = segments(dir).get(0);
        List<JournalForgery.Rec> recs = records(seg);
        JournalForgery.Rec first = recs.get(recs.size() - forged);
        assertEquals(39, first.seq());
        xorByte(seg, first.payload() + 1); // its page did not reach the disk whole; later pages did
        try (VmemStore store = VmemStore.open(StoreFixture.options(dir))) {
            assertEquals(acknowledged, dumps(store));
            RecoveryReport.LostTail cut = store.recovery().cut().orElseThrow();
            assertEquals(39, cut.fromSeq());
            assertEquals(38 + forged, cut.toSeq());
            assertEquals(forged, cut.units());
            assertEquals(first.offset(), cut.offset());
            assertEquals(38, store.recovery().lastSeq());
            assertEquals(37, store.arena("ids").alloc(1, Policy.NEXT_FIT), "IDs go on after the 36 acknowledged");
            StoreFixture.assertSound(store);
        }
    }

    @Test
    void damagedRecord_thatALaterRecordsWatermarkProvesDurable_isRefused() throws IOException {
        crashedWithUnsyncedTail(3, 39); // records 40 and 41 say record 39 was on disk when they were written
        Path seg = segments(dir).get(0);
        List<JournalForgery.Rec> recs = records(seg);
        JournalForgery.Rec first = recs.get(recs.size() - 3);
        xorByte(seg, first.payload() + 1);
        StoreCorruptedException e = assertThrows(StoreCorruptedException.class,
                () -> VmemStore.open(StoreFixture.options(dir)));
        assertEquals(seg, e.file());
        assertEquals(first.offset(), e.offset());
        assertTrue(e.getMessage().contains("record 40") && e.getMessage().contains("journal record 39"),
                e.getMessage());
    }
}

package dev.vmem.store;

import static dev.vmem.store.JournalForgery.records;
import static dev.vmem.store.JournalForgery.segments;
import static dev.vmem.store.JournalForgery.xorByte;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vmem repair}'s engine: it describes the loss without changing anything, accepts it only when told,
 * keeps the damaged files, counts the repair, and moves NEXT_FIT rotors so that no value handed out before
 * is handed out again.
 */
class StoreRepairTest {
    @TempDir
    Path dir;

    private StoreOptions opts() {
        return StoreFixture.options(dir);
    }

    /** 300 NEXT_FIT IDs, a checkpoint after the first 100; the store stops as a crash stops it. */
    private List<Long> handOut() {
        List<Long> out = new ArrayList<>();
        VmemStore store = VmemStore.open(opts());
        try {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(1, 1 << 20);
            for (int i = 0; i < 300; i++) {
                out.add(ids.alloc(1, Policy.NEXT_FIT));
                if (i == 99) {
                    assertTrue(store.checkpoint());
                }
            }
        } finally {
            StoreCrash.crash(store);
        }
        return out;
    }

    @Test
    void soundStore_hasNothingToRepair_andIsLeftAlone() throws IOException {
        handOut();
        List<Path> before = StoreDirectories.files(dir);
        StoreRepair.Diagnosis d = StoreRepair.repair(dir);
        assertTrue(d.sound(), d.problems().toString());
        assertEquals(before, StoreDirectories.files(dir));
    }

    @Test
    void damagedRecordInTheMiddle_isDescribed_thenRepairedOnlyWhenAccepted() throws IOException {
        List<Long> handedOut = handOut();
        List<Path> segs = segments(dir);
        Path seg = segs.get(segs.size() - 1);
        List<JournalForgery.Rec> recs = records(seg);
        JournalForgery.Rec victim = recs.get(recs.size() / 2);
        xorByte(seg, victim.payload() + 2);
        assertThrows(StoreCorruptedException.class, () -> VmemStore.open(opts()));
        byte[] damagedBytes = Files.readAllBytes(seg);

        StoreRepair.Diagnosis d = StoreRepair.diagnose(dir);
        assertFalse(d.sound());
        assertTrue(d.problems().get(0).contains("journal record " + victim.seq()), d.problems().toString());
        assertEquals(victim.seq() - 1, d.keptThroughSeq());
        long after = recs.size() - recs.indexOf(victim) - 1;
        assertEquals(after, d.droppedRecords(), "every whole record after the damaged one is counted");
        assertEquals(after, d.droppedAllocations());
        assertEquals(0, d.unknownRecords());
        assertEquals(1, d.rotorJumps().size(), d.rotorJumps().toString());
        StoreRepair.RotorJump jump = d.rotorJumps().get(0);
        assertEquals("ids", jump.arena());
        assertEquals(handedOut.get(handedOut.size() - 1) + 1, jump.to(), "past the last ID the dropped records show");
        assertTrue(Files.exists(seg) && java.util.Arrays.equals(damagedBytes, Files.readAllBytes(seg)),
                "diagnosing changes nothing");
        assertThrows(StoreCorruptedException.class, () -> VmemStore.open(opts()));

        StoreRepair.Diagnosis done = StoreRepair.repair(dir);
        assertEquals(d, done);
        Map<String, String> repaired;
        try (VmemStore store = VmemStore.open(opts())) {
            assertEquals(1, store.recovery().repairs());
            PersistentArena ids = store.arena("ids");
            long next = ids.alloc(1, Policy.NEXT_FIT);
            assertFalse(handedOut.contains(next), next + " was handed out before the damage");
            assertEquals(jump.to(), next);
            StoreFixture.assertSound(store);
            repaired = dumps(store);
        }
        StoreFixture.assertOpensWith(opts(), repaired);
        try (var kept = Files.list(dir)) {
            Path damaged = kept.filter(p -> p.getFileName().toString().startsWith("damaged-")).findFirst().orElseThrow();
            assertTrue(java.util.Arrays.equals(damagedBytes,
                    Files.readAllBytes(damaged.resolve(StoreFormat.JOURNAL_DIR).resolve(seg.getFileName()))),
                    "the damaged segment is kept");
        }
        assertFalse(Files.exists(dir.resolve(StoreRepair.STAGING)));
    }

    @Test
    void journalDeleted_isRepairedFromTheCheckpoint_reportingWhatIsGoneWithoutATrace() throws IOException {
        handOut();
        StoreDirectories.delete(dir.resolve(StoreFormat.JOURNAL_DIR));
        StoreRepair.Diagnosis d = StoreRepair.repair(dir);
        assertFalse(d.sound());
        assertTrue(d.problems().get(0).contains("journal directory is missing"), d.problems().toString());
        try (VmemStore store = VmemStore.open(opts())) {
            assertEquals(d.keptThroughSeq(), store.recovery().lastSeq());
            assertEquals(100, store.arena("ids").stats().allocated(), "the checkpoint's 100 IDs");
            StoreFixture.assertSound(store);
        }
    }

    @Test
    void incompleteStagingFromAnInterruptedRepair_isThrownAwayAtOpen() throws IOException {
        handOut();
        Map<String, String> expected;
        try (VmemStore store = VmemStore.open(opts())) {
            expected = dumps(store);
        }
        Path staging = dir.resolve(StoreRepair.STAGING);
        Files.createDirectories(staging.resolve(StoreFormat.JOURNAL_DIR));
        Files.writeString(staging.resolve(StoreFormat.HEAD_FILE), "half written");
        StoreFixture.assertOpensWith(opts(), expected);
        assertFalse(Files.exists(staging));
    }

    @Test
    void soundStore_isDiagnosedAsKeepingEveryRecord() throws IOException {
        handOut();
        StoreRepair.Diagnosis d = StoreRepair.diagnose(dir);
        assertTrue(d.sound(), d.problems().toString());
        try (VmemStore store = VmemStore.open(opts())) {
            assertEquals(store.recovery().lastSeq(), d.keptThroughSeq());
            assertEquals(302, d.keptThroughSeq(), "create, span and 300 allocations");
            StoreFixture.assertSound(store);
        }
    }

    /**
     * Damage in a segment that is not the last: every whole record after it, in that segment and in each later
     * one, is counted once, with its operations and its allocations (frees among them are no allocations).
     */
    @Test
    void damageInAnOlderSegment_countsWhatEveryLaterSegmentHolds_onceEach() throws IOException {
        StoreOptions small = StoreFixture.options(dir, 4096);
        VmemStore store = VmemStore.open(small);
        try {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(1, 1 << 20);
            List<Long> live = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                if (i % 4 == 3) {
                    ids.free(live.remove(0));
                } else {
                    live.add(ids.alloc(1, Policy.NEXT_FIT));
                }
            }
        } finally {
            StoreCrash.crash(store);
        }
        List<Path> segs = segments(dir);
        assertTrue(segs.size() >= 3, "segments: " + segs);
        List<JournalForgery.Rec> recs = records(segs.get(1));
        JournalForgery.Rec victim = recs.get(recs.size() / 2);
        xorByte(segs.get(1), victim.payload() + 2);
        long records = 0;
        long operations = 0;
        long allocations = 0;
        for (int s = 1; s < segs.size(); s++) {
            byte[] bytes = Files.readAllBytes(segs.get(s));
            for (JournalForgery.Rec r : records(segs.get(s))) {
                if (r.seq() <= victim.seq()) {
                    continue;
                }
                records++;
                for (Op op : UnitCodec.decode(java.util.Arrays.copyOfRange(bytes, (int) r.payload(), (int) r.end()))) {
                    operations++;
                    allocations += op instanceof Op.Change c && c.change() instanceof dev.vmem.ArenaChange.Allocated
                            ? 1 : 0;
                }
            }
        }
        assertTrue(allocations < records && records < operations, records + " " + operations + " " + allocations);

        StoreRepair.Diagnosis d = StoreRepair.diagnose(dir);
        assertEquals(1, d.problems().size(), "one cause, said once: " + d.problems());
        assertTrue(d.problems().get(0).contains("journal record " + victim.seq()), d.problems().toString());
        assertEquals(victim.seq() - 1, d.keptThroughSeq());
        assertEquals(records, d.droppedRecords());
        assertEquals(operations, d.droppedOperations());
        assertEquals(allocations, d.droppedAllocations());
        assertEquals(0, d.unknownRecords());

        assertEquals(d, StoreRepair.repair(dir));
        for (int g = 0; g < 2; g++) {
            assertEquals(d.keptThroughSeq(), Checkpoint.peekSeq(dir.resolve(StoreFormat.checkpointName(g))),
                    "both generations hold the repaired state");
        }
        try (VmemStore repaired = VmemStore.open(small)) {
            assertEquals(d.keptThroughSeq(), repaired.recovery().lastSeq());
            assertEquals(1, repaired.recovery().repairs());
            StoreFixture.assertSound(repaired);
        }
    }
}

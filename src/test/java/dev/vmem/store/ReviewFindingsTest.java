package dev.vmem.store;

import static dev.vmem.store.JournalForgery.records;
import static dev.vmem.store.JournalForgery.recordsEnd;
import static dev.vmem.store.JournalForgery.rewindHead;
import static dev.vmem.store.JournalForgery.segments;
import static dev.vmem.store.JournalForgery.truncate;
import static dev.vmem.store.JournalForgery.xorByte;
import static dev.vmem.store.StoreFixture.dumps;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vmem.Policy;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adversarial review of journal format 2: each test is a finding, and fails on the code as it stands.
 */
class ReviewFindingsTest {
    @TempDir
    Path dir;
    @TempDir
    Path tmp;

    /** Rewrites the watermark of record {@code r} of {@code segment}, with a checksum that matches again. */
    private static void setWatermark(Path segment, JournalForgery.Rec r, long watermark) throws IOException {
        byte[] bytes = Files.readAllBytes(segment);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int pos = (int) r.offset();
        b.putLong(pos + StoreFormat.RECORD_WATERMARK_OFFSET, watermark);
        b.putInt(pos + StoreFormat.RECORD_CRC_OFFSET, StoreFormat.recordCrc(bytes, pos, StoreFormat.VERSION, r.length()));
        JournalForgery.overwrite(segment, pos, java.util.Arrays.copyOfRange(bytes, pos, (int) r.end()));
    }

    private static Path lastSegment(Path store) throws IOException {
        List<Path> segs = segments(store);
        return segs.get(segs.size() - 1);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Finding 1 (wrong: re-hands a NEXT_FIT ID). Repair's salvage scan runs without the head, so a damaged record
    // that the head proves durable is taken as a torn tail: the whole records after it (that shared its fsync, so
    // their watermark is below it) are neither reported as dropped nor used for the rotor jump.
    // ---------------------------------------------------------------------------------------------------------
    @Test
    void repair_recordsThatSharedAnFsyncWithTheDamagedOne_stillMoveTheRotor() throws IOException {
        List<Long> handedOut = new ArrayList<>();
        VmemStore store = VmemStore.open(StoreFixture.options(dir));
        try {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1)); // record 1
            ids.addSpan(1, 1 << 20); // record 2
            for (int i = 0; i < 10; i++) { // records 3..12
                handedOut.add(ids.alloc(1, Policy.NEXT_FIT));
            }
        } finally {
            StoreCrash.crash(store);
        }
        Path seg = lastSegment(dir);
        List<JournalForgery.Rec> recs = records(seg);
        assertEquals(12, recs.get(recs.size() - 1).seq());
        // Records 10, 11 and 12 were written by three threads and shared one fsync after record 9: each carries 9.
        for (JournalForgery.Rec r : recs) {
            if (r.seq() >= 10) {
                setWatermark(seg, r, 9);
            }
        }
        rewindHead(dir, 12); // that fsync returned and the head recorded it: all three were acknowledged
        JournalForgery.Rec victim = recs.get(9);
        assertEquals(10, victim.seq());
        xorByte(seg, victim.payload() + 1); // bit rot in the durable record 10
        assertThrows(StoreCorruptedException.class, () -> VmemStore.open(StoreFixture.options(dir)));

        StoreRepair.Diagnosis d = StoreRepair.repair(dir);
        assertEquals(9, d.keptThroughSeq());
        try (VmemStore repaired = VmemStore.open(StoreFixture.options(dir))) {
            long next = repaired.arena("ids").alloc(1, Policy.NEXT_FIT);
            assertFalse(handedOut.contains(next), "NEXT_FIT handed out " + next + " again; handed out before: "
                    + handedOut + "; diagnosis: " + d);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Finding 2 (wrong: re-hands live NEXT_FIT IDs). The rotor jump takes the highest end any dropped record shows,
    // not where the rotor was last: when the dropped records wrapped, the repaired rotor sits at the top and wraps
    // straight onto the IDs the dropped records handed out after their wrap.
    // ---------------------------------------------------------------------------------------------------------
    @Test
    void repair_droppedRecordsThatWrapped_leaveTheRotorWhereTheyLeftIt() throws IOException {
        List<Long> droppedIds = new ArrayList<>();
        VmemStore store = VmemStore.open(StoreFixture.options(dir));
        long damagedSeq;
        try {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(0, 10);
            PersistentArena other = store.createArena(ArenaDefinition.of("other", 1));
            other.addSpan(0, 100);
            for (int i = 0; i < 8; i++) {
                assertEquals(i, ids.alloc(1, Policy.NEXT_FIT));
            }
            ids.free(0);
            ids.free(1);
            ids.free(2);
            other.alloc(1, Policy.INSTANT_FIT); // the record that will be damaged
            damagedSeq = records(lastSegment(dir)).size();
            for (int i = 0; i < 4; i++) { // 8, 9, then the rotor wraps: 0, 1
                droppedIds.add(ids.alloc(1, Policy.NEXT_FIT));
            }
            assertEquals(List.of(8L, 9L, 0L, 1L), droppedIds);
            assertEquals(2, ids.nextFitCursor());
        } finally {
            StoreCrash.crash(store);
        }
        Path seg = lastSegment(dir);
        JournalForgery.Rec victim = records(seg).get((int) damagedSeq - 1);
        assertEquals(damagedSeq, victim.seq());
        xorByte(seg, victim.payload() + 1); // later records' watermarks prove it durable: refused
        assertThrows(StoreCorruptedException.class, () -> VmemStore.open(StoreFixture.options(dir)));

        StoreRepair.Diagnosis d = StoreRepair.repair(dir);
        assertEquals(4, d.droppedAllocations(), d.toString());
        try (VmemStore repaired = VmemStore.open(StoreFixture.options(dir))) {
            long next = repaired.arena("ids").alloc(1, Policy.NEXT_FIT);
            assertFalse(droppedIds.contains(next), "NEXT_FIT handed out " + next + ", which the dropped records show"
                    + " handed out in this lap of the rotor (" + droppedIds + "); rotor jumps: " + d.rotorJumps());
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Finding 3 (stuck). The directory that keeps the damaged files is named from the repair count, which restarts
    // at 1 when the head is lost: a second repair collides with the first one's damaged-repair-1/, the move of
    // journal/ over a non-empty directory fails, and every later open fails in finishInterrupted.
    // ---------------------------------------------------------------------------------------------------------
    @Test
    void secondRepair_afterTheHeadWasLost_finishes_andTheStoreOpens() throws IOException {
        VmemStore store = VmemStore.open(StoreFixture.options(dir));
        try {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(1, 1 << 20);
            for (int i = 0; i < 30; i++) {
                ids.alloc(1, Policy.NEXT_FIT);
            }
        } finally {
            StoreCrash.crash(store);
        }
        Path seg = lastSegment(dir);
        xorByte(seg, records(seg).get(15).payload() + 1);
        StoreRepair.repair(dir); // repair 1: the damaged files go to damaged-1/
        assertTrue(Files.isDirectory(dir.resolve("damaged-1").resolve(StoreFormat.JOURNAL_DIR)));

        store = VmemStore.open(StoreFixture.options(dir));
        try {
            for (int i = 0; i < 10; i++) {
                store.arena("ids").alloc(1, Policy.NEXT_FIT);
            }
        } finally {
            StoreCrash.crash(store);
        }
        Files.delete(dir.resolve(StoreFormat.HEAD_FILE)); // the head is lost: the store refuses
        assertThrows(StoreCorruptedException.class, () -> VmemStore.open(StoreFixture.options(dir)));

        assertDoesNotThrow(() -> StoreRepair.repair(dir), "second repair");
        assertDoesNotThrow(() -> VmemStore.open(StoreFixture.options(dir)).close(), "open after the second repair");
        assertTrue(Files.isDirectory(dir.resolve("damaged-1-2").resolve(StoreFormat.JOURNAL_DIR)),
                "the second repair keeps its files beside the first one's");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Finding 4 (wrong: a segment is deleted before both checkpoint generations hold its records). Upgrading a
    // format 1 store whose last segment holds no record (a crash right after a roll, or a torn first record)
    // starts the format 2 segment under the same name, and the journal's list of segments holds it twice. The
    // next checkpoint then deletes it while the older generation lacks its records: a damaged newest checkpoint,
    // which the design survives, now loses acknowledged records.
    // ---------------------------------------------------------------------------------------------------------
    @Test
    void upgradedFormat1Store_withAnEmptyLastSegment_keepsItsRecordsUntilBothCheckpointsHoldThem() throws Exception {
        Path store = GoldenStores.copy(1, tmp); // checkpoints at 21 and older, records 1..25 in J1
        // A format 1 roll created segment 26 and the process died before record 26 reached it.
        ByteBuffer header = ByteBuffer.allocate(StoreFormat.SEGMENT_HEADER_BYTES);
        header.putLong(StoreFormat.SEGMENT_MAGIC_OFFSET, StoreFormat.SEGMENT_MAGIC)
                .putInt(StoreFormat.SEGMENT_VERSION_OFFSET, 1)
                .putLong(StoreFormat.SEGMENT_FIRST_SEQ_OFFSET, 26);
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, StoreFormat.SEGMENT_CRC_OFFSET);
        header.putInt(StoreFormat.SEGMENT_CRC_OFFSET, (int) crc.getValue());
        Files.write(store.resolve(StoreFormat.JOURNAL_DIR).resolve(StoreFormat.segmentName(26)), header.array());

        // Work goes on while the first checkpoint is being written (as it does on the background thread).
        AtomicReference<PersistentArena> pids = new AtomicReference<>();
        AtomicBoolean busy = new AtomicBoolean(true);
        StoreHooks hooks = new StoreHooks(StoreFiles.DEFAULT, (files, file, image) -> {
            Checkpoint.write(files, file, image);
            if (busy.getAndSet(false)) {
                for (int i = 0; i < 5; i++) {
                    pids.get().alloc(1, Policy.NEXT_FIT);
                }
            }
        });
        StoreOptions opts = GoldenStores.options(store);
        Map<String, String> acknowledged;
        VmemStore s = VmemStore.open(opts, hooks);
        try {
            assertEquals(1, s.recovery().upgradedFrom());
            pids.set(s.arena("pids"));
            for (int i = 0; i < 3; i++) {
                pids.get().alloc(1, Policy.NEXT_FIT); // records 26..28
            }
            assertTrue(s.checkpoint()); // at 28, over the older generation; records 29..33 written meanwhile
            pids.get().alloc(1, Policy.NEXT_FIT); // record 34 starts segment 34
            assertTrue(s.checkpoint()); // at 34, over the generation at 21: both now hold up to 28
            acknowledged = dumps(s);
        } finally {
            StoreCrash.crash(s);
        }
        long[] seqs = {Checkpoint.peekSeq(store.resolve(StoreFormat.checkpointName(0))),
                Checkpoint.peekSeq(store.resolve(StoreFormat.checkpointName(1)))};
        assertEquals(28, Math.min(seqs[0], seqs[1]));
        boolean kept = Files.exists(store.resolve(StoreFormat.JOURNAL_DIR).resolve(StoreFormat.segmentName(26)));

        // The newest checkpoint is damaged: the store must fall back to the older one and the journal.
        Path newest = store.resolve(StoreFormat.checkpointName(seqs[0] > seqs[1] ? 0 : 1));
        truncate(newest, 0);
        try (VmemStore reopened = VmemStore.open(opts)) {
            assertEquals(acknowledged, dumps(reopened));
        } catch (StoreCorruptedException e) {
            fail("segment 26 kept: " + kept + "; records 26 to 33 are lost with the newest checkpoint: " + e.getMessage());
        }
        assertTrue(kept, "segment 26 holds records 26 to 33; the older generation (at 28) lacks 29 to 33");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Finding 5 (other). A segment roll that fails for want of space is not a StoreDiskFullException: the roll
    // runs before append's try block, so its ENOSPC escapes as a plain journal write failure that names no sizes.
    // ---------------------------------------------------------------------------------------------------------
    @Test
    void rollOnAFullDisk_isReportedAsDiskFull() throws IOException {
        FaultyFiles files = new FaultyFiles();
        StoreOptions opts = StoreFixture.options(dir, 4096);
        try (VmemStore store = VmemStore.open(opts, files.hooks())) {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(0, 1 << 30);
            List<Long> live = new ArrayList<>();
            while (recordsEnd(lastSegment(dir)) < 4096) {
                live.add(ids.alloc(1, Policy.NEXT_FIT));
            }
            files.freeBytes.set(10); // the next record starts a new segment, whose header alone needs 24 bytes
            RuntimeException alloc = assertThrows(RuntimeException.class, () -> ids.alloc(1, Policy.NEXT_FIT));
            assertTrue(alloc instanceof StoreDiskFullException, "an allocation on a full disk: " + alloc);
            RuntimeException free = assertThrows(RuntimeException.class, () -> ids.free(live.get(0)));
            assertTrue(free instanceof StoreDiskFullException, "a free on a full disk: " + free);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Finding 6 (other). The reserve for frees is checked only when the segment grows: records that fit in the
    // zeros preallocated ahead of them are never checked, so once another program fills the disk, allocations use
    // up all of the preallocated megabyte and the first free after them is refused.
    // ---------------------------------------------------------------------------------------------------------
    @Test
    void fullDisk_allocationsDoNotEatThePreallocatedRoom_thatFreesNeed() {
        FaultyFiles files = new FaultyFiles();
        try (VmemStore store = VmemStore.open(StoreFixture.options(dir), files.hooks())) {
            files.freeBytes.set(Journal.RESERVE_BYTES + 40_000);
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(0, 1 << 30);
            List<Long> live = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                live.add(ids.alloc(1, Policy.NEXT_FIT)); // the segment now runs on in about 10,000 bytes of zeros
            }
            files.freeBytes.set(0); // another program fills the file system
            int allocated = 0;
            try {
                for (; allocated < 100_000; allocated++) {
                    live.add(ids.alloc(1, Policy.NEXT_FIT));
                }
                fail("no allocation was refused");
            } catch (StoreDiskFullException expected) {
                // the disk is full
            }
            for (int i = 0; i < 10; i++) {
                long id = live.remove(live.size() - 1);
                int done = allocated;
                assertDoesNotThrow(() -> ids.free(id), "free " + i + " after " + done + " allocations on a full disk");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Finding 7 (other; stops the store). A caller whose thread has its interrupt flag set (Future.cancel(true),
    // an executor shutting down) makes FileChannel close the journal's segment (ClosedByInterruptException): the
    // cut-back fails, the journal fails, and every thread's work is refused until the store is reopened.
    // ---------------------------------------------------------------------------------------------------------
    @Test
    void interruptedCaller_doesNotStopTheStoreForEveryone() {
        try (VmemStore store = VmemStore.open(StoreFixture.options(dir))) {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(0, 1 << 20);
            Thread.currentThread().interrupt();
            try {
                ids.alloc(1, Policy.NEXT_FIT);
            } catch (RuntimeException e) {
                // this caller may be told no
            } finally {
                Thread.interrupted();
            }
            assertDoesNotThrow(() -> ids.alloc(1, Policy.NEXT_FIT), "the next caller, not interrupted");
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Finding 8 (wrong: a free reported as failed is durable). close() shuts the checkpointer's executor down
    // before it marks the store closed; a mutation in that window that crosses checkpointBytes gets a
    // RejectedExecutionException from Checkpointer.written(), after Journal.append succeeded. UnitOfWork.run does
    // not take the unit back (the exception is not an IOException) and never syncs it, yet close forces it: the
    // caller is told the free failed and keeps the ID, while the reopened store has it free to hand out again.
    // ---------------------------------------------------------------------------------------------------------
    @Test
    void closeWhileMutating_neverReportsAFailureForAnOperationThatIsDurable() throws Exception {
        StoreOptions opts = StoreOptions.builder(dir).checkpointInterval(java.time.Duration.ZERO)
                .checkpointBytes(4096).build();
        List<Long> believedHeld = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Throwable> surprises = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Throwable> failedFrees = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int round = 0; round < 40 && failedFrees.isEmpty(); round++) {
            VmemStore store = VmemStore.open(opts);
            PersistentArena ids = store.arenas().isEmpty() ? store.createArena(ArenaDefinition.of("ids", 1))
                    : store.arena("ids");
            if (ids.segments().isEmpty()) {
                ids.addSpan(0, 1 << 30);
            }
            java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(200);
            Thread mutator = new Thread(() -> {
                while (true) {
                    long id;
                    try {
                        id = ids.alloc(1, Policy.INSTANT_FIT);
                    } catch (IllegalStateException closed) {
                        return;
                    } catch (RuntimeException e) {
                        surprises.add(e); // an allocation that "failed"
                        continue;
                    }
                    try {
                        ids.free(id);
                    } catch (IllegalStateException closed) {
                        believedHeld.add(id);
                        return;
                    } catch (RuntimeException e) {
                        surprises.add(e);
                        failedFrees.add(e);
                        believedHeld.add(id); // the free failed: the caller still holds the ID
                        continue;
                    }
                    running.countDown();
                }
            });
            mutator.start();
            running.await();
            store.close();
            mutator.join();
        }
        try (VmemStore reopened = VmemStore.open(opts)) {
            PersistentArena ids = reopened.arena("ids");
            for (long id : believedHeld) {
                assertDoesNotThrow(() -> ids.free(id), "the caller was told ID " + id + " was not freed ("
                        + surprises + "), yet the reopened store has it free");
            }
        }
        assertEquals(List.of(), surprises.stream().map(Throwable::toString).toList(),
                "an operation failed with an undocumented exception during close");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Finding 9 (other). Repairing a format 1 store writes a format 2 head (counting the repair) but leaves FORMAT
    // at 1; the open that follows ignores the head of a format 1 store and creates a new one: the repair count is
    // lost (and with it the name of the next repair's damaged-repair-N directory, see finding 3).
    // ---------------------------------------------------------------------------------------------------------
    @Test
    void repairOfAFormat1Store_isCountedInTheUpgradedStore() throws Exception {
        Path store = GoldenStores.copy(1, tmp);
        Path seg = store.resolve(StoreFormat.JOURNAL_DIR).resolve(StoreFormat.segmentName(1));
        List<JournalForgery.Rec> recs = records(seg);
        xorByte(seg, recs.get(recs.size() - 2).payload() + 1); // record 24 damaged, record 25 whole after it
        assertThrows(StoreCorruptedException.class, () -> VmemStore.open(GoldenStores.options(store)));
        StoreRepair.repair(store);
        try (VmemStore s = VmemStore.open(GoldenStores.options(store))) {
            assertEquals(1, s.recovery().repairs(), "the repair is counted");
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Finding 10 (other). Journal.close stops the head keeper with shutdownNow(): when the keeper is inside the
    // HEAD file's fsync, the interrupt makes FileChannel close the HEAD channel (ClosedByInterruptException).
    // The clean close then cannot write its final head (durableSeq stays behind what it forced), throws out of
    // commits.exclusively before current.close() (the segment's channel leaks), and the close is only logged.
    // ---------------------------------------------------------------------------------------------------------
    @Test
    void cleanClose_whileTheHeadKeeperIsForcingTheHead_writesTheFinalHead() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CountDownLatch inForce = new java.util.concurrent.CountDownLatch(1);
        StoreFiles slowHead = new StoreFiles() {
            @Override
            public Channel open(Path file) throws IOException {
                Channel d = StoreFiles.DEFAULT.open(file);
                boolean head = file.getFileName().toString().equals(StoreFormat.HEAD_FILE);
                return new Channel() {
                    @Override
                    public void write(ByteBuffer bytes, long position) throws IOException {
                        d.write(bytes, position);
                    }

                    @Override
                    public void extend(long size) throws IOException {
                        d.extend(size);
                    }

                    @Override
                    public void force() throws IOException {
                        if (head && armed.get() && Thread.currentThread().getName().startsWith("vmem-head")) {
                            inForce.countDown(); // an fsync that takes a while: the disk is busy
                            long until = System.nanoTime() + 5_000_000_000L;
                            while (!Thread.currentThread().isInterrupted() && System.nanoTime() < until) {
                                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                            }
                        }
                        d.force();
                    }

                    @Override
                    public void truncate(long size) throws IOException {
                        d.truncate(size);
                    }

                    @Override
                    public long size() throws IOException {
                        return d.size();
                    }

                    @Override
                    public void close() throws IOException {
                        d.close();
                    }
                };
            }

            @Override
            public void createDirectory(Path d) throws IOException {
                StoreFiles.DEFAULT.createDirectory(d);
            }

            @Override
            public void delete(Path file) throws IOException {
                StoreFiles.DEFAULT.delete(file);
            }

            @Override
            public void move(Path from, Path to) throws IOException {
                StoreFiles.DEFAULT.move(from, to);
            }

            @Override
            public void syncDirectory(Path d) throws IOException {
                StoreFiles.DEFAULT.syncDirectory(d);
            }

            @Override
            public void writtenOutside(Path file) throws IOException {
                StoreFiles.DEFAULT.writtenOutside(file);
            }

            @Override
            public long usableSpace(Path d) throws IOException {
                return StoreFiles.DEFAULT.usableSpace(d);
            }
        };
        // Checkpoints fail (a full disk, say), so the close goes straight to the journal.
        StoreHooks hooks = new StoreHooks(slowHead, (files, file, image) -> {
            throw new IOException("injected checkpoint failure");
        });
        VmemStore store = VmemStore.open(StoreFixture.options(dir), hooks);
        PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
        ids.addSpan(0, 1 << 20);
        armed.set(true);
        for (int i = 0; i < 5; i++) {
            ids.alloc(1, Policy.NEXT_FIT); // records 3..7: news for the head keeper
        }
        assertTrue(inForce.await(5, java.util.concurrent.TimeUnit.SECONDS), "the head keeper writes the head");
        for (int i = 0; i < 3; i++) {
            ids.alloc(1, Policy.NEXT_FIT); // records 8..10, acknowledged while the head's fsync runs
        }
        store.close();
        assertEquals(10, StoreHead.read(dir).durableSeq(), "a clean close brings the head up to date");
    }
}

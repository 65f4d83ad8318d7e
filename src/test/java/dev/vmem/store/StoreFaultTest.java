package dev.vmem.store;

import static dev.vmem.store.StoreFixture.assertOpensWith;
import static dev.vmem.store.StoreFixture.assertSound;
import static dev.vmem.store.StoreFixture.dumps;
import static dev.vmem.store.StoreFixture.options;
import static dev.vmem.store.StoreFixture.stats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.ArenaExhaustedException;
import dev.vmem.ArenaStats;
import dev.vmem.Policy;
import dev.vmem.Segment;
import dev.vmem.store.FaultyFiles.WriteFault;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Fault injection through {@link StoreHooks}: journal writes and fsyncs that fail, checkpoint
 * writers that fail, batches that throw part-way, and concurrent callers sharing fsyncs.
 */
class StoreFaultTest {
    @TempDir
    Path dir;

    private VmemStore open(FaultyFiles files) {
        return VmemStore.open(options(dir), files.hooks());
    }

    private VmemStore open(StoreFiles files, StoreHooks.CheckpointWriter writer) {
        return VmemStore.open(options(dir), new StoreHooks(files, writer));
    }

    private long journalBytes() throws IOException {
        long total = 0;
        try (Stream<Path> s = Files.list(dir.resolve(StoreFormat.JOURNAL_DIR))) {
            for (Path p : (Iterable<Path>) s::iterator) {
                total += Files.size(p);
            }
        }
        return total;
    }

    /** Where the last segment's records end: the file may run on in preallocated zeros. */
    private long journalEnd() throws IOException {
        return JournalReader.scan(dir.resolve(StoreFormat.JOURNAL_DIR), 0, null, (seq, payload, file, offset) -> { })
                .tailSize();
    }

    private static void assertWriteFailure(StoreIOException e) {
        assertFalse(e instanceof StoreSyncFailedException, "a failed write has a known outcome: " + e);
        assertTrue(e.getMessage().contains("journal write failed"), e.getMessage());
        assertTrue(e.getMessage().contains("did not happen"), e.getMessage());
        assertInstanceOf(IOException.class, e.getCause());
    }

    private static boolean holds(PersistentArena arena, long base, long size) {
        return arena.segments().contains(new Segment(base, size, Segment.Kind.ALLOCATED));
    }

    /** A journal write that fails: the operation is taken back and the store goes on. */
    @Nested
    class WriteFailures {
        @ParameterizedTest
        @EnumSource(WriteFault.class)
        void failedWrite_takesTheOperationBack_andTheStoreGoesOn(WriteFault fault) throws IOException {
            FaultyFiles files = new FaultyFiles();
            Map<String, String> expected;
            try (VmemStore store = open(files)) {
                PersistentArena a = store.createArena(ArenaDefinition.of("a", 8));
                a.addSpan(0, 1 << 16);
                a.alloc(64, Policy.INSTANT_FIT);
                long n1 = a.alloc(8, Policy.NEXT_FIT);
                Map<String, String> before = dumps(store);
                Map<String, ArenaStats> statsBefore = stats(store);
                long cursor = a.nextFitCursor();
                long end = journalEnd();

                files.failNextWrite(fault);
                StoreIOException e = assertThrows(StoreIOException.class, () -> a.alloc(128, Policy.NEXT_FIT));
                assertWriteFailure(e);
                assertTrue(e.getMessage().contains(dir.toString()), "names the store: " + e.getMessage());
                assertTrue(e.getCause().getMessage().contains("injected write failure"), e.getCause().getMessage());

                assertEquals(before, dumps(store));
                assertEquals(statsBefore, stats(store));
                assertEquals(cursor, a.nextFitCursor());
                assertEquals(end, journalBytes(), "the partial record is cut off the journal");
                assertEquals(List.of(), a.checkInvariants());

                long n2 = a.alloc(128, Policy.NEXT_FIT); // the store goes on
                assertEquals(n1 + 8, n2, "NEXT_FIT continues from the rotor as it was before the failure");
                a.free(n1);
                expected = dumps(store);
                assertSound(store);
            }
            assertOpensWith(options(dir), expected);
        }

        @ParameterizedTest
        @EnumSource(WriteFault.class)
        void failedWrite_ofAnAllocThatImports_leavesChildAndParentUnchanged(WriteFault fault) {
            FaultyFiles files = new FaultyFiles();
            Map<String, String> expected;
            try (VmemStore store = open(files)) {
                PersistentArena disk = store.createArena(ArenaDefinition.of("disk", 4096));
                disk.addSpan(0, 1 << 26);
                PersistentArena tenant = store.createArena(ArenaDefinition.of("tenant", 4096).withSource("disk", 1 << 20));
                disk.alloc(8192, Policy.INSTANT_FIT);
                Map<String, String> before = dumps(store);
                Map<String, ArenaStats> statsBefore = stats(store);

                files.failNextWrite(fault);
                assertWriteFailure(assertThrows(StoreIOException.class, () -> tenant.alloc(4096, Policy.NEXT_FIT)));
                assertEquals(before, dumps(store), "parent and child unchanged");
                assertEquals(statsBefore, stats(store));
                assertEquals(0, tenant.stats().imports());
                assertSound(store);

                long page = tenant.alloc(4096, Policy.NEXT_FIT);
                assertEquals(1, tenant.stats().imports());
                assertEquals(2, disk.stats().liveAllocations());

                // A free that gives the imported span back to the parent fails just as cleanly.
                Map<String, String> beforeFree = dumps(store);
                Map<String, ArenaStats> statsBeforeFree = stats(store);
                files.failNextWrite(fault);
                assertWriteFailure(assertThrows(StoreIOException.class, () -> tenant.free(page)));
                assertEquals(beforeFree, dumps(store));
                assertEquals(statsBeforeFree, stats(store));
                assertTrue(holds(tenant, page, 4096));
                assertSound(store);

                tenant.free(page);
                assertEquals(1, tenant.stats().releases());
                assertEquals(1, disk.stats().liveAllocations());
                tenant.alloc(4096, Policy.INSTANT_FIT);
                expected = dumps(store);
            }
            assertOpensWith(options(dir), expected);
        }

        @Test
        void failedWrite_ofCreateSpanAndBatch_changesNothing() {
            FaultyFiles files = new FaultyFiles();
            Map<String, String> expected;
            try (VmemStore store = open(files)) {
                PersistentArena a = store.createArena(ArenaDefinition.of("a", 1));
                a.addSpan(0, 100);
                long x = a.alloc(10, Policy.INSTANT_FIT);

                files.failNextWrite(WriteFault.HALF_WRITTEN);
                assertWriteFailure(assertThrows(StoreIOException.class,
                        () -> store.createArena(ArenaDefinition.of("b", 1))));
                assertEquals(List.of("a"), store.arenas().stream().map(PersistentArena::name).toList());
                assertThrows(IllegalArgumentException.class, () -> store.arena("b"));

                Map<String, String> before = dumps(store);
                files.failNextWrite(WriteFault.NOTHING_WRITTEN);
                assertWriteFailure(assertThrows(StoreIOException.class, () -> a.addSpan(1000, 100)));
                assertEquals(before, dumps(store));
                assertFalse(a.contains(1000));

                files.failNextWrite(WriteFault.ALL_WRITTEN);
                assertWriteFailure(assertThrows(StoreIOException.class, () -> store.batch(() -> {
                    a.free(x);
                    a.alloc(50, Policy.BEST_FIT);
                    store.createArena(ArenaDefinition.of("c", 1)).addSpan(0, 5);
                })));
                assertEquals(before, dumps(store));
                assertSound(store);

                PersistentArena b = store.createArena(ArenaDefinition.of("b", 1)); // the name is free again
                b.addSpan(0, 7);
                b.alloc(3, Policy.NEXT_FIT);
                a.addSpan(1000, 100);
                expected = dumps(store);
                assertSound(store);
            }
            assertOpensWith(options(dir), expected);
        }

        /**
         * Documented: "If the journal write fails, the operation is taken back." A drop is an operation too:
         * a failed write must leave the arena (and the space its imports hold in the parent) in place, and
         * the store usable.
         */
        @Test
        void failedWrite_ofDropArena_keepsTheArena_andTheStoreGoesOn() {
            FaultyFiles files = new FaultyFiles();
            Map<String, String> expected;
            try (VmemStore store = open(files)) {
                PersistentArena disk = store.createArena(ArenaDefinition.of("disk", 4096));
                disk.addSpan(0, 1 << 24);
                PersistentArena tenant = store.createArena(ArenaDefinition.of("tenant", 4096).withSource("disk", 1 << 20));
                tenant.alloc(4096, Policy.INSTANT_FIT);
                Map<String, String> before = dumps(store);

                files.failNextWrite(WriteFault.NOTHING_WRITTEN);
                StoreIOException e = assertThrows(StoreIOException.class, () -> store.dropArena("tenant"));
                assertWriteFailure(e);
                assertEquals(before, dumps(store), "the dropped arena and its parent's allocation are back");
                disk.alloc(4096, Policy.INSTANT_FIT); // the store goes on
                expected = dumps(store);
                assertSound(store);
            }
            assertOpensWith(options(dir), expected);
        }

        @Test
        void failedWrite_whoseCutBackFailsToo_refusesLaterWork_andReopenDropsThePartialRecord() {
            FaultyFiles files = new FaultyFiles();
            Map<String, String> before;
            VmemStore store = open(files);
            try {
                PersistentArena a = store.createArena(ArenaDefinition.of("a", 1));
                a.addSpan(0, 100);
                a.alloc(10, Policy.NEXT_FIT);
                before = dumps(store);

                files.failTruncate = true;
                files.failNextWrite(WriteFault.HALF_WRITTEN);
                assertWriteFailure(assertThrows(StoreIOException.class, () -> a.alloc(20, Policy.NEXT_FIT)));
                assertEquals(before, dumps(store));
                // The journal cannot vouch for its end any more: later work is refused, nothing changes.
                assertThrows(StoreIOException.class, () -> a.alloc(1, Policy.NEXT_FIT));
                assertEquals(before, dumps(store));
            } finally {
                StoreCrash.crash(store);
            }
            assertOpensWith(options(dir), before);
        }
    }

    /** An fsync that fails: the outcome is unknown, the store stops, reopen keeps what reached the disk. */
    @Nested
    class FsyncFailures {
        /**
         * The hook fails fsync but the record's bytes did reach the file (as with a transient EIO while the
         * page cache keeps the data), so the failed operation is on disk and recovery keeps it: after the
         * reopen the store holds exactly what memory held when it stopped, failed operation included.
         */
        @Test
        void failedFsync_stopsTheStore_andReopenKeepsWhatReachedTheDisk() {
            FaultyFiles files = new FaultyFiles();
            Map<String, String> atStop;
            long failedBase;
            VmemStore store = open(files);
            try {
                PersistentArena a = store.createArena(ArenaDefinition.of("a", 1));
                a.addSpan(0, 1000);
                List<Long> acked = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    acked.add(a.alloc(1 + i, Policy.NEXT_FIT));
                }
                a.free(acked.get(3));
                long cursorBefore = a.nextFitCursor();

                files.failForcesAfter(0, 1);
                StoreIOException e = assertThrows(StoreIOException.class, () -> a.alloc(7, Policy.NEXT_FIT));
                assertInstanceOf(StoreSyncFailedException.class, e, "the outcome of a failed fsync is unknown");
                assertTrue(e.getMessage().contains("unknown"), e.getMessage());
                assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
                assertTrue(e.getMessage().contains("sync failed"), e.getMessage());
                assertTrue(e.getMessage().contains("reopen"), e.getMessage());
                assertInstanceOf(IOException.class, e.getCause());
                failedBase = cursorBefore; // NEXT_FIT places the block at the rotor
                assertTrue(holds(a, failedBase, 7), "the operation stays applied in memory, as on disk");

                // No more mutations of any kind; the failure is reported as such.
                StoreIOException stopped = assertThrows(StoreIOException.class, () -> a.alloc(1, Policy.INSTANT_FIT));
                assertTrue(stopped.getMessage().contains("stopped"), stopped.getMessage());
                assertFalse(stopped instanceof StoreSyncFailedException, "a refused operation did not happen: " + stopped);
                assertThrows(StoreIOException.class, () -> a.free(acked.get(0)));
                assertThrows(StoreIOException.class, () -> store.createArena(ArenaDefinition.of("b", 1)));
                assertThrows(StoreIOException.class, () -> store.batch(() -> a.addSpan(5000, 10)));
                assertThrows(StoreIOException.class, () -> store.dropArena("a"));
                assertFalse(store.checkpoint(), "no checkpoint from a store that cannot trust its journal");
                atStop = dumps(store); // reads still work
                assertEquals(List.of(), a.checkInvariants());
            } finally {
                StoreCrash.crash(store);
            }
            try (VmemStore reopened = VmemStore.open(options(dir))) {
                assertEquals(atStop, dumps(reopened));
                assertTrue(holds(reopened.arena("a"), failedBase, 7), "the failed operation's record reached the file");
                assertSound(reopened);
                reopened.arena("a").alloc(1, Policy.NEXT_FIT); // and the reopened store works
            }
        }

        /** As above, but the failing fsync also loses the unsynced bytes: the failed operation is then absent. */
        @Test
        void failedFsync_thatLosesTheUnsyncedBytes_reopensWithoutTheFailedOperation() {
            FaultyFiles files = new FaultyFiles();
            files.dropUnsyncedOnForceFailure = true;
            Map<String, String> acknowledged;
            VmemStore store = open(files);
            try {
                PersistentArena disk = store.createArena(ArenaDefinition.of("disk", 4096));
                disk.addSpan(0, 1 << 24);
                PersistentArena tenant = store.createArena(ArenaDefinition.of("tenant", 4096).withSource("disk", 1 << 20));
                tenant.alloc(4096, Policy.NEXT_FIT);
                disk.alloc(1 << 20, Policy.BEST_FIT);
                acknowledged = dumps(store);

                files.failForcesAfter(0, 1);
                assertThrows(StoreIOException.class, () -> tenant.alloc(2 << 20, Policy.INSTANT_FIT)); // imports again
                assertThrows(StoreIOException.class, () -> disk.alloc(4096, Policy.INSTANT_FIT));
            } finally {
                StoreCrash.crash(store);
            }
            assertOpensWith(options(dir), acknowledged);
        }

        @Test
        void failedFsync_thenClose_closesWithoutCheckpoint_andReopens() {
            FaultyFiles files = new FaultyFiles();
            Map<String, String> atStop;
            try (VmemStore store = open(files)) {
                PersistentArena a = store.createArena(ArenaDefinition.of("a", 1));
                a.addSpan(0, 1000);
                a.alloc(5, Policy.INSTANT_FIT);
                files.failForcesAfter(0, 1);
                assertThrows(StoreIOException.class, () -> a.alloc(5, Policy.INSTANT_FIT));
                atStop = dumps(store);
            }
            assertFalse(Files.exists(dir.resolve(StoreFormat.checkpointName(0))), "close wrote no checkpoint");
            assertOpensWith(options(dir), atStop);
        }

        /**
         * An fsync that fails while the journal rolls over to a new segment: the record was never written,
         * the operation is taken back, later work is refused, and the reopened store holds exactly what was
         * acknowledged.
         */
        @Test
        void failedFsync_atSegmentRollover_refusesWork_andReopensWithTheAcknowledgedState() throws IOException {
            FaultyFiles files = new FaultyFiles();
            StoreOptions opts = options(dir, 4096);
            StoreHooks hooks = files.hooks();
            Map<String, String> acknowledged;
            VmemStore store = VmemStore.open(opts, hooks);
            try {
                PersistentArena a = store.createArena(ArenaDefinition.of("a", 1));
                a.addSpan(0, 1 << 20);
                while (journalEnd() < 4096) {
                    a.alloc(1, Policy.NEXT_FIT);
                }
                acknowledged = dumps(store);
                long segmentsBefore = JournalReader.listSegments(dir.resolve(StoreFormat.JOURNAL_DIR)).size();

                files.failForcesAfter(0, 1); // the next append rolls over and forces the full segment first
                StoreIOException e = assertThrows(StoreIOException.class, () -> a.alloc(1, Policy.NEXT_FIT));
                assertInstanceOf(IOException.class, e.getCause());
                assertEquals(acknowledged, dumps(store), "the operation that was never written is taken back");
                assertEquals(segmentsBefore, JournalReader.listSegments(dir.resolve(StoreFormat.JOURNAL_DIR)).size());
                assertThrows(StoreIOException.class, () -> a.alloc(1, Policy.NEXT_FIT));
                assertEquals(acknowledged, dumps(store));
            } finally {
                StoreCrash.crash(store);
            }
            assertOpensWith(options(dir), acknowledged);
        }

        /** Eight threads, fsyncs start failing part-way: everything acknowledged survives the reopen. */
        @Test
        void failedFsync_underConcurrency_keepsEveryAcknowledgedOperation() throws Exception {
            FaultyFiles files = new FaultyFiles();
            files.forceDelayNanos = TimeUnit.MICROSECONDS.toNanos(200);
            int threads = 8;
            Map<Integer, Set<Long>> ackedLive = new ConcurrentHashMap<>();
            Map<String, String> atStop;
            VmemStore store = open(files);
            try {
                PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
                ids.addSpan(0, 1 << 20);
                files.failForcesAfter(25, Integer.MAX_VALUE);
                AtomicReference<Throwable> unexpected = new AtomicReference<>();
                CountDownLatch start = new CountDownLatch(1);
                List<Thread> workers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    Set<Long> live = new HashSet<>();
                    ackedLive.put(id, live);
                    Thread w = new Thread(() -> {
                        try {
                            start.await();
                            for (int i = 0; i < 200; i++) {
                                long v = ids.alloc(1 + id, Policy.INSTANT_FIT);
                                live.add(v);
                                if (i % 3 == 2) {
                                    long victim = live.iterator().next();
                                    live.remove(victim); // from here on its state is unknown until the free is acknowledged
                                    ids.free(victim);
                                }
                            }
                            unexpected.compareAndSet(null, new AssertionError("fsyncs never failed"));
                        } catch (StoreIOException expected) {
                            // the store stopped; everything before this call was acknowledged
                        } catch (Throwable e) {
                            unexpected.compareAndSet(null, e);
                        }
                    });
                    workers.add(w);
                    w.start();
                }
                start.countDown();
                for (Thread w : workers) {
                    w.join(TimeUnit.SECONDS.toMillis(60));
                    assertFalse(w.isAlive(), "worker finished");
                }
                assertNull(unexpected.get());
                assertTrue(files.failedForces.get() >= 1);
                atStop = dumps(store);
            } finally {
                StoreCrash.crash(store);
            }
            try (VmemStore reopened = VmemStore.open(options(dir))) {
                PersistentArena ids = reopened.arena("ids");
                for (Map.Entry<Integer, Set<Long>> e : ackedLive.entrySet()) {
                    for (long v : e.getValue()) {
                        assertTrue(holds(ids, v, 1 + e.getKey()), "acknowledged allocation " + v + " of thread " + e.getKey());
                    }
                }
                // The injected failure loses no bytes, so the disk holds what memory held when the store stopped.
                assertEquals(atStop, dumps(reopened));
                assertSound(reopened);
            }
        }
    }

    /** A checkpoint writer that fails: the store stays usable and the journal whole. */
    @Nested
    class FailingCheckpoints {
        @Test
        void checkpointWriterThatThrows_leavesTheStoreUsable_andTheJournalWhole() throws IOException {
            AtomicInteger attempts = new AtomicInteger();
            StoreHooks.CheckpointWriter failing = (files, file, image) -> {
                attempts.incrementAndGet();
                throw new IOException("injected checkpoint failure");
            };
            Map<String, String> expected;
            try (VmemStore store = open(StoreFiles.DEFAULT, failing)) {
                PersistentArena a = store.createArena(ArenaDefinition.of("a", 8));
                a.addSpan(0, 1 << 16);
                for (int i = 0; i < 20; i++) {
                    a.alloc(8 * (i + 1), Policy.NEXT_FIT);
                }
                long bytes = journalBytes();
                assertFalse(store.checkpoint());
                assertEquals(1, attempts.get());
                assertEquals(bytes, journalBytes(), "the journal keeps every record");
                assertEquals(List.of(1L), JournalReader.listSegments(dir.resolve(StoreFormat.JOURNAL_DIR)));
                a.alloc(8, Policy.NEXT_FIT); // still usable
                assertFalse(store.checkpoint());
                assertSound(store);
                expected = dumps(store);
            } // close tries once more and fails quietly
            assertEquals(3, attempts.get());
            assertOpensWith(options(dir), expected);
        }

        @Test
        void checkpointWriterThatWritesGarbage_isRejected_andReopenUsesTheOtherGenerationAndTheJournal()
                throws IOException {
            AtomicInteger mode = new AtomicInteger(); // 0: real writer, 1: garbage
            Random rnd = new Random(42);
            StoreHooks.CheckpointWriter writer = (files, file, image) -> {
                if (mode.get() == 0) {
                    Checkpoint.write(files, file, image);
                } else {
                    byte[] junk = new byte[64 * 1024];
                    rnd.nextBytes(junk);
                    Files.write(file, junk);
                }
            };
            StoreOptions opts = options(dir, 4096);
            StoreHooks hooks = new StoreHooks(StoreFiles.DEFAULT, writer);
            Map<String, String> expected;
            VmemStore store = VmemStore.open(opts, hooks);
            try {
                PersistentArena disk = store.createArena(ArenaDefinition.of("disk", 4096));
                disk.addSpan(0, 1 << 26);
                PersistentArena tenant = store.createArena(ArenaDefinition.of("tenant", 4096).withSource("disk", 1 << 20));
                List<Long> pages = new ArrayList<>();
                for (int round = 0; round < 3; round++) {
                    for (int i = 0; i < 60; i++) {
                        pages.add(tenant.alloc(4096, Policy.NEXT_FIT));
                    }
                    for (int i = 0; i < 20; i++) {
                        tenant.free(pages.remove(0));
                    }
                    assertTrue(store.checkpoint());
                }
                assertFalse(Files.exists(dir.resolve(StoreFormat.JOURNAL_DIR).resolve(StoreFormat.segmentName(1))),
                        "good checkpoints let the journal drop old segments");

                mode.set(1);
                for (int i = 0; i < 30; i++) {
                    pages.add(tenant.alloc(4096, Policy.NEXT_FIT));
                }
                List<Long> segmentsBefore = JournalReader.listSegments(dir.resolve(StoreFormat.JOURNAL_DIR));
                assertFalse(store.checkpoint(), "a checkpoint that does not read back is a failure");
                assertEquals(segmentsBefore, JournalReader.listSegments(dir.resolve(StoreFormat.JOURNAL_DIR)),
                        "the journal keeps every record");
                disk.alloc(1 << 20, Policy.INSTANT_FIT); // still usable
                assertSound(store);
                expected = dumps(store);
            } finally {
                StoreCrash.crash(store);
            }
            try (VmemStore reopened = VmemStore.open(options(dir))) {
                assertEquals(expected, dumps(reopened));
                assertSound(reopened);
                assertTrue(reopened.checkpoint());
                assertTrue(reopened.checkpoint());
            }
            for (int g = 0; g < 2; g++) {
                Path file = dir.resolve(StoreFormat.checkpointName(g));
                assertTrue(Checkpoint.peekSeq(file) > 0, "generation " + g + " rebuilt");
                assertEquals(2, Checkpoint.read(file).arenas.size());
            }
            assertOpensWith(options(dir), expected);
        }
    }

    /** A batch that throws part-way: every change it made is taken back. */
    @Nested
    class BatchesThatThrow {
        @Test
        void batchWhoseSecondOperationThrows_takesBackTheFirst_andJournalsNothing() throws IOException {
            FaultyFiles files = new FaultyFiles();
            Map<String, String> expected;
            try (VmemStore store = open(files)) {
                PersistentArena disk = store.createArena(ArenaDefinition.of("disk", 4096));
                disk.addSpan(0, 1 << 24);
                PersistentArena tenant = store.createArena(ArenaDefinition.of("tenant", 4096).withSource("disk", 1 << 20));
                PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
                ids.addSpan(0, 10);
                long keep = tenant.alloc(4096, Policy.INSTANT_FIT);
                ids.alloc(1, Policy.NEXT_FIT);
                Map<String, String> before = dumps(store);
                long bytes = journalBytes();
                long writes = files.writes.get();

                // The first operation imports into tenant and moves ids' rotor; the second runs out of space.
                ArenaExhaustedException e = assertThrows(ArenaExhaustedException.class, () -> store.batch(() -> {
                    tenant.alloc(2 << 20, Policy.INSTANT_FIT);
                    ids.alloc(3, Policy.NEXT_FIT);
                    tenant.free(keep);
                    ids.alloc(100, Policy.INSTANT_FIT);
                }));
                assertTrue(e.getMessage().contains("ids"), e.getMessage());
                assertEquals(before, dumps(store));
                assertEquals(bytes, journalBytes(), "nothing journalled");
                assertEquals(writes, files.writes.get(), "nothing written");

                // Nested batches: the outermost one is the unit; a failure inside takes back all of it.
                assertThrows(IllegalStateException.class, () -> store.batch(() -> {
                    store.createArena(ArenaDefinition.of("scratch", 1)).addSpan(0, 4);
                    store.batch(() -> ids.alloc(2, Policy.BEST_FIT));
                    throw new IllegalStateException("caller gives up");
                }));
                assertEquals(before, dumps(store));
                assertEquals(writes, files.writes.get());
                assertSound(store);

                // Unchecked exceptions of the arena itself, too.
                assertThrows(dev.vmem.InvalidFreeException.class, () -> store.batch(() -> {
                    disk.alloc(4096, Policy.NEXT_FIT);
                    disk.free(12345);
                }));
                assertEquals(before, dumps(store));

                store.batch(() -> {
                    tenant.alloc(4096, Policy.NEXT_FIT);
                    ids.alloc(3, Policy.NEXT_FIT);
                });
                assertEquals(writes + 1, files.writes.get(), "a batch is one record");
                expected = dumps(store);
            }
            assertOpensWith(options(dir), expected);
        }

        /**
         * Documented: "If work throws, every change it made is taken back and the exception propagates."
         * A batch that drops an arena and then fails must leave the arena in place and the store usable.
         */
        @Test
        void batchThatDropsAnArenaAndThenThrows_takesTheDropBack() {
            Map<String, String> expected;
            try (VmemStore store = VmemStore.open(options(dir))) {
                PersistentArena disk = store.createArena(ArenaDefinition.of("disk", 4096));
                disk.addSpan(0, 1 << 24);
                PersistentArena tenant = store.createArena(ArenaDefinition.of("tenant", 4096).withSource("disk", 1 << 20));
                tenant.alloc(4096, Policy.INSTANT_FIT);
                Map<String, String> before = dumps(store);
                assertThrows(IllegalStateException.class, () -> store.batch(() -> {
                    store.dropArena("tenant");
                    throw new IllegalStateException("caller gives up");
                }));
                assertEquals(before, dumps(store));
                assertSame(tenant, store.arena("tenant"));
                tenant.alloc(4096, Policy.INSTANT_FIT);
                expected = dumps(store);
                assertSound(store);
            }
            assertOpensWith(options(dir), expected);
        }
    }

    /** Concurrent callers share fsyncs, and a crash keeps what each was told. */
    @Nested
    class GroupCommit {
        @Test
        void concurrentOperations_areAllAcknowledged_shareFsyncs_andSurviveACrash() throws Exception {
            FaultyFiles files = new FaultyFiles();
            files.forceDelayNanos = TimeUnit.MICROSECONDS.toNanos(500); // a slow disk makes callers queue up
            int threads = 8;
            int perThread = 150;
            StoreOptions opts = StoreOptions.builder(dir).checkpointInterval(Duration.ZERO).checkpointBytes(16 * 1024).build();
            StoreHooks hooks = files.hooks();
            Map<String, Set<Long>> live = new ConcurrentHashMap<>();
            Map<String, String> atCrash;
            long forcesForOps;
            VmemStore store = VmemStore.open(opts, hooks);
            try {
                PersistentArena disk = store.createArena(ArenaDefinition.of("disk", 4096));
                disk.addSpan(0, 1L << 32);
                for (int t = 0; t < threads; t++) {
                    store.createArena(ArenaDefinition.of("t" + t, 4096).withSource("disk", 64 * 4096));
                }
                long forces0 = files.forces.get();
                AtomicInteger operations = new AtomicInteger();
                AtomicReference<Throwable> failure = new AtomicReference<>();
                CountDownLatch start = new CountDownLatch(1);
                List<Thread> workers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    String name = "t" + t;
                    Set<Long> mine = Collections.newSetFromMap(new ConcurrentHashMap<>());
                    live.put(name, mine);
                    Thread w = new Thread(() -> {
                        try {
                            PersistentArena arena = store.arena(name);
                            Random rnd = new Random(name.hashCode());
                            start.await();
                            for (int i = 0; i < perThread; i++) {
                                if (mine.isEmpty() || rnd.nextInt(3) > 0) {
                                    mine.add(arena.alloc(4096, Policy.values()[rnd.nextInt(3)]));
                                } else {
                                    long victim = mine.iterator().next();
                                    arena.free(victim);
                                    mine.remove(victim);
                                }
                                operations.incrementAndGet();
                            }
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                    });
                    workers.add(w);
                    w.start();
                }
                start.countDown();
                for (Thread w : workers) {
                    w.join(TimeUnit.SECONDS.toMillis(60));
                    assertFalse(w.isAlive());
                }
                assertNull(failure.get());
                assertEquals(threads * perThread, operations.get());
                forcesForOps = files.forces.get() - forces0;
                atCrash = dumps(store);
                assertSound(store);
            } finally {
                StoreCrash.crash(store);
            }
            assertTrue(forcesForOps < threads * perThread,
                    "concurrent callers share fsyncs: " + forcesForOps + " fsyncs for " + threads * perThread + " operations");
            try (VmemStore reopened = VmemStore.open(options(dir))) {
                assertEquals(atCrash, dumps(reopened));
                for (Map.Entry<String, Set<Long>> e : live.entrySet()) {
                    PersistentArena arena = reopened.arena(e.getKey());
                    assertEquals(e.getValue().size(), arena.stats().liveAllocations(), e.getKey());
                    for (long v : e.getValue()) {
                        assertTrue(holds(arena, v, 4096), e.getKey() + " holds " + v);
                    }
                }
                assertNotEquals(0, reopened.arena("disk").stats().liveAllocations());
                assertSound(reopened);
            }
        }

        /**
         * Rollovers force and switch segments while other callers are parked waiting for an fsync: every
         * caller returns, and the crash keeps exactly what they were told.
         */
        @Test
        void concurrentOperations_acrossSegmentRollovers_allReturn_andSurviveACrash() throws Exception {
            FaultyFiles files = new FaultyFiles();
            files.forceDelayNanos = TimeUnit.MICROSECONDS.toNanos(200);
            int threads = 8;
            StoreOptions opts = options(dir, 4096);
            StoreHooks hooks = files.hooks();
            Map<String, String> atCrash;
            VmemStore store = VmemStore.open(opts, hooks);
            try {
                PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
                ids.addSpan(0, 1 << 20);
                AtomicReference<Throwable> failure = new AtomicReference<>();
                CountDownLatch start = new CountDownLatch(1);
                List<Thread> workers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    Thread w = new Thread(() -> {
                        try {
                            start.await();
                            List<Long> mine = new ArrayList<>();
                            for (int i = 0; i < 150; i++) {
                                if (i % 3 == 2) {
                                    ids.free(mine.remove(0));
                                } else {
                                    mine.add(ids.alloc(1 + id, Policy.INSTANT_FIT));
                                }
                            }
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                    });
                    workers.add(w);
                    w.start();
                }
                start.countDown();
                for (Thread w : workers) {
                    w.join(TimeUnit.SECONDS.toMillis(60));
                    assertFalse(w.isAlive(), "every caller returned");
                }
                assertNull(failure.get());
                assertTrue(JournalReader.listSegments(dir.resolve(StoreFormat.JOURNAL_DIR)).size() > 5);
                atCrash = dumps(store);
                assertSound(store);
            } finally {
                StoreCrash.crash(store);
            }
            assertOpensWith(options(dir), atCrash);
        }
    }
}

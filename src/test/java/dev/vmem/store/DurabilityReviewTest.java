package dev.vmem.store;

import static dev.vmem.store.StoreFixture.assertSound;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An adversarial review of the durability levels and the log-ahead NEXT_FIT rotor ({@link RotorMarks}): each
 * test pins a promise of {@link Durability} / {@link VmemStore} that a review found broken or at risk.
 */
@Timeout(60)
class DurabilityReviewTest {
    /** Long enough that no background flush happens during a test unless it waits for one. */
    private static final Duration NEVER = StoreOptions.MAX_FLUSH_INTERVAL;

    @TempDir
    Path dir;

    /**
     * {@code rotorReserve} accepts any positive value, but the step doubles with {@code s.step * 2} in
     * {@code RotorMarks.adapt} without a bound check: from a reserve past 2^62 the step overflows to a negative
     * number after a few fast marks, and the next mark is journalled below the rotor (or as -1, which a replay
     * refuses as "negative"). A ring that wraps quickly makes every wrap a new mark, so the step doubles fast.
     */
    @Test
    void aHugeRotorReserve_neverJournalsAMarkBelowTheRotor_andTheStoreReopensAfterACrash() {
        StoreOptions opts = StoreOptions.builder(dir).checkpointInterval(Duration.ZERO)
                .durability(Durability.BUFFERED).flushInterval(NEVER).rotorReserve(Long.MAX_VALUE).build();
        List<String> problems;
        try (VmemStore store = VmemStore.open(opts)) {
            PersistentArena ring = store.createArena(ArenaDefinition.of("ring", 1));
            ring.addSpan(0, 4);
            for (int i = 0; i < 64; i++) { // 16 laps of the rotor, each wrap a new mark within a second
                ring.free(ring.alloc(1, Policy.NEXT_FIT), 1);
            }
            problems = store.verify();
            StoreCrash.crash(store);
        }
        try (VmemStore store = assertDoesNotThrow(() -> VmemStore.open(opts), "reopen after a crash")) {
            assertSound(store);
        }
        assertEquals(List.of(), problems, "before the crash, the journal replays to the state in memory");
    }

    /**
     * A failed open leaves nothing running. The constructor of {@link VmemStore} opens the {@link Journal} (which
     * starts the head keeper and the flusher, a thread named {@code vmem-head <store>}, and holds the segment and
     * HEAD open), then journals recovery's rotor skips ({@code journalSkips}): when that append or its fsync
     * fails, the constructor throws, {@code open} releases the directory lock, and nobody closes the journal.
     * Each fsync of such an open is failed in turn, on a fresh copy of a store crashed with its marks set.
     */
    @Test
    void anOpenThatFailsWhileJournallingRotorSkips_leavesNoThreadRunning() throws Exception {
        Path crashed = dir.resolve("crashed");
        StoreOptions opts = StoreOptions.builder(crashed).checkpointInterval(Duration.ZERO)
                .durability(Durability.WRITE).flushInterval(NEVER).rotorReserve(64).build();
        try (VmemStore store = VmemStore.open(opts)) {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(0, 1000);
            for (int i = 0; i < 10; i++) {
                ids.alloc(1, Policy.NEXT_FIT);
            }
            StoreCrash.crash(store);
        }
        List<String> leaks = new ArrayList<>();
        int failedOpens = 0;
        for (int good = 0; good < 12; good++) {
            Path copy = dir.resolve("copy" + good);
            copyTree(crashed, copy);
            FaultyFiles files = new FaultyFiles();
            files.failForcesAfter(good, 1);
            StoreOptions copyOpts = StoreOptions.builder(copy).checkpointInterval(Duration.ZERO)
                    .durability(Durability.WRITE).flushInterval(NEVER).rotorReserve(64).build();
            try {
                VmemStore.open(copyOpts, files.hooks()).close();
            } catch (StoreException e) {
                failedOpens++;
                String name = copy.getFileName().toString();
                for (Thread t : Thread.getAllStackTraces().keySet()) {
                    if (t.isAlive() && t.getName().endsWith(" " + name)) {
                        leaks.add(t.getName() + " (open failed after " + good + " good fsyncs: " + e.getMessage() + ")");
                    }
                }
            }
        }
        assertTrue(failedOpens > 0, "some open failed");
        assertEquals(List.of(), leaks, "threads left running by failed opens");
        try (VmemStore store = VmemStore.open(opts)) {
            assertTrue(!store.recovery().rotorSkips().isEmpty(), "the crashed store had a mark to skip to");
            assertSound(store);
        }
    }

    /**
     * A batch below SYNC that moves an arena's rotor and then drops the arena: {@code RotorMarks.plan} gives the
     * unit a mark for the arena, and {@code UnitOfWork.run} appends the marks after the unit's operations, so the
     * record says DROP then MARK of the dropped arena. {@code RotorMarks.appended} then finds no state for it,
     * and a replay ({@code verify()}, recovery) refuses the record: "arena does not exist".
     */
    @Test
    void aBatchThatMovesARotorAndThenDropsTheArena_belowSync_isJournalledSoThatItReplays() {
        StoreOptions opts = StoreOptions.builder(dir).checkpointInterval(Duration.ZERO)
                .durability(Durability.WRITE).flushInterval(NEVER).rotorReserve(64).build();
        List<String> problems;
        Throwable thrown = null;
        try (VmemStore store = VmemStore.open(opts)) {
            store.batch(Durability.SYNC, () -> store.createArena(ArenaDefinition.of("tmp", 1)).addSpan(0, 100));
            store.batch(Durability.SYNC, () -> store.createArena(ArenaDefinition.of("keep", 1)).addSpan(0, 100));
            PersistentArena tmp = store.arena("tmp");
            try {
                store.batch(() -> {
                    tmp.alloc(1, Policy.NEXT_FIT);
                    store.dropArena("tmp");
                });
            } catch (RuntimeException e) {
                thrown = e;
            }
            store.arena("keep").alloc(1, Policy.INSTANT_FIT);
            problems = store.verify();
            StoreCrash.crash(store);
        }
        try (VmemStore store = assertDoesNotThrow(() -> VmemStore.open(opts), "reopen after a crash")) {
            assertEquals(List.of("keep"), store.arenas().stream().map(PersistentArena::name).toList());
            assertSound(store);
        }
        assertEquals(null, thrown, "the batch is acknowledged");
        assertEquals(List.of(), problems, "before the crash, the journal replays to the state in memory");
    }

    /**
     * Repair keeps the promise of the rotor marks: no NEXT_FIT value acknowledged before the loss is handed out
     * again. {@code StoreRepair.Salvaged.dropped} reads the whole records after the damage for their rotor moves
     * but ignores their MARKs, and {@code diagnosis} only uses the mark of the salvaged image (older): when a
     * dropped record set a newer durable mark, units acknowledged at WRITE/BUFFERED under it and lost in the crash
     * handed out values past the last move the dropped records show, and the repaired rotor hands them out again.
     */
    @Test
    void repair_ofAStoreWhoseDroppedRecordsSetANewerMark_movesTheRotorPastValuesLostUnitsHandedOut()
            throws IOException {
        StoreOptions opts = StoreOptions.builder(dir).checkpointInterval(Duration.ZERO)
                .durability(Durability.BUFFERED).flushInterval(NEVER).rotorReserve(64 * 64).build();
        List<Long> handedOut = new ArrayList<>();
        long victimSeq;
        try (VmemStore store = VmemStore.open(opts)) {
            store.batch(Durability.SYNC, () -> {
                store.createArena(ArenaDefinition.of("ids", 1)).addSpan(1, 1 << 20);
                store.createArena(ArenaDefinition.of("other", 1)).addSpan(0, 100);
            });
            PersistentArena ids = store.arena("ids");
            handedOut.add(ids.alloc(1, Policy.NEXT_FIT)); // the first mark, fsynced
            store.batch(Durability.SYNC, () -> store.arena("other").alloc(1, Policy.INSTANT_FIT));
            victimSeq = store.stats().appendedSeq(); // damaged below: the records after it are dropped
            long big = ids.alloc(64, Policy.NEXT_FIT); // reaches the first mark: a newer one, fsynced
            for (long v = big; v < big + 64; v++) {
                handedOut.add(v);
            }
            for (int i = 0; i < 20; i++) {
                handedOut.add(ids.alloc(1, Policy.NEXT_FIT)); // under the newer mark: buffered, lost in the crash
            }
            StoreCrash.crash(store);
        }
        Path seg = JournalForgery.segments(dir).get(0);
        JournalForgery.Rec victim = JournalForgery.records(seg).stream().filter(r -> r.seq() == victimSeq)
                .findFirst().orElseThrow();
        JournalForgery.xorByte(seg, victim.payload() + 2);
        assertThrows(StoreCorruptedException.class, () -> VmemStore.open(opts), "a record proven durable is damaged");
        StoreRepair.Diagnosis d = StoreRepair.repair(dir);
        try (VmemStore store = VmemStore.open(opts)) {
            long next = store.arena("ids").alloc(1, Policy.NEXT_FIT);
            assertFalse(handedOut.contains(next), next + " was handed out before the crash (rotor jumps "
                    + d.rotorJumps() + ", handed out " + handedOut + ")");
            assertSound(store);
        }
    }

    /**
     * {@code batch(Durability, Runnable)} is documented "as {@link VmemStore#batch(Durability, java.util.function.Supplier)}",
     * which throws {@link NullPointerException} for a null level; the Runnable form instead runs the work at the
     * store's default level ({@code VmemStore.batch(Durability, Runnable)}: {@code if (durability == null) mutate(w)}),
     * so a caller who meant SYNC and passed a null variable gets BUFFERED silently.
     */
    @Test
    void aRunnableBatchWithoutALevel_isRefusedAsTheSupplierFormIs() {
        StoreOptions opts = StoreOptions.builder(dir).checkpointInterval(Duration.ZERO)
                .durability(Durability.BUFFERED).flushInterval(NEVER).build();
        try (VmemStore store = VmemStore.open(opts)) {
            store.batch(Durability.SYNC, () -> store.createArena(ArenaDefinition.of("ids", 1)).addSpan(0, 10));
            PersistentArena ids = store.arena("ids");
            assertThrows(NullPointerException.class, () -> store.batch(null, () -> 1));
            Durability unset = null;
            long before = store.stats().durableSeq();
            assertThrows(NullPointerException.class, () -> store.batch(unset, () -> {
                ids.alloc(1, Policy.INSTANT_FIT);
            }), "batch(null, Runnable) ran at the store's default level (durable through " + before + ")");
            assertSound(store);
        }
    }

    /**
     * A checkpoint asked for inside a batch (same thread: the store's lock is reentrant) snapshots the batch's
     * changes that are not journalled yet, at the journal's current sequence number. When the batch then throws,
     * memory takes its changes back but the checkpoint keeps them: the checkpoint holds a state no prefix of the
     * journal ever had.
     */
    @Test
    void aCheckpointInsideABatchThatFails_doesNotKeepTheBatchsChanges() {
        StoreOptions opts = StoreOptions.builder(dir).checkpointInterval(Duration.ZERO)
                .durability(Durability.BUFFERED).flushInterval(NEVER).build();
        java.util.Map<String, String> expected;
        try (VmemStore store = VmemStore.open(opts)) {
            store.batch(Durability.SYNC, () -> store.createArena(ArenaDefinition.of("ids", 1)).addSpan(0, 100));
            PersistentArena ids = store.arena("ids");
            ids.alloc(1, Policy.NEXT_FIT);
            IllegalStateException refused = assertThrows(IllegalStateException.class, () -> store.batch(() -> {
                ids.alloc(10, Policy.NEXT_FIT);
                store.checkpoint();
                throw new IllegalStateException("the batch fails");
            }));
            assertTrue(refused.getMessage().contains("checkpoint() inside a batch"), refused.getMessage());
            expected = java.util.Map.of("ids", ids.segments().toString());
            assertEquals(List.of(), store.verify(), "checkpoint and journal replay to memory");
            StoreCrash.crash(store);
        }
        try (VmemStore store = VmemStore.open(opts)) {
            // The rotor may start at its mark (BUFFERED); the allocations are exactly those before the batch.
            assertEquals(expected.get("ids"), store.arena("ids").segments().toString());
            assertSound(store);
        }
    }

    /**
     * Threads allocating NEXT_FIT IDs at mixed levels (BUFFERED, WRITE, SYNC, and batches nesting them) race
     * with the background mark extensions and with {@code sync()}; the store is crashed in the middle, three
     * times. After each crash: what recovery keeps is a subset of what was handed out and holds everything
     * acknowledged at WRITE or SYNC and everything acknowledged before the last completed {@code sync()}; the
     * rotor skip stays within the reserve; and no new NEXT_FIT ID is one handed out before.
     */
    @Test
    void mixedLevelsFromManyThreads_crashedMidway_keepAPrefix_andHandOutNoIdTwice() throws Exception {
        long seed = System.nanoTime();
        System.out.println("mixedLevelsFromManyThreads seed=" + seed);
        long reserve = 256;
        StoreOptions opts = StoreOptions.builder(dir).checkpointInterval(Duration.ofMillis(200))
                .durability(Durability.BUFFERED).flushInterval(Duration.ofMillis(5)).rotorReserve(reserve)
                .journalSegmentBytes(64 << 10).build();
        java.util.Set<Long> everHandedOut = java.util.concurrent.ConcurrentHashMap.newKeySet();
        try (VmemStore store = VmemStore.open(opts)) {
            store.batch(Durability.SYNC, () -> store.createArena(ArenaDefinition.of("ids", 1)).addSpan(1, 1L << 40));
        }
        for (int round = 0; round < 3; round++) {
            java.util.Set<Long> mustKeep = java.util.concurrent.ConcurrentHashMap.newKeySet();
            VmemStore store = VmemStore.open(opts);
            PersistentArena ids = store.arena("ids");
            long firstAfter = ids.alloc(1, Policy.NEXT_FIT);
            assertFalse(everHandedOut.contains(firstAfter), "seed=" + seed + ": " + firstAfter + " handed out again");
            everHandedOut.add(firstAfter);
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            List<Thread> threads = new ArrayList<>();
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 3; t++) {
                java.util.Random rnd = new java.util.Random(seed + 31L * round + t);
                Thread th = new Thread(() -> {
                    try {
                        while (!stop.get()) {
                            int pick = rnd.nextInt(10);
                            if (pick < 5) {
                                long v = ids.alloc(1 + rnd.nextInt(3), Policy.NEXT_FIT);
                                handedOut(everHandedOut, v, seed);
                            } else if (pick < 7) {
                                long v = store.batch(Durability.WRITE, () -> ids.alloc(1, Policy.NEXT_FIT));
                                handedOut(everHandedOut, v, seed);
                                mustKeep.add(v);
                            } else if (pick < 8) {
                                long v = store.batch(Durability.BUFFERED,
                                        () -> store.batch(Durability.SYNC, () -> ids.alloc(2, Policy.NEXT_FIT)));
                                handedOut(everHandedOut, v, seed);
                                mustKeep.add(v);
                            } else if (pick < 9) {
                                List<Long> mine = new ArrayList<>();
                                for (int i = 0; i < 4; i++) {
                                    long v = ids.alloc(1, Policy.NEXT_FIT);
                                    handedOut(everHandedOut, v, seed);
                                    mine.add(v);
                                }
                                store.sync();
                                mustKeep.addAll(mine);
                            } else {
                                long v = ids.alloc(1, Policy.NEXT_FIT);
                                handedOut(everHandedOut, v, seed);
                                ids.free(v, 1);
                            }
                        }
                    } catch (AssertionError e) {
                        errors.add(e);
                    } catch (IllegalStateException closed) {
                        // the crash closed the store under the thread
                    } catch (Throwable e) {
                        if (!stop.get()) {
                            errors.add(e);
                        }
                    }
                });
                threads.add(th);
                th.start();
            }
            Thread.sleep(700);
            stop.set(true);
            StoreCrash.crash(store);
            for (Thread th : threads) {
                th.join(10_000);
            }
            assertEquals(List.of(), errors, "seed=" + seed);
            try (VmemStore again = VmemStore.open(opts)) {
                PersistentArena r = again.arena("ids");
                java.util.Set<Long> kept = new java.util.HashSet<>();
                for (dev.vmem.Segment sgm : r.segments()) {
                    if (sgm.kind() == dev.vmem.Segment.Kind.ALLOCATED) {
                        kept.add(sgm.base());
                    }
                }
                for (long v : mustKeep) {
                    assertTrue(kept.contains(v), "seed=" + seed + ": " + v + " acknowledged durably is gone");
                }
                long maxHanded = everHandedOut.stream().mapToLong(Long::longValue).max().orElse(0);
                long rotor = r.nextFitCursor();
                assertTrue(rotor > maxHanded, "seed=" + seed + ": rotor " + rotor + " is not past " + maxHanded);
                assertTrue(rotor - maxHanded <= reserve + 3, "seed=" + seed + ": skipped " + (rotor - maxHanded)
                        + " values never handed out (reserve " + reserve + "): " + again.recovery().rotorSkips());
                assertSound(again);
            }
        }
    }

    /** Close, and the in-process crash, stop every thread the store started (flusher, head keeper, marks, checkpointer). */
    @Test
    void closeAndCrash_leaveNoThreadOfTheStoreRunning() throws InterruptedException {
        for (boolean clean : new boolean[] {true, false}) {
            Path store = dir.resolve(clean ? "closed" : "crashed");
            StoreOptions opts = StoreOptions.builder(store).checkpointInterval(Duration.ofMillis(10))
                    .durability(Durability.BUFFERED).flushInterval(Duration.ofMillis(1)).rotorReserve(128).build();
            VmemStore s = VmemStore.open(opts);
            PersistentArena ids = s.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(0, 1 << 20);
            for (int i = 0; i < 2000; i++) {
                ids.alloc(1, Policy.NEXT_FIT); // marks extended in the background
            }
            if (clean) {
                s.close();
            } else {
                StoreCrash.crash(s);
            }
            String name = " " + store.getFileName();
            List<String> alive = new ArrayList<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().endsWith(name)) {
                    t.join(2000);
                    if (t.isAlive()) {
                        alive.add(t.getName());
                    }
                }
            }
            assertEquals(List.of(), alive, clean ? "after close" : "after a crash");
            try (VmemStore again = VmemStore.open(opts)) {
                assertSound(again);
            }
        }
    }

    /** Records a NEXT_FIT value; the rotor never comes round in these tests, so no value may come twice. */
    private static void handedOut(java.util.Set<Long> ever, long v, long seed) {
        if (!ever.add(v)) {
            throw new AssertionError("seed=" + seed + ": " + v + " handed out twice");
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!p.getFileName().toString().equals(StoreFormat.LOCK_FILE)) {
                    Files.copy(p, target);
                }
            }
        }
    }
}
package dev.vmem.store;

import static dev.vmem.store.StoreFixture.assertSound;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import dev.vmem.Segment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Durability levels and the log-ahead NEXT_FIT rotor, in one JVM: a crash is {@link StoreCrash#crash}, which
 * keeps what the journal wrote to the operating system and loses the store's own buffer (what a process crash
 * loses). Power loss and {@code kill -9} have their own harnesses.
 */
class DurabilityLevelsTest {
    /** Long enough that no background flush happens during a test unless it waits for one. */
    private static final Duration NEVER = StoreOptions.MAX_FLUSH_INTERVAL;

    @TempDir
    Path dir;

    private StoreOptions options(Durability level, Duration flush, long reserve) {
        return StoreOptions.builder(dir).checkpointInterval(Duration.ZERO).durability(level).flushInterval(flush)
                .rotorReserve(reserve).build();
    }

    private StoreOptions options(Durability level) {
        return options(level, NEVER, 64);
    }

    /** A store with an ID arena {@code ids} holding {@code [1, 1 + size)}, created at SYNC. */
    private VmemStore storeWithIds(StoreOptions opts, long size) {
        VmemStore store = VmemStore.open(opts);
        store.batch(Durability.SYNC, () -> store.createArena(ArenaDefinition.of("ids", 1)).addSpan(1, size));
        return store;
    }

    private static Set<Long> allocated(PersistentArena arena) {
        Set<Long> out = new TreeSet<>();
        for (Segment s : arena.segments()) {
            if (s.kind() == Segment.Kind.ALLOCATED) {
                for (long v = s.base(); v < s.base() + s.size(); v++) {
                    out.add(v);
                }
            }
        }
        return out;
    }

    private static List<Long> nextFit(PersistentArena arena, int n) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(arena.alloc(1, Policy.NEXT_FIT));
        }
        return out;
    }

    @Nested
    class WhatACrashKeeps {
        @Test
        void write_processCrash_losesNothingAcknowledged_andNoIdComesBack() {
            List<Long> handed;
            try (VmemStore store = storeWithIds(options(Durability.WRITE), 10_000)) {
                handed = nextFit(store.arena("ids"), 500);
                StoreCrash.crash(store);
            }
            try (VmemStore store = VmemStore.open(options(Durability.WRITE))) {
                PersistentArena ids = store.arena("ids");
                assertEquals(new TreeSet<>(handed), allocated(ids));
                RecoveryReport.RotorSkip skip = store.recovery().rotorSkips().get(0);
                assertEquals("ids", skip.arena());
                assertEquals(501, skip.from(), "the journal left the rotor after the last ID handed out");
                assertTrue(skip.to() > 501 && skip.to() - 501 <= 64, "skipped at most the reserve: " + skip);
                assertEquals(skip.to(), ids.nextFitCursor());
                long next = ids.alloc(1, Policy.NEXT_FIT);
                assertEquals(skip.to(), next, "the rotor goes on from its mark");
                assertSound(store);
            }
        }

        @Test
        void buffered_crash_losesExactlyWhatWasStillInTheBuffer() {
            List<Long> handed = new ArrayList<>();
            try (VmemStore store = storeWithIds(options(Durability.BUFFERED), 10_000)) {
                PersistentArena ids = store.arena("ids");
                for (int i = 0; i < 300; i++) {
                    handed.add(ids.alloc(1, Policy.INSTANT_FIT)); // no rotor, so nothing but sync() forces
                    if (i == 99) {
                        store.sync();
                    }
                }
                StoreCrash.crash(store);
            }
            try (VmemStore store = VmemStore.open(options(Durability.BUFFERED))) {
                assertEquals(new TreeSet<>(handed.subList(0, 100)), allocated(store.arena("ids")),
                        "what sync() covered, and nothing after it");
                assertSound(store);
            }
        }

        @Test
        void buffered_crash_keepsAPrefix_atLeastWhatSyncCovered_andNoIdComesBack() {
            List<Long> handed;
            try (VmemStore store = storeWithIds(options(Durability.BUFFERED), 10_000)) {
                PersistentArena ids = store.arena("ids");
                handed = nextFit(ids, 100);
                store.sync();
                handed.addAll(nextFit(ids, 200));
                StoreCrash.crash(store);
            }
            try (VmemStore store = VmemStore.open(options(Durability.BUFFERED))) {
                PersistentArena ids = store.arena("ids");
                Set<Long> kept = allocated(ids);
                assertEquals(new TreeSet<>(handed.subList(0, kept.size())), kept, "a prefix of what was handed out");
                assertTrue(kept.size() >= 100, "everything before sync() survives: " + kept.size());
                long rotor = ids.nextFitCursor();
                assertTrue(rotor > handed.get(handed.size() - 1), "the rotor " + rotor + " is past every ID handed out");
                for (long id : nextFit(ids, 50)) {
                    assertFalse(handed.contains(id), "NEXT_FIT handed out " + id + " again");
                }
                assertSound(store);
            }
        }

        @Test
        void lostAcknowledgedUnits_areReported_asFarAsTheHeadKnewOfThem() throws InterruptedException {
            long appended;
            long synced;
            try (VmemStore store = storeWithIds(options(Durability.BUFFERED), 10_000)) {
                PersistentArena ids = store.arena("ids");
                ids.alloc(1, Policy.INSTANT_FIT);
                store.sync();
                synced = store.stats().durableSeq();
                for (int i = 0; i < 20; i++) {
                    ids.alloc(1, Policy.INSTANT_FIT);
                }
                appended = store.stats().appendedSeq();
                // The head records the newest unit acknowledged before its fsync once a second.
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (StoreHead.read(dir).acknowledgedSeq() < appended && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                StoreCrash.crash(store);
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
            try (VmemStore store = VmemStore.open(options(Durability.BUFFERED))) {
                RecoveryReport r = store.recovery();
                assertEquals(synced, r.lastSeq(), "the journal ends where sync() left it");
                assertEquals(java.util.Optional.of(new RecoveryReport.LostUnits(synced + 1, appended)),
                        r.lostAcknowledged());
                assertEquals(20, r.lostAcknowledged().orElseThrow().units());
                assertSound(store);
            }
            try (VmemStore store = VmemStore.open(options(Durability.BUFFERED))) {
                assertEquals(java.util.Optional.empty(), store.recovery().lostAcknowledged(),
                        "reported once: the reopen reset the head");
                assertSound(store);
            }
        }

        @ParameterizedTest
        @EnumSource(Durability.class)
        void sync_makesEverythingAcknowledgedBeforeIt_durable(Durability level) {
            List<Long> handed;
            try (VmemStore store = storeWithIds(options(level), 10_000)) {
                handed = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    handed.add(store.arena("ids").alloc(1 + i % 3, Policy.INSTANT_FIT));
                }
                store.sync();
                assertEquals(store.stats().appendedSeq(), store.stats().durableSeq(), level.toString());
                StoreCrash.crash(store);
            }
            try (VmemStore store = VmemStore.open(options(level))) {
                assertEquals(50, store.arena("ids").stats().liveAllocations(), level.toString());
                assertSound(store);
            }
        }

        @Test
        void syncBatch_inABufferedStore_isDurableOnReturn_withEverythingBeforeIt() {
            try (VmemStore store = storeWithIds(options(Durability.BUFFERED), 1000)) {
                PersistentArena ids = store.arena("ids");
                for (int i = 0; i < 10; i++) {
                    ids.alloc(1, Policy.INSTANT_FIT);
                }
                assertTrue(store.stats().durableSeq() < store.stats().appendedSeq(), "buffered: " + store.stats());
                store.batch(Durability.SYNC, () -> ids.alloc(5, Policy.BEST_FIT));
                assertEquals(store.stats().appendedSeq(), store.stats().durableSeq());
                StoreCrash.crash(store);
            }
            try (VmemStore store = VmemStore.open(options(Durability.BUFFERED))) {
                assertEquals(11, store.arena("ids").stats().liveAllocations());
                assertSound(store);
            }
        }

        @Test
        void nestedBatches_areAcknowledgedAtTheStrongestLevelAskedFor() {
            try (VmemStore store = storeWithIds(options(Durability.SYNC), 1000)) {
                PersistentArena ids = store.arena("ids");
                store.batch(Durability.BUFFERED, () -> {
                    ids.alloc(1, Policy.INSTANT_FIT);
                    store.batch(Durability.SYNC, () -> ids.alloc(1, Policy.INSTANT_FIT));
                });
                assertEquals(store.stats().appendedSeq(), store.stats().durableSeq(), "SYNC won");
                store.batch(Durability.BUFFERED, () -> {
                    ids.alloc(1, Policy.INSTANT_FIT); // an arena operation joins the batch's level
                    store.batch(() -> ids.alloc(1, Policy.INSTANT_FIT)); // so does a batch that asks for none
                });
                assertEquals(store.stats().appendedSeq() - 1, store.stats().durableSeq(), "still buffered");
                StoreCrash.crash(store);
            }
            try (VmemStore store = VmemStore.open(options(Durability.SYNC))) {
                assertEquals(2, store.arena("ids").stats().liveAllocations(), "the buffered batch is lost whole");
                assertSound(store);
            }
        }

        @Test
        void theFlusher_makesBufferedWorkDurable_withinItsInterval() throws InterruptedException {
            try (VmemStore store = storeWithIds(options(Durability.BUFFERED, Duration.ofMillis(20), 64), 1000)) {
                store.arena("ids").alloc(1, Policy.INSTANT_FIT);
                long appended = store.stats().appendedSeq();
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (store.stats().durableSeq() < appended && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertEquals(appended, store.stats().durableSeq());
                assertSound(store);
            }
        }
    }

    @Nested
    class TheRotor {
        @Test
        void cleanClose_restoresTheExactRotor_atEveryLevel_skippingNothing() {
            for (Durability level : Durability.values()) {
                long cursor;
                try (VmemStore store = storeWithIds(options(level), 100_000)) {
                    nextFit(store.arena("ids"), 300);
                    cursor = store.arena("ids").nextFitCursor();
                }
                try (VmemStore store = VmemStore.open(options(level))) {
                    assertEquals(List.of(), store.recovery().rotorSkips(), level.toString());
                    assertEquals(cursor, store.arena("ids").nextFitCursor(), level.toString());
                    assertSound(store);
                    store.dropArena("ids");
                }
            }
        }

        @Test
        void aStoreUsedOnlyAtSync_writesNoMark_andKeepsItsExactRotorAfterACrash() {
            try (VmemStore store = storeWithIds(options(Durability.SYNC), 10_000)) {
                nextFit(store.arena("ids"), 300);
                assertEquals(0, store.stats().rotorMoves());
                StoreCrash.crash(store);
            }
            try (VmemStore store = VmemStore.open(options(Durability.SYNC))) {
                assertEquals(List.of(), store.recovery().rotorSkips());
                assertEquals(301, store.arena("ids").nextFitCursor());
                assertSound(store);
            }
        }

        @Test
        void aCheckpoint_carriesTheMark_soARecoveryFromItStillSkips() {
            // A first step of 4096/64 = 64: the first allocation marks 2 + 64, and 10 stay below half of it, so no
            // extension runs in the background and the checkpoint is the newest word on the mark.
            StoreOptions opts = options(Durability.BUFFERED, NEVER, 4096);
            try (VmemStore store = storeWithIds(opts, 10_000)) {
                nextFit(store.arena("ids"), 10);
                assertTrue(store.checkpoint());
                StoreCrash.crash(store);
            }
            StoreImage newest = Checkpoint.read(dir.resolve(StoreFormat.checkpointName(0)));
            assertEquals(66, newest.arenas.firstEntry().getValue().mark);
            try (VmemStore store = VmemStore.open(opts)) {
                assertEquals(0, store.recovery().replayed(), "the checkpoint holds everything");
                assertEquals(List.of(new RecoveryReport.RotorSkip("ids", 0, 11, 66)), store.recovery().rotorSkips());
                assertEquals(66, store.arena("ids").nextFitCursor());
                assertSound(store);
            }
        }

        @Test
        void marksAreExtendedAheadOfTheCallers_soFewAllocationsWaitForAnFsync() {
            try (VmemStore store = storeWithIds(options(Durability.BUFFERED, Duration.ofMillis(100), 4096), 1 << 20)) {
                PersistentArena ids = store.arena("ids");
                for (int i = 0; i < 100_000; i++) {
                    long id = ids.alloc(1, Policy.NEXT_FIT);
                    if (i % 2 == 0) {
                        ids.free(id);
                    }
                }
                StoreStats stats = store.stats();
                assertEquals(100_000, stats.rotorMoves());
                // One wait for the first mark; after that, extensions in the background keep ahead (some more waits
                // are possible when the extension thread is descheduled on a loaded machine).
                assertTrue(stats.rotorWaits() >= 1 && stats.rotorWaits() < 100, "waits " + stats);
                assertSound(store);
            }
        }
    }

    /**
     * Seeded random churn of a small ID arena at BUFFERED and WRITE, with crashes: every recovery is a prefix of
     * the acknowledged units at least as long as the last sync() covered, and no ID the client held before the
     * crash is handed out again before the rotor comes round.
     */
    @Nested
    class RandomCrashes {
        /** Crash rounds per level ({@code -Dvmem.durability.rounds}; each round has up to 150 operations). */
        private static final int ROUNDS = Integer.getInteger("vmem.durability.rounds", 12);

        @ParameterizedTest
        @EnumSource(value = Durability.class, names = {"WRITE", "BUFFERED"})
        void churnWithCrashes_recoversPrefixes_andNeverHandsAHeldIdOutAgain(Durability level) {
            long seed = ThreadLocalRandom.current().nextLong();
            System.out.println("DurabilityLevelsTest.RandomCrashes seed=" + seed + " level=" + level);
            Random rnd = new Random(seed);
            long size = 200;
            long reserve = 16;
            StoreOptions opts = options(level, NEVER, reserve);
            storeWithIds(opts, size).close();
            for (int round = 0; round < ROUNDS; round++) {
                String at = "seed=" + seed + " round=" + round;
                List<Set<Long>> history = new ArrayList<>();
                int synced;
                Set<Long> held;
                long cursorBefore;
                try (VmemStore store = VmemStore.open(opts)) {
                    PersistentArena ids = store.arena("ids");
                    held = allocated(ids);
                    history.add(new TreeSet<>(held));
                    synced = 0;
                    int ops = 1 + rnd.nextInt(150);
                    for (int i = 0; i < ops; i++) {
                        int what = rnd.nextInt(10);
                        if (what < 5 && held.size() < size - 10) {
                            held.add(ids.alloc(1, Policy.NEXT_FIT));
                        } else if (what < 8 && !held.isEmpty()) {
                            long victim = new ArrayList<>(held).get(rnd.nextInt(held.size()));
                            ids.free(victim);
                            held.remove(victim);
                        } else if (what == 8) {
                            store.sync();
                            synced = history.size() - 1;
                            continue;
                        } else {
                            continue;
                        }
                        history.add(new TreeSet<>(held));
                    }
                    cursorBefore = ids.nextFitCursor();
                    StoreCrash.crash(store);
                }
                try (VmemStore store = VmemStore.open(opts)) {
                    PersistentArena ids = store.arena("ids");
                    Set<Long> kept = allocated(ids);
                    int prefix = history.lastIndexOf(kept);
                    assertTrue(prefix >= synced, at + ": recovered " + kept + " is no prefix at or after the sync ("
                            + synced + " of " + history.size() + ")");
                    if (level == Durability.WRITE) {
                        assertEquals(held, kept, at + ": a process crash loses nothing written");
                    }
                    for (RecoveryReport.RotorSkip skip : store.recovery().rotorSkips()) {
                        assertTrue(skip.to() > skip.from(), at + " " + skip);
                        if (skip.to() > cursorBefore && skip.from() <= cursorBefore) {
                            assertTrue(skip.to() - cursorBefore <= reserve, at + ": skipped too many never handed out "
                                    + skip + " rotor was " + cursorBefore);
                        }
                    }
                    long previous = ids.nextFitCursor();
                    for (int i = 0; i < 60; i++) {
                        long id = ids.alloc(1, Policy.NEXT_FIT);
                        if (ids.nextFitCursor() <= previous) {
                            ids.free(id);
                            break; // the rotor came round: from here on, reuse is allowed
                        }
                        previous = ids.nextFitCursor();
                        assertFalse(held.contains(id), at + ": NEXT_FIT handed out " + id
                                + " again, which the client held before the crash");
                        ids.free(id);
                    }
                    assertSound(store);
                }
            }
        }
    }

    @Nested
    class Options {
        @Test
        void badSettings_areRefused_namingTheValue() {
            StoreOptions.Builder b = StoreOptions.builder(dir);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> b.flushInterval(Duration.ZERO).build());
            assertTrue(e.getMessage().contains("flushInterval=PT0S"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> StoreOptions.builder(dir).flushInterval(Duration.ofMinutes(2)).build());
            assertTrue(e.getMessage().contains("flushInterval=PT2M"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> StoreOptions.builder(dir).flushInterval(Duration.ofMillis(-5)).build());
            assertTrue(e.getMessage().contains("flushInterval=PT-0.005S"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> StoreOptions.builder(dir).rotorReserve(0).build());
            assertTrue(e.getMessage().contains("rotorReserve=0"), e.getMessage());
            assertThrows(NullPointerException.class, () -> StoreOptions.builder(dir).durability(null).build());
            StoreOptions edge = StoreOptions.builder(dir).flushInterval(Duration.ofMillis(1)).rotorReserve(1).build();
            assertEquals(Duration.ofMillis(1), edge.flushInterval());
            assertEquals(StoreOptions.MAX_FLUSH_INTERVAL,
                    StoreOptions.builder(dir).flushInterval(StoreOptions.MAX_FLUSH_INTERVAL).build().flushInterval());
            assertEquals(Durability.SYNC, StoreOptions.of(dir).durability());
        }

        @Test
        void levelNames_parseInAnyCase_andABadOneIsNamed() {
            assertEquals(Durability.WRITE, Durability.parse("write"));
            assertEquals(Durability.BUFFERED, Durability.parse(" Buffered "));
            assertEquals(Durability.SYNC, Durability.parse("SYNC"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durability.parse("fast"));
            assertTrue(e.getMessage().contains("'fast'") && e.getMessage().contains("sync, write, buffered"),
                    e.getMessage());
        }

        @Test
        void aBatchWithoutALevel_isRefused_andTheStoreGoesOn() {
            try (VmemStore store = storeWithIds(options(Durability.SYNC), 10)) {
                assertThrows(NullPointerException.class, () -> store.batch(null, () -> 1));
                store.arena("ids").alloc(1, Policy.INSTANT_FIT);
                assertSound(store);
            }
        }

        @Test
        void syncOnAClosedStore_isRefused() {
            VmemStore store = storeWithIds(options(Durability.BUFFERED), 10);
            store.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, store::sync);
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }
    }
}

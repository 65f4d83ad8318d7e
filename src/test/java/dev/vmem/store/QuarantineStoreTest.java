package dev.vmem.store;

import static dev.vmem.store.StoreFixture.assertSound;
import static dev.vmem.store.StoreFixture.options;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Arena;
import dev.vmem.ArenaChange;
import dev.vmem.Policy;
import dev.vmem.Quarantine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mapdb.BTreeMap;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

/**
 * A persistent arena's reuse quarantine: the rule journalled with the arena and kept in checkpoints, the queue
 * in checkpoints under their checksum, and after a crash every block freed since the last checkpoint held for
 * the whole delay from the open. (The kill -9 case: {@link QuarantineCrashTest}.)
 */
class QuarantineStoreTest {
    private static final Quarantine LONG = Quarantine.of(Duration.ofHours(1));

    @TempDir
    Path dir;

    /** Allocates every block of {@code size} the arena will give, in one unit; returns their bases. */
    static Set<Long> exhaust(VmemStore store, PersistentArena a, long size) {
        return new TreeSet<>(exhaustTimed(store, a, size).keySet());
    }

    /**
     * As {@link #exhaust}, with the wall-clock millis each block's allocation had returned by: a test can check
     * every hand-out against its own time, however long the whole exhaust takes.
     */
    static Map<Long, Long> exhaustTimed(VmemStore store, PersistentArena a, long size) {
        return store.batch(() -> {
            Map<Long, Long> got = new TreeMap<>();
            for (long b = a.tryAlloc(size, Policy.INSTANT_FIT); b != Arena.NONE; b = a.tryAlloc(size, Policy.INSTANT_FIT)) {
                got.put(b, System.currentTimeMillis());
            }
            return got;
        });
    }

    /** Creates arena "ids" (quantum 1, span [0, 64)) with {@code rule}, allocates 8 blocks of 8 and frees the first {@code freed}. */
    private static List<Long> freedIds(VmemStore store, Quarantine rule, int freed) {
        PersistentArena a = store.createArena(ArenaDefinition.of("ids", 1).withQuarantine(rule));
        a.addSpan(0, 64);
        List<Long> bases = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            bases.add(a.alloc(8, Policy.INSTANT_FIT));
        }
        for (int i = 0; i < freed; i++) {
            a.free(bases.get(i));
        }
        return bases.subList(0, freed);
    }

    @Test
    void cleanReopen_keepsTheRuleAndTheQueue_andHandsNoQuarantinedBlockOut() {
        List<Long> freed;
        try (VmemStore store = VmemStore.open(options(dir))) {
            freed = new ArrayList<>(freedIds(store, LONG.withFrees(2), 3));
            assertEquals(24, store.arena("ids").stats().quarantined());
        }
        try (VmemStore store = VmemStore.open(options(dir))) {
            PersistentArena a = store.arena("ids");
            assertEquals(new Quarantine(Duration.ofMillis(3_600_000), 2), a.quarantine());
            assertEquals(24, a.stats().quarantined(), "the three freed blocks, from the checkpoint the close wrote");
            assertEquals(0, a.reapQuarantine(), "an hour is not over");
            assertEquals(Set.of(), exhaust(store, a, 8), "the arena is full but for the quarantined blocks");
            assertSound(store);
            assertThrows(dev.vmem.InvalidFreeException.class, () -> a.free(freed.get(0)), "a quarantined block's free is a double free");
        }
    }

    @Test
    void crashBeforeAnyCheckpoint_keepsTheRule_journalledWithTheCreate_andHoldsEveryFreedBlock() {
        List<Long> freed;
        VmemStore first = VmemStore.open(options(dir));
        freed = new ArrayList<>(freedIds(first, LONG, 4));
        StoreCrash.crash(first);
        try (VmemStore store = VmemStore.open(options(dir))) {
            PersistentArena a = store.arena("ids");
            assertEquals(LONG, a.quarantine());
            assertEquals(32, a.stats().quarantined());
            assertEquals(Set.of(), exhaust(store, a, 8));
            for (long b : freed) {
                assertTrue(a.segments().stream().anyMatch(s -> s.base() == b && s.kind() == dev.vmem.Segment.Kind.QUARANTINED));
            }
            assertSound(store);
        }
    }

    @Test
    void crash_countsAFreesOnlyRule_byReplayOrder_theNewestBlocksStay() {
        VmemStore first = VmemStore.open(options(dir));
        List<Long> freed = new ArrayList<>(freedIds(first, Quarantine.ofFrees(2), 5));
        StoreCrash.crash(first);
        try (VmemStore store = VmemStore.open(options(dir))) {
            PersistentArena a = store.arena("ids");
            assertEquals(16, a.stats().quarantined(), "the two newest of five frees");
            Set<Long> got = exhaust(store, a, 8);
            assertEquals(new TreeSet<>(freed.subList(0, 3)), got, "the three oldest are free again, as before the crash");
            assertSound(store);
        }
    }

    @Test
    void reopen_afterTheDelay_releasesTheBlocks_throughTheJournal() throws InterruptedException {
        try (VmemStore store = VmemStore.open(options(dir))) {
            freedIds(store, Quarantine.of(Duration.ofMillis(200)), 2);
            store.checkpoint();
            PersistentArena a = store.arena("ids");
            a.free(a.segments().stream().filter(s -> s.kind() == dev.vmem.Segment.Kind.ALLOCATED).findFirst()
                    .orElseThrow().base()); // after the checkpoint: replayed
            StoreCrash.crash(store);
        }
        try (VmemStore store = VmemStore.open(options(dir))) {
            PersistentArena a = store.arena("ids");
            assertEquals(24, a.stats().quarantined());
            Thread.sleep(400);
            assertEquals(3, a.reapQuarantine());
            assertEquals(0, a.stats().quarantined());
            assertEquals(3, exhaust(store, a, 8).size());
            assertSound(store);
        }
        try (VmemStore store = VmemStore.open(options(dir))) {
            assertEquals(0, store.arena("ids").stats().quarantined(), "the allocations over them proved them gone");
            assertSound(store);
        }
    }

    @Test
    void checkpoint_roundTripsTheRuleAndTheQueue_andADelayPastTheOpenIsCappedThere() throws Exception {
        StoreImage image = new StoreImage(3);
        Quarantine rule = Quarantine.of(Duration.ofSeconds(5)).withFrees(1);
        assertNull(image.apply(new Op.Create(0, "ids", 1, 1, 0, -1, rule)));
        assertNull(image.apply(new Op.Change(0, new ArenaChange.SpanAdded(0, 100, false))));
        assertNull(image.apply(new Op.Create(1, "plain", 1, 1, 0, -1)));
        long far = System.currentTimeMillis() + 86_400_000L; // a clock a day ahead wrote this
        long[] queue = {10, 5, 1000, 40, 10, far};
        image.arenas.put(0, new StoreImage.ArenaImage(image.arenas.get(0).definition,
                new dev.vmem.ArenaState(image.arenas.get(0).state().spans(), new long[0], 0,
                        image.arenas.get(0).state().counters(), queue)));
        Path file = dir.resolve(StoreFormat.checkpointName(0));
        Checkpoint.write(StoreFiles.DEFAULT, file, image);
        StoreImage back = Checkpoint.read(file);
        assertEquals(rule, back.arenas.get(0).definition.quarantine());
        assertArrayEquals(queue, back.arenas.get(0).state().quarantine());
        assertEquals(Quarantine.NONE, back.arenas.get(1).definition.quarantine());
        ArenaHandle h = ArenaHandle.build(back.arenas.get(0).definition, null, back.arenas.get(0).state(), (a, c) -> { });
        long[] restored = h.exportState().quarantine();
        assertEquals(1000, restored[2], "a due time in the past stays (it is released at the next look)");
        assertTrue(restored[5] <= System.currentTimeMillis() + 5_001, "a day ahead is cut to the whole delay from now");
        assertEquals(List.of(), h.arena().checkInvariants());
    }

    @Test
    void aDamagedQuarantineEntry_failsTheChecksum_andRecoveryFallsBackToTheOtherGeneration() throws Exception {
        try (VmemStore store = VmemStore.open(options(dir))) {
            freedIds(store, LONG, 2);
            store.checkpoint();
            store.checkpoint(); // both generations hold the queue
        }
        Path file = dir.resolve(StoreFormat.checkpointName(0));
        DB db = DBMaker.fileDB(file.toFile()).fileChannelEnable().fileLockDisable().make();
        try {
            BTreeMap<long[], long[]> q = db.treeMap(StoreFormat.MAP_QUARANTINE, Serializer.LONG_ARRAY,
                    Serializer.LONG_ARRAY).open();
            long[] key = q.firstKey();
            long[] v = q.get(key);
            v[2] = 0; // due at once: the block would be handed out early
            q.put(key, v);
        } finally {
            db.close();
        }
        StoreCorruptedException e = assertThrows(StoreCorruptedException.class, () -> Checkpoint.read(file));
        assertTrue(e.getMessage().contains("does not match its checksum"), e.getMessage());
        try (VmemStore store = VmemStore.open(options(dir))) {
            assertEquals(16, store.arena("ids").stats().quarantined(), "from the other generation");
            assertEquals(Set.of(), exhaust(store, store.arena("ids"), 8));
            store.checkpoint(); // rewrites the damaged generation
            store.checkpoint();
            assertSound(store);
        }
    }

    @Test
    void readOnlyOpen_andBackup_carryTheQuarantine() {
        Path copy = dir.resolve("backup");
        try (VmemStore store = VmemStore.open(options(dir.resolve("s")))) {
            freedIds(store, LONG, 2);
            try (VmemStore reader = VmemStore.openReadOnly(dir.resolve("s"))) {
                assertEquals(LONG, reader.arena("ids").quarantine());
                assertEquals(16, reader.arena("ids").stats().quarantined());
            }
            store.backup(copy);
        }
        try (VmemStore store = VmemStore.open(options(copy))) {
            PersistentArena a = store.arena("ids");
            assertEquals(LONG, a.quarantine());
            assertEquals(16, a.stats().quarantined());
            assertEquals(Set.of(), exhaust(store, a, 8));
            assertSound(store);
        }
    }

    @Test
    void badDefinitions_areRefused_namingTheValue_andChangeNothing() {
        try (VmemStore store = VmemStore.open(options(dir))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.createArena(
                    new ArenaDefinition("c", 1, null, 0, 8).withQuarantine(LONG)));
            assertTrue(e.getMessage().contains("qcacheMax=8"), e.getMessage());
            assertEquals(List.of(), store.arenas());
            assertSound(store);
        }
        assertThrows(IllegalArgumentException.class, () -> UnitCodec.rule(0, 0));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> UnitCodec.decode(UnitCodec.encode(List.of(new Op.Create(0, "x", 1, 1, 0, -1, LONG))).clone()
                        .length < 0 ? null : forgedQuarantineAlone()));
        assertTrue(bad.getMessage().contains("does not follow"), bad.getMessage());
        assertEquals(List.of(new Op.Create(0, "x", 1, 1, 0, -1, LONG)),
                UnitCodec.decode(UnitCodec.encode(List.of(new Op.Create(0, "x", 1, 1, 0, -1, LONG)))));
    }

    /** A unit of one QUARANTINE operation without its CREATE. */
    private static byte[] forgedQuarantineAlone() {
        return java.nio.ByteBuffer.allocate(4 + 5 + 16).putInt(1).put(StoreFormat.OP_QUARANTINE).putInt(0)
                .putLong(1000).putLong(0).array();
    }
}

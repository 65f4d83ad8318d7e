package dev.vmem.store;

import static dev.vmem.store.StoreFixture.dumps;
import static dev.vmem.store.StoreFixture.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vmem.Policy;
import dev.vmem.Segment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link VmemStore#backup}: a copy taken while four threads allocate opens as a sound store holding every
 * allocation acknowledged before the call and nothing never handed out; bad targets are refused with their name
 * and nothing changed; a failure midway leaves nothing that opens as a store.
 */
class StoreBackupTest {
    @TempDir
    Path dir;

    private Path store() {
        return dir.resolve("store");
    }

    @Test
    @Timeout(60)
    void aBackupTakenWhileFourThreadsAllocate_holdsEverythingAcknowledgedBeforeIt() throws Exception {
        long seed = System.nanoTime();
        System.out.println("seed " + seed);
        Path target = dir.resolve("backup");
        List<Set<Long>> before = new ArrayList<>();
        List<Set<Long>> acknowledged = new ArrayList<>();
        try (VmemStore store = VmemStore.open(StoreOptions.builder(store()).build())) {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(1, 1L << 40);
            AtomicBoolean stop = new AtomicBoolean();
            CountDownLatch started = new CountDownLatch(4);
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Set<Long> mine = new HashSet<>();
                acknowledged.add(mine);
                Random rnd = new Random(seed + t);
                Thread th = new Thread(() -> {
                    try {
                        while (!stop.get()) {
                            long id = ids.alloc(1 + rnd.nextInt(8), Policy.values()[rnd.nextInt(3)]);
                            synchronized (mine) {
                                mine.add(id);
                            }
                            if (mine.size() == 100) {
                                started.countDown();
                            }
                        }
                    } catch (RuntimeException | Error e) {
                        synchronized (failures) {
                            failures.add(e);
                        }
                        started.countDown();
                    }
                }, "allocator-" + t);
                threads.add(th);
                th.start();
            }
            started.await();
            for (Set<Long> mine : acknowledged) {
                synchronized (mine) {
                    before.add(new HashSet<>(mine));
                }
            }
            store.backup(target);
            stop.set(true);
            for (Thread th : threads) {
                th.join(30_000);
            }
            assertEquals(List.of(), failures, "seed " + seed);
            StoreFixture.assertSound(store);
        }
        Set<Long> ever = new HashSet<>();
        acknowledged.forEach(ever::addAll);
        try (VmemStore copy = VmemStore.open(StoreOptions.builder(target).createIfMissing(false).build())) {
            Set<Long> held = new HashSet<>();
            for (Segment s : copy.arena("ids").segments()) {
                if (s.kind() == Segment.Kind.ALLOCATED) {
                    held.add(s.base());
                }
            }
            int count = 0;
            for (Set<Long> b : before) {
                for (long id : b) {
                    assertTrue(held.contains(id), "seed " + seed + ": " + id + " was acknowledged before the backup");
                    count++;
                }
            }
            for (long id : held) {
                assertTrue(ever.contains(id), "seed " + seed + ": the backup holds " + id + ", never handed out");
            }
            System.out.println("backup holds " + held.size() + " allocations, " + count + " acknowledged before it"
                    + " of " + ever.size() + " in all");
            StoreFixture.assertSound(copy);
        }
    }

    @Test
    void aBackup_isAClosedStoreWithTheStoresModes_andTheSameState() throws IOException {
        Map<String, String> state;
        Path target = dir.resolve("backup");
        try (VmemStore store = VmemStore.open(options(store()))) {
            PersistentArena disk = store.createArena(ArenaDefinition.of("disk", 4096));
            disk.addSpan(0, 1L << 30);
            PersistentArena tenant = store.createArena(ArenaDefinition.of("tenant", 4096).withSource("disk", 1 << 20));
            tenant.alloc(8192, Policy.INSTANT_FIT);
            disk.alloc(4096, Policy.NEXT_FIT);
            state = dumps(store);
            store.backup(target);
            assertEquals(state, dumps(store));
        }
        assumeTrue(FileModes.supported(target));
        try (Stream<Path> all = Files.walk(target)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                assertEquals(Files.isDirectory(p) ? "rwx------" : "rw-------",
                        PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), p.toString());
            }
        }
        try (Stream<Path> siblings = Files.list(dir)) {
            assertEquals(List.of("backup", "store"), siblings.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary directory left");
        }
        StoreFixture.assertOpensWith(options(target), state);
    }

    @Test
    void anEmptyDirectory_isATarget_andAReadOnlyStoreBacksUpWhatItRecovered() throws IOException {
        Map<String, String> state;
        try (VmemStore store = VmemStore.open(options(store()))) {
            store.createArena(ArenaDefinition.of("ids", 1)).addSpan(0, 100);
            store.arena("ids").alloc(10, Policy.INSTANT_FIT);
            state = dumps(store);
        }
        Path target = Files.createDirectory(dir.resolve("mounted"));
        try (VmemStore view = VmemStore.openReadOnly(store())) {
            view.backup(target);
        }
        StoreFixture.assertOpensWith(options(target), state);
    }

    @Test
    void badTargets_areRefusedByName_andNothingChanges() throws IOException {
        try (VmemStore store = VmemStore.open(options(store()))) {
            store.createArena(ArenaDefinition.of("ids", 1)).addSpan(0, 100);
            Path file = Files.writeString(dir.resolve("file"), "x");
            Path full = Files.createDirectory(dir.resolve("full"));
            Files.writeString(full.resolve("kept"), "x");
            Map<String, String> before = ReadOnlyFiles.files(dir);
            List<Path> targets = List.of(file, full, store(), store().resolve("inside"), store().resolve("journal"),
                    dir.resolve("missing").resolve("backup"));
            List<String> why = List.of("not a directory", "not empty", "inside the store", "inside the store",
                    "inside the store", "does not exist");
            for (int i = 0; i < targets.size(); i++) {
                Path t = targets.get(i);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.backup(t));
                assertTrue(e.getMessage().contains(t.toString()) && e.getMessage().contains(why.get(i)),
                        e.getMessage());
            }
            assertEquals(before, ReadOnlyFiles.files(dir), "nothing changed");
            StoreFixture.assertSound(store);
        }
    }

    @Test
    void aReadOnlyTarget_isRefusedByName_andNothingIsWritten() throws Exception {
        Path parent = Files.createDirectory(dir.resolve("readonly"));
        try (VmemStore store = VmemStore.open(options(store()))) {
            store.createArena(ArenaDefinition.of("ids", 1)).addSpan(0, 100);
            Path target = parent.resolve("backup");
            List<Path> locked = ReadOnlyFiles.protect(parent);
            try {
                // Refused up front where the permission says so; root, stopped only by the file system, fails writing.
                RuntimeException e = assertThrows(RuntimeException.class, () -> store.backup(target));
                assertTrue(e instanceof IllegalArgumentException && e.getMessage().contains("not writable")
                        || e instanceof StoreIOException, e.toString());
                assertTrue(e.getMessage().contains(target.toString()), e.getMessage());
            } finally {
                ReadOnlyFiles.release(locked);
            }
            try (Stream<Path> inside = Files.list(parent)) {
                assertEquals(0, inside.count());
            }
            StoreFixture.assertSound(store);
        }
    }

    @Test
    void aFailureMidway_leavesNothingThatOpensAsAStore_andTheStoreGoesOn() throws IOException {
        FaultyFiles files = new FaultyFiles();
        Path target = dir.resolve("backup");
        Path mounted = Files.createDirectory(dir.resolve("mounted"));
        try (VmemStore store = VmemStore.open(options(store()), files.hooks())) {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(0, 1000);
            ids.alloc(5, Policy.INSTANT_FIT);
            files.freeBytes.set(0); // the checkpoints (written by MapDB) go through; the journal's segment does not
            StoreIOException e = assertThrows(StoreIOException.class, () -> store.backup(target));
            assertTrue(e.getMessage().contains(target.toString()), e.getMessage());
            assertTrue(e.toString().contains("No space left on device"), e.toString());
            files.freeBytes.set(0); // removing what the failed backup wrote gave space back
            assertThrows(StoreIOException.class, () -> store.backup(mounted));
            files.freeBytes.set(Long.MAX_VALUE / 4);
            try (Stream<Path> siblings = Files.list(dir)) {
                assertEquals(List.of("mounted", "store"), siblings.map(p -> p.getFileName().toString()).sorted()
                        .toList(), "no half-backup left, under its name or a temporary one");
            }
            try (Stream<Path> inside = Files.list(mounted)) {
                assertEquals(0, inside.count(), "an existing target is emptied again");
            }
            ids.alloc(5, Policy.INSTANT_FIT);
            StoreFixture.assertSound(store);
            store.backup(target);
        }
        assertThrows(NotAStoreException.class, () -> VmemStore.openReadOnly(mounted));
        try (VmemStore copy = VmemStore.openReadOnly(target)) {
            assertEquals(10, copy.arena("ids").stats().allocated());
        }
        assertFalse(Files.exists(mounted.resolve(StoreFormat.FORMAT_FILE)));
    }
}

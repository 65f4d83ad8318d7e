package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Closing a store. A close under way takes no new work. A clean close spends the NEXT_FIT rotor marks in its last checkpoint, so
 * that the reopened store keeps the exact rotor; an allocation that got in after that (a thread still working
 * while another closes, as a command's SIGTERM hook does) set a mark again, and the reopened store skipped the
 * rotor ahead to it and warned, as after a crash. And a second close waits for the first: the command's SIGTERM
 * hook and its main thread may both close, and the JVM halts when the hook returns. And a close that fails still
 * releases the files, and says so when acknowledged work may be lost.
 */
class StoreCloseTest {
    @TempDir
    Path dir;

    @Test
    void workStartedWhileTheLastCheckpointIsWritten_isRefused_andTheReopenSkipsNothing() {
        StoreOptions opts = StoreOptions.builder(dir).checkpointInterval(Duration.ZERO)
                .durability(Durability.BUFFERED).build();
        AtomicReference<PersistentArena> pids = new AtomicReference<>();
        AtomicBoolean closing = new AtomicBoolean();
        AtomicReference<Object> during = new AtomicReference<>();
        StoreHooks hooks = new StoreHooks(StoreFiles.DEFAULT, (files, file, image) -> {
            if (closing.getAndSet(false)) { // the close's checkpoint: another thread asks for one more ID now
                Thread other = new Thread(() -> {
                    try {
                        during.set(pids.get().alloc(1, Policy.NEXT_FIT));
                    } catch (RuntimeException e) {
                        during.set(e);
                    }
                });
                other.start();
                try {
                    other.join(10_000);
                } catch (InterruptedException e) {
                    throw new InterruptedIOException("interrupted");
                }
            }
            Checkpoint.write(files, file, image);
        });
        long cursor;
        VmemStore s = VmemStore.open(opts, hooks);
        try {
            pids.set(s.createArena(ArenaDefinition.of("pids", 1)));
            pids.get().addSpan(0, 1_000_000);
            for (int i = 0; i < 100; i++) {
                pids.get().alloc(1, Policy.NEXT_FIT);
            }
            cursor = pids.get().nextFitCursor();
            closing.set(true);
        } finally {
            s.close();
        }
        try (VmemStore reopened = VmemStore.open(opts)) {
            assertEquals(List.of(), reopened.recovery().rotorSkips(), "a clean close leaves no rotor to skip");
            assertEquals(cursor, reopened.arena("pids").nextFitCursor());
            assertEquals(100, reopened.arena("pids").stats().liveAllocations());
            StoreFixture.assertSound(reopened);
        }
        assertTrue(during.get() instanceof IllegalStateException && ((Exception) during.get()).getMessage()
                .contains("is being closed"), "the allocation during the close: " + during.get());
    }
    @Test
    void aSecondCloseDuringTheFirst_returnsOnlyOnceTheFirstHasEnded() throws Exception {
        StoreOptions opts = StoreOptions.builder(dir).checkpointInterval(Duration.ZERO)
                .durability(Durability.BUFFERED).build();
        AtomicReference<VmemStore> store = new AtomicReference<>();
        AtomicBoolean closing = new AtomicBoolean();
        AtomicBoolean written = new AtomicBoolean();
        AtomicReference<Boolean> writtenWhenTheSecondReturned = new AtomicReference<>();
        AtomicReference<Thread> second = new AtomicReference<>();
        StoreHooks hooks = new StoreHooks(StoreFiles.DEFAULT, (files, file, image) -> {
            if (closing.getAndSet(false)) { // the first close's checkpoint: a second close starts now
                Thread t = new Thread(() -> {
                    store.get().close();
                    writtenWhenTheSecondReturned.set(written.get());
                });
                second.set(t);
                t.start();
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (t.isAlive() && t.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
                    Thread.onSpinWait(); // until it has returned, or waits for this close
                }
                Checkpoint.write(files, file, image);
                written.set(true);
            } else {
                Checkpoint.write(files, file, image);
            }
        });
        long cursor;
        store.set(VmemStore.open(opts, hooks));
        try {
            PersistentArena pids = store.get().createArena(ArenaDefinition.of("pids", 1));
            pids.addSpan(0, 1_000_000);
            for (int i = 0; i < 100; i++) {
                pids.alloc(1, Policy.NEXT_FIT);
            }
            cursor = pids.nextFitCursor();
            closing.set(true);
        } finally {
            store.get().close();
        }
        second.get().join(10_000);
        assertEquals(Boolean.TRUE, writtenWhenTheSecondReturned.get(),
                "the second close returned before the first had written its last checkpoint");
        try (VmemStore reopened = VmemStore.open(opts)) {
            assertEquals(List.of(), reopened.recovery().rotorSkips(), "a clean close leaves no rotor to skip");
            assertEquals(cursor, reopened.arena("pids").nextFitCursor());
            assertEquals(100, reopened.arena("pids").stats().liveAllocations());
            StoreFixture.assertSound(reopened);
        }
    }

    @Test
    void closeInsideABatch_isRefused_andTheBatchCommits() {
        try (VmemStore s = VmemStore.open(StoreOptions.builder(dir).build())) {
            PersistentArena ids = s.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(0, 1_000);
            IllegalStateException e = s.batch(() -> {
                ids.alloc(1, Policy.NEXT_FIT);
                return assertThrows(IllegalStateException.class, s::close);
            });
            assertTrue(e.getMessage().contains("inside a batch"), e.getMessage());
            assertEquals(1, ids.stats().liveAllocations());
            ids.alloc(1, Policy.NEXT_FIT); // still open
            StoreFixture.assertSound(s);
        }
        try (VmemStore reopened = VmemStore.open(StoreOptions.builder(dir).build())) {
            assertEquals(2, reopened.arena("ids").stats().liveAllocations());
        }
    }
    @Test
    void aCloseThatFailsWithAnError_stillWritesTheJournalAndReleasesTheFiles() throws IOException {
        StoreOptions opts = StoreOptions.builder(dir).checkpointInterval(Duration.ZERO)
                .durability(Durability.BUFFERED).build();
        AtomicBoolean closing = new AtomicBoolean();
        StoreHooks hooks = new StoreHooks(StoreFiles.DEFAULT, (files, file, image) -> {
            if (closing.get()) {
                throw new OutOfMemoryError("injected while writing the last checkpoint");
            }
            Checkpoint.write(files, file, image);
        });
        VmemStore s = VmemStore.open(opts, hooks);
        PersistentArena ids = s.createArena(ArenaDefinition.of("ids", 1));
        ids.addSpan(0, 1_000_000);
        for (int i = 0; i < 100; i++) {
            ids.alloc(1, Policy.NEXT_FIT);
        }
        closing.set(true);
        assertThrows(OutOfMemoryError.class, s::close);
        s.close(); // the first close ended: nothing more to do
        assertThrows(IllegalStateException.class, () -> ids.alloc(1, Policy.NEXT_FIT));
        assertEquals(0, openFilesUnder(dir), "the failed close left files open");
        try (VmemStore reopened = VmemStore.open(opts)) { // not locked: the failed close unlocked it
            assertEquals(100, reopened.arena("ids").stats().liveAllocations(), "the journal's buffer was written");
            StoreFixture.assertSound(reopened);
        }
    }

    @Test
    void aJournalThatCannotBeWrittenAtClose_failsTheClose_andReleasesTheFiles() throws IOException {
        StoreOptions opts = StoreOptions.builder(dir).durability(Durability.BUFFERED).build();
        FaultyFiles files = new FaultyFiles();
        VmemStore s = tenAllocationsOver(opts, files); // acknowledged, still in the journal's buffer
        files.failNextWrite(FaultyFiles.WriteFault.NOTHING_WRITTEN);
        StoreIOException e = assertThrows(StoreIOException.class, s::close);
        assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("may be lost"), e.getMessage());
        assertEquals(0, openFilesUnder(dir), "the failed close left files open");
        try (VmemStore reopened = VmemStore.open(opts)) { // the lock was released
            assertFalse(reopened.arena("ids").stats().liveAllocations() > 10);
            StoreFixture.assertSound(reopened);
        }
    }

    @Test
    void aJournalFailureAtCloseWithEveryUnitDurable_isOnlyLogged_andReleasesTheFiles() throws IOException {
        StoreOptions opts = StoreOptions.builder(dir).durability(Durability.SYNC).build();
        FaultyFiles files = new FaultyFiles();
        VmemStore s = tenAllocationsOver(opts, files); // each durable when it returned
        files.failForcesAfter(0, 1_000);
        s.close(); // nothing acknowledged is lost: no exception
        assertTrue(files.failedForces.get() > 0, "the close forced nothing: the test tests nothing");
        assertEquals(0, openFilesUnder(dir), "the failed close left files open");
        try (VmemStore reopened = VmemStore.open(opts)) {
            assertEquals(10, reopened.arena("ids").stats().liveAllocations());
            StoreFixture.assertSound(reopened);
        }
    }

    /** A store at {@code opts} holding arena "ids", closed once, then open over {@code files} with ten allocations. */
    private VmemStore tenAllocationsOver(StoreOptions opts, FaultyFiles files) {
        try (VmemStore s = VmemStore.open(opts)) {
            s.createArena(ArenaDefinition.of("ids", 1)).addSpan(0, 1_000);
        }
        VmemStore s = VmemStore.open(opts, files.hooks());
        for (int i = 0; i < 10; i++) {
            s.arena("ids").alloc(1, Policy.INSTANT_FIT);
        }
        return s;
    }

    /** How many of this process's open files lie under {@code root} (Linux: /proc/self/fd). */
    private static long openFilesUnder(Path root) throws IOException {
        Path real = root.toRealPath();
        long n = 0;
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    if (Files.readSymbolicLink(fd).startsWith(real)) {
                        n++;
                    }
                } catch (IOException gone) {
                    // closed while listed (the listing's own descriptor, for one)
                }
            }
        }
        return n;
    }
}

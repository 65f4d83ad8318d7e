package dev.vmem.store;

import static dev.vmem.store.StoreFixture.assertOpensWith;
import static dev.vmem.store.StoreFixture.dumps;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full file system (simulated by {@link FaultyFiles#freeBytes}): allocations are refused with a clear
 * error that names the directory and the bytes needed, nothing changes, frees and close still work, and
 * work resumes by itself once space returns.
 */
class DiskFullTest {
    @TempDir
    Path dir;

    @Test
    void fullDisk_refusesGrowth_clearly_keepsFreeing_andResumesWhenSpaceReturns() {
        FaultyFiles files = new FaultyFiles();
        StoreOptions opts = StoreFixture.options(dir, 256 << 10);
        Map<String, String> expected;
        try (VmemStore store = VmemStore.open(opts, files.hooks())) {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(0, 1 << 30);
            files.freeBytes.set(300 << 10); // a little more than the reserve and a segment
            List<Long> live = new ArrayList<>();
            StoreDiskFullException full = null;
            for (int i = 0; i < 100_000 && full == null; i++) {
                try {
                    live.add(ids.alloc(1, Policy.NEXT_FIT));
                } catch (StoreDiskFullException e) {
                    full = e;
                }
            }
            assertTrue(full != null, "the disk filled up");
            assertEquals(dir.resolve(StoreFormat.JOURNAL_DIR), full.directory());
            assertTrue(full.getMessage().contains("disk full") && full.getMessage().contains(dir.toString()),
                    full.getMessage());
            assertTrue(full.neededBytes() > 0 && full.usableBytes() < full.neededBytes() + Journal.RESERVE_BYTES,
                    full.getMessage());
            Map<String, String> atFull = dumps(store);
            assertThrows(StoreDiskFullException.class, () -> ids.alloc(1, Policy.NEXT_FIT));
            assertEquals(atFull, dumps(store), "a refused allocation changes nothing");

            // Frees still work on the full disk, from the reserve: a full store can give space back.
            for (int i = 0; i < 200; i++) {
                ids.free(live.remove(live.size() - 1));
            }
            StoreFixture.assertSound(store);

            // Space returns (another program deleted a file): allocation works again, without a reopen.
            files.freeBytes.addAndGet(1 << 20);
            for (int i = 0; i < 100; i++) {
                live.add(ids.alloc(1, Policy.NEXT_FIT));
            }
            expected = dumps(store);
            StoreFixture.assertSound(store);
        }
        assertOpensWith(opts, expected);
    }

    @Test
    void fullDisk_duringASegmentRoll_keepsTheStoreUsable() {
        FaultyFiles files = new FaultyFiles();
        StoreOptions opts = StoreFixture.options(dir, 4096);
        Map<String, String> expected;
        try (VmemStore store = VmemStore.open(opts, files.hooks())) {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(0, 1 << 30);
            List<Long> live = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                live.add(ids.alloc(1, Policy.NEXT_FIT));
            }
            files.freeBytes.set(Journal.RESERVE_BYTES + 2000);
            int refused = 0;
            for (int i = 0; i < 2000; i++) {
                try {
                    live.add(ids.alloc(1, Policy.NEXT_FIT));
                } catch (StoreDiskFullException e) {
                    refused++;
                }
            }
            assertTrue(refused > 0, "the disk filled up");
            int freed = 0;
            for (int i = 0; i < 300 && !live.isEmpty(); i++) {
                ids.free(live.remove(0));
                freed++;
            }
            assertEquals(300, freed, "frees go on across segment rolls on a full disk");
            expected = dumps(store);
            StoreFixture.assertSound(store);
        }
        assertOpensWith(opts, expected);
    }
}

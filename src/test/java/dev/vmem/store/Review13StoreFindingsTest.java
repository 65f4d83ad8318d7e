package dev.vmem.store;

import static dev.vmem.store.StoreFixture.dumps;
import static dev.vmem.store.StoreFixture.options;
import static dev.vmem.store.StoreFixture.stats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Allocation;
import dev.vmem.ArenaStats;
import dev.vmem.Policy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Findings of the adversarial review of issue 13 (claim, reconcile, read-only open, online backup) in the store. */
class Review13StoreFindingsTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void reconcileJustOverTheUnitLimit_withASpanToGiveBack_changesNothing_andTheStoreGoesOn() {
        Path home = dir.resolve("store");
        Map<String, String> before;
        Map<String, ArenaStats> statsBefore;
        try (VmemStore store = VmemStore.open(options(home))) {
            PersistentArena src = store.createArena(ArenaDefinition.of("src", 1));
            src.addSpan(0, 1L << 30);
            PersistentArena kid = store.createArena(ArenaDefinition.of("kid", 1).withSource("src", 1 << 16));
            kid.addSpan(1L << 40, 1L << 20);
            long held = kid.xalloc(dev.vmem.Constraints.builder(7).max(1L << 30).build(), Policy.INSTANT_FIT); // imports
            assertTrue(held < 1L << 30, "imported: " + held);
            kid.alloc(3, Policy.INSTANT_FIT);
            before = dumps(store);
            statsBefore = stats(store);
            List<Allocation> live = new ArrayList<>();
            for (int i = 0; i < 210_000; i++) {
                live.add(new Allocation((1L << 40) + 4 * i, 2)); // all lost; the imported block leaked, its span freed
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> kid.reconcile(live));
            assertTrue(e.getMessage().contains("too large"), e.getMessage());
            assertEquals(before, dumps(store), "a refused reconcile changes nothing");
            assertEquals(statsBefore, stats(store));
            StoreFixture.assertSound(store);
            kid.free(held);
            kid.alloc(5, Policy.INSTANT_FIT);
            StoreFixture.assertSound(store);
            before = dumps(store);
        }
        StoreFixture.assertOpensWith(options(home), before);
    }

    /**
     * A target that is a symbolic link to a directory not yet made inside the store: the check resolved only the
     * link's directory, found it outside the store and let the backup write the whole copy, which then failed at the
     * rename onto the link with a bare FileAlreadyExistsException. Such a target is refused by name up front.
     */
    @Test
    void aTargetThatIsADanglingLink_intoTheStore_isRefusedByName_beforeAnythingIsWritten() throws Exception {
        Path home = dir.resolve("store");
        Path link = java.nio.file.Files.createSymbolicLink(dir.resolve("link"), home.resolve("copy"));
        try (VmemStore store = VmemStore.open(options(home))) {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(0, 100);
            ids.alloc(5, Policy.INSTANT_FIT);
            Map<String, String> before = dumps(store);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.backup(link));
            assertTrue(e.getMessage().contains(link.toString()), e.getMessage());
            assertEquals(before, dumps(store));
            try (java.util.stream.Stream<Path> siblings = java.nio.file.Files.list(dir)) {
                assertEquals(List.of("link", "store"), siblings.map(p -> p.getFileName().toString()).sorted().toList());
            }
            assertTrue(java.nio.file.Files.notExists(home.resolve("copy")));
            StoreFixture.assertSound(store);
        }
    }
}

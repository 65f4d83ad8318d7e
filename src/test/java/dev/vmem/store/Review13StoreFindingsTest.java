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
import dev.vmem.ReconcileReport;
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

    /**
     * A store whose arena imports from another: a reconcile that gives an imported span back and claims in another,
     * then a backup; the copy opens read-only and read-write with the same state, sound, and so does the store.
     * A read-only open refuses claim and reconcile and changes nothing.
     */
    @Test
    @Timeout(60)
    void reconcileThatGivesASpanBack_thenABackup_ofAnArenaThatImports_opensSound() {
        Path home = dir.resolve("store");
        Path copy = dir.resolve("copy");
        Map<String, String> state;
        try (VmemStore store = VmemStore.open(options(home))) {
            PersistentArena src = store.createArena(ArenaDefinition.of("src", 8));
            src.addSpan(0, 1 << 20);
            PersistentArena kid = store.createArena(ArenaDefinition.of("kid", 8).withSource("src", 1 << 12));
            long a = kid.alloc(64, Policy.INSTANT_FIT);
            long b = kid.alloc(1 << 12, Policy.INSTANT_FIT); // a second imported span
            ReconcileReport r = kid.reconcile(List.of(new Allocation(a + 128, 16), new Allocation(a, 64)));
            assertEquals(1, r.leaked());
            assertEquals(1, r.lost());
            assertEquals(1, kid.stats().releases(), kid.dump()); // b's span, left wholly free, went back to src
            assertEquals(1 << 12, src.stats().allocated(), src.dump());
            state = dumps(store);
            StoreFixture.assertSound(store);
            store.backup(copy);
            kid.claim(a + 64, 8); // after the backup: not in the copy
            StoreFixture.assertSound(store);
        }
        try (VmemStore view = VmemStore.openReadOnly(copy)) {
            assertEquals(state, dumps(view));
            assertEquals(List.of(), view.verify());
            PersistentArena kid = view.arena("kid");
            assertThrows(ReadOnlyStoreException.class, () -> kid.claim(0, 8));
            assertThrows(ReadOnlyStoreException.class, () -> kid.reconcile(List.of()));
            assertEquals(state, dumps(view));
        }
        StoreFixture.assertOpensWith(options(copy), state);
    }
}

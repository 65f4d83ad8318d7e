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
}

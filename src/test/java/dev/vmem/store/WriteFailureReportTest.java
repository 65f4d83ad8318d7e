package dev.vmem.store;

import static dev.vmem.store.StoreFixture.dumps;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a failed journal write tells its caller: that the operation did not happen, and whether the store can
 * go on (the failed record was cut back) or must be reopened (the cut failed too). The store acts as it says.
 */
class WriteFailureReportTest {
    @TempDir
    Path dir;

    @Test
    void failedWrite_saysWhetherTheStoreCanGoOn_andActsAsItSays() {
        FaultyFiles files = new FaultyFiles();
        Map<String, String> before;
        VmemStore store = VmemStore.open(StoreFixture.options(dir), files.hooks());
        try {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(1, 1000);
            ids.alloc(1, Policy.NEXT_FIT);

            files.failNextWrite(FaultyFiles.WriteFault.HALF_WRITTEN);
            StoreIOException cutBack = assertThrows(StoreIOException.class, () -> ids.alloc(1, Policy.NEXT_FIT));
            assertTrue(cutBack.getMessage().contains("the operation did not happen"), cutBack.getMessage());
            assertFalse(cutBack.getMessage().contains("cannot go on"), cutBack.getMessage());
            assertEquals(2, ids.alloc(1, Policy.NEXT_FIT), "the store goes on, and the failed ID is not used up");
            StoreFixture.assertSound(store);
            before = dumps(store);

            files.failTruncate = true;
            files.failNextWrite(FaultyFiles.WriteFault.HALF_WRITTEN);
            StoreIOException stuck = assertThrows(StoreIOException.class, () -> ids.alloc(1, Policy.NEXT_FIT));
            assertTrue(stuck.getMessage().contains("the journal cannot go on: reopen the store"), stuck.getMessage());
            StoreIOException refused = assertThrows(StoreIOException.class, () -> ids.alloc(1, Policy.NEXT_FIT));
            assertTrue(refused.getMessage().contains("stopped after a journal failure"), refused.getMessage());
            assertEquals(before, dumps(store));
        } finally {
            StoreCrash.crash(store);
        }
        StoreFixture.assertOpensWith(StoreFixture.options(dir), before);
    }
}

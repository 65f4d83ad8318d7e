package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreJmxTest {
    @TempDir
    Path dir;

    @Test
    void everyOpenArena_isAnMBean_withItsStatistics_untilDroppedOrClosed() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName pidsName = ArenaJmx.name(dir, "pids");
        ObjectName tmpName = ArenaJmx.name(dir, "tmp");
        assertEquals("dev.vmem", pidsName.getDomain(), "documented object name");
        assertEquals("Arena", pidsName.getKeyProperty("type"));
        assertEquals(ObjectName.quote(dir.toAbsolutePath().toString()), pidsName.getKeyProperty("store"));
        assertEquals("\"pids\"", pidsName.getKeyProperty("name"));
        try (VmemStore store = VmemStore.open(dir)) {
            PersistentArena pids = store.createArena(ArenaDefinition.of("pids", 1));
            pids.addSpan(300, 32468);
            pids.alloc(1, Policy.NEXT_FIT);
            pids.alloc(1, Policy.NEXT_FIT);
            store.createArena(ArenaDefinition.of("tmp", 8));
            assertTrue(server.isRegistered(pidsName));
            assertTrue(server.isRegistered(tmpName));
            assertEquals(2L, server.getAttribute(pidsName, "Allocated"));
            assertEquals(32468L, server.getAttribute(pidsName, "Total"));
            assertEquals(302L, server.getAttribute(pidsName, "NextFitCursor"));
            assertEquals(2L, server.getAttribute(pidsName, "Allocations"));
            store.dropArena("tmp");
            assertFalse(server.isRegistered(tmpName), "a dropped arena leaves JMX");
            assertEquals(List.of(), store.verify());
        }
        assertFalse(server.isRegistered(pidsName), "a closed store leaves JMX");
        try (VmemStore store = VmemStore.open(dir)) {
            assertTrue(server.isRegistered(pidsName), "reopening registers the recovered arenas");
            assertEquals(2L, server.getAttribute(pidsName, "LiveAllocations"));
            assertEquals(List.of(), store.verify());
        }
    }

    @Test
    void theStore_isAnMBean_whoseFiguresMoveWithItsWork_untilClosed() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = StoreJmx.name(dir);
        assertEquals("Store", name.getKeyProperty("type"));
        assertEquals(ObjectName.quote(dir.toAbsolutePath().toString()), name.getKeyProperty("store"), "as the arenas'");
        try (VmemStore store = VmemStore.open(StoreFixture.options(dir))) {
            assertTrue(server.isRegistered(name));
            assertEquals(dir.toAbsolutePath().toString(), server.getAttribute(name, "Directory"));
            assertEquals(0L, server.getAttribute(name, "Fsyncs"));
            assertEquals(-1L, server.getAttribute(name, "LastCheckpointAgeMillis"), "none yet");
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(0, 100);
            ids.alloc(1, Policy.INSTANT_FIT);
            assertEquals(3L, server.getAttribute(name, "Fsyncs"));
            assertEquals(3L, server.getAttribute(name, "FsyncedUnits"));
            assertEquals(1.0, server.getAttribute(name, "UnitsPerFsync"));
            assertEquals(store.stats().appendedSeq(), server.getAttribute(name, "AppendedSeq"));
            assertEquals(store.stats().durableSeq(), server.getAttribute(name, "DurableSeq"));
            assertTrue((Long) server.getAttribute(name, "JournalAppendedBytes") > 0);
            assertTrue((Long) server.getAttribute(name, "JournalBytes") > 0);
            assertTrue(store.checkpoint());
            assertEquals(1L, server.getAttribute(name, "Checkpoints"));
            assertEquals(0L, server.getAttribute(name, "CheckpointFailures"));
            assertTrue((Long) server.getAttribute(name, "LastCheckpointAgeMillis") >= 0);
            assertTrue((Long) server.getAttribute(name, "LastCheckpointMillis") >= 0);
            assertEquals(0L, server.getAttribute(name, "RecoveryReplayed"), "a new store");
            assertTrue((Long) server.getAttribute(name, "RecoveryMillis") >= 0);
            ids.alloc(1, Policy.INSTANT_FIT);
            store.closeWithoutCheckpoint();
        }
        assertFalse(server.isRegistered(name), "a closed store leaves JMX");
        try (VmemStore store = VmemStore.open(StoreFixture.options(dir))) {
            assertEquals(1L, server.getAttribute(name, "RecoveryReplayed"), "the allocation after the checkpoint");
            assertEquals(store.recovery().checkpointSeq(), server.getAttribute(name, "RecoveredCheckpointSeq"));
            assertEquals(0L, server.getAttribute(name, "RecoveryCutRecords"));
            assertEquals(0L, server.getAttribute(name, "RecoveryLostUnits"));
            assertEquals(0L, server.getAttribute(name, "RecoveryRotorSkips"));
            assertEquals(List.of(), store.verify());
        }
    }

    @Test
    void withJmxOff_nothingOfTheStoreIsRegistered() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName everything = new ObjectName("dev.vmem:store=" + ObjectName.quote(dir.toAbsolutePath().toString())
                + ",*");
        StoreOptions off = StoreOptions.builder(dir).jmx(false).build();
        assertFalse(off.jmx());
        assertTrue(StoreOptions.of(dir).jmx(), "on by default");
        try (VmemStore store = VmemStore.open(off)) {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(0, 100);
            store.createArena(ArenaDefinition.of("tmp", 1));
            store.dropArena("tmp");
            assertEquals(Set.of(), server.queryNames(everything, null), "neither the store nor its arenas");
            assertEquals(4, store.stats().journal().fsyncs(), "stats() need no JMX");
            assertEquals(List.of(), store.verify());
        }
        try (VmemStore store = VmemStore.open(dir)) {
            assertEquals(2, server.queryNames(everything, null).size(), "the same store with JMX on: store and arena");
            assertEquals(List.of(), store.verify());
        }
    }
}

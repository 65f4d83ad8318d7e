package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
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
}

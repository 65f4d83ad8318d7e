package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What an arena's definition reads back as, and the largest quantum-cache limit it accepts. */
class ArenaDefinitionTest {

    @Test
    void theDefinition_readsBackAsBuilt() {
        Arena parent = Arena.builder("parent").quantum(8).span(0, 1 << 20).build();
        Arena child = Arena.builder("child").quantum(8).source(parent).importQuantum(256).qcacheMax(64).build();
        assertEquals("child", child.label());
        assertEquals(8, child.quantum());
        assertSame(parent.asSource(), child.source(), "the same source object every time");
        assertEquals(256, child.importQuantum());
        assertEquals(64, child.qcacheMax());
        assertNull(parent.source());
        assertEquals(8, parent.importQuantum(), "the import quantum defaults to the quantum");
        assertEquals(0, parent.qcacheMax());
        assertEquals(List.of(), child.checkInvariants());
        assertEquals(List.of(), parent.checkInvariants());
    }

    @Test
    void aCacheLimitOfExactly2To55Values_isAccepted_andOneQuantumMoreIsNot() {
        long q = 1L << 50;
        Arena a = Arena.builder("huge").quantum(q).qcacheMax(Arena.MAX_QCACHE_VALUES).build();
        assertEquals(Arena.MAX_QCACHE_VALUES, a.qcacheMax());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Arena.builder("huge").quantum(q).qcacheMax(Arena.MAX_QCACHE_VALUES + q).build());
        assertTrue(e.getMessage().contains("qcacheMax=" + (Arena.MAX_QCACHE_VALUES + q)), e.getMessage());
        assertEquals(List.of(), a.checkInvariants());
    }
}

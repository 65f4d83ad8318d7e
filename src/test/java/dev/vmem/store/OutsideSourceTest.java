package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Arena;
import dev.vmem.Policy;
import dev.vmem.Segment;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An arena whose source lies outside its store: imports journalled, kept across reopen, the binding per open. */
class OutsideSourceTest {
    @TempDir
    Path dir;

    private static List<Segment> importedSpans(PersistentArena a) {
        return a.segments().stream().filter(s -> s.kind() == Segment.Kind.IMPORTED_SPAN).toList();
    }

    @Test
    void importsAreJournalled_andKeptAcrossReopen_withoutTheSource() {
        Arena outside = Arena.builder("outside").quantum(1).span(0, 1 << 20).build();
        long id;
        try (VmemStore store = VmemStore.open(dir)) {
            store.createArena(ArenaDefinition.of("ids", 1).withOutsideSource(64));
            PersistentArena ids = store.attachSource("ids", outside.asSource());
            id = ids.alloc(1, Policy.INSTANT_FIT);
            assertEquals(1, importedSpans(ids).size());
            assertTrue(outside.contains(id), "the span came from the outside source");
            assertEquals(List.of(), store.verify());
        }
        try (VmemStore store = VmemStore.open(dir)) {
            PersistentArena ids = store.arena("ids");
            assertEquals(1, importedSpans(ids).size(), "the imported span survived the reopen");
            assertTrue(ids.contains(id));
            assertEquals(List.of(), store.verify());
            ids = store.attachSource("ids", outside.asSource());
            ids.free(id);
            assertEquals(List.of(), importedSpans(ids), "a wholly free span went back to the source");
            assertEquals(0, outside.stats().allocated());
            assertEquals(List.of(), ids.checkInvariants());
            assertEquals(List.of(), store.verify());
        }
    }

    @Test
    void attach_refusesAnArenaWithoutAnOutsideSource_andBothSources() {
        try (VmemStore store = VmemStore.open(dir)) {
            store.createArena(ArenaDefinition.of("plain", 1));
            Arena outside = Arena.builder("outside").span(0, 100).build();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> store.attachSource("plain", outside.asSource()));
            assertTrue(e.getMessage().contains("'plain'"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> new ArenaDefinition("x", 1, "plain", 1, 0, true));
            assertEquals(List.of(), store.verify());
        }
    }

    /**
     * Review finding: attachSource gives the arena a new handle at each open, and an arena importing from it would
     * keep importing from the old one (no source's admission asked, the same free space in two handles). Refused.
     */
    @Test
    void noArena_mayImportFromAnArenaWithAnOutsideSource() {
        try (VmemStore store = VmemStore.open(dir)) {
            store.createArena(ArenaDefinition.of("ids", 1).withOutsideSource(64));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> store.createArena(ArenaDefinition.of("child", 1).withSource("ids", 16)));
            assertTrue(e.getMessage().contains("'ids'") && e.getMessage().contains("outside source"), e.getMessage());
            assertEquals(1, store.arenas().size(), "nothing was created");
            assertEquals(List.of(), store.verify());
        }
        try (VmemStore store = VmemStore.open(dir)) {
            assertEquals(List.of("ids"), store.arenas().stream().map(PersistentArena::name).toList());
        }
    }
}

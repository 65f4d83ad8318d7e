package dev.vmem.store;

import static dev.vmem.store.StoreFixture.assertSound;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The rule for arena names: printable, NFC-normalised, bounded; and errors that show a bad name safely. */
class ArenaNamesTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"a\tb", "a\nb", "a\u0000b", "a\u200Bb", "a\u2028b", "a\uE000b", "a\uD800b", "a\u007Fb"})
    void aNameWithANonPrintableCharacter_isRefused_namingTheCodePoint(String name) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ArenaDefinition.of(name, 1));
        int cp = name.codePointAt(1);
        assertTrue(e.getMessage().contains("U+" + String.format("%04X", cp)), e.getMessage());
        assertTrue(e.getMessage().chars().noneMatch(c -> c == '\n' || c == '\t' || c == 0), "escaped: " + e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {" a", "a ", "\u00A0a", "", " "})
    void aNameThatIsEmptyOrHasWhiteSpaceAtAnEnd_isRefused(String name) {
        assertThrows(IllegalArgumentException.class, () -> ArenaDefinition.of(name, 1));
    }

    @Test
    void aHugeName_isRefused_withoutEchoingItWhole() {
        String huge = "x".repeat(70_000);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ArenaDefinition.of(huge, 1));
        assertTrue(e.getMessage().length() < 200, e.getMessage().length() + " characters");
        assertTrue(e.getMessage().contains("(70000 characters)"), e.getMessage());
        assertEquals(200, ArenaDefinition.of("y".repeat(200), 1).name().length());
        assertThrows(IllegalArgumentException.class, () -> ArenaDefinition.of("y".repeat(201), 1));
        assertEquals("a b", ArenaDefinition.of("a b", 1).name(), "inner spaces are fine");
    }

    @Test
    void composedAndDecomposedSpellings_areOneArena() {
        String nfc = "caf\u00E9";
        String nfd = "cafe\u0301";
        try (VmemStore store = VmemStore.open(StoreFixture.options(dir))) {
            PersistentArena arena = store.createArena(ArenaDefinition.of(nfd, 1));
            assertEquals(nfc, arena.name(), "held in NFC form");
            arena.addSpan(0, 10);
            assertEquals(arena, store.arena(nfc));
            assertEquals(arena, store.arena(nfd));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> store.createArena(ArenaDefinition.of(nfc, 1)));
            assertTrue(e.getMessage().contains("exists already"), e.getMessage());
            PersistentArena child = store.createArena(ArenaDefinition.of("child", 1).withSource(nfd, 1));
            assertEquals(nfc, child.sourceName());
            child.alloc(1, Policy.INSTANT_FIT);
            assertSound(store);
        }
        try (VmemStore store = VmemStore.open(StoreFixture.options(dir))) {
            assertEquals(nfc, store.arena(nfd).name());
            store.dropArena("child");
            store.dropArena(nfd);
            assertEquals(0, store.arenas().size());
            assertSound(store);
        }
    }

    @Test
    void aNameStoredUnderTheOlderRule_isStillRecovered() {
        StoreImage image = new StoreImage(0);
        assertNull(image.apply(new Op.Create(0, "old\tname", 1, 1, 0, -1)), "recovery keeps what was created");
        assertTrue(image.apply(new Op.Create(1, " ", 1, 1, 0, -1)).contains("1 to 200"));
    }
}

package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The check every arena test ends with. */
public final class Invariants {
    private Invariants() {
    }

    /** Fails with every violation found, and the arena's dump, if any arena is unsound. */
    public static void assertSound(VmemArena... arenas) {
        for (VmemArena arena : arenas) {
            var problems = arena.checkInvariants();
            if (!problems.isEmpty()) {
                assertEquals(java.util.List.of(), problems, "invariants of " + arena + "\n" + arena.dump());
            }
        }
    }
}

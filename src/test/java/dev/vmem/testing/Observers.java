package dev.vmem.testing;

import dev.vmem.ArenaObserver;

/** Observers for tests of observed arenas. */
public final class Observers {
    private Observers() {
    }

    /** Takes every change and keeps none: for a restored arena whose changes a test does not follow. */
    public static final ArenaObserver IGNORE = (arena, change) -> { };
}

package dev.vmem;

/**
 * Receives every change an arena makes, in order, while the arena's lock is held: the hook a
 * persistent store journals through.
 *
 * <p>Assumptions: the observer is fast, does not call back into the arena, and does not throw (an
 * exception would surface from whatever call made the change, after the change). Guarantees: the
 * changes of one arena arrive in the order they were made; an operation that imports reports the
 * source's changes (through the source's observer) before the importer's own.
 */
@FunctionalInterface
public interface ArenaObserver {
    void changed(Arena arena, ArenaChange change);
}

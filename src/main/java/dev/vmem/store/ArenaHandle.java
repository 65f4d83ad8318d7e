package dev.vmem.store;

import dev.vmem.Arena;
import dev.vmem.ArenaChange;
import dev.vmem.ArenaObserver;
import dev.vmem.ArenaState;

/**
 * The store's handle on one core arena, and the only class of the store that calls the core's
 * store-only hooks: observing an arena's changes, restoring and exporting its state, taking a change
 * back, and handing an arena to another as its source. Everything else goes through the plain
 * {@link Arena} from {@link #arena()}.
 */
final class ArenaHandle {
    private final Arena arena;

    private ArenaHandle(Arena arena) {
        this.arena = arena;
    }

    /**
     * Builds the arena {@code d} defines, importing from {@code source} (null for none), holding
     * {@code state} (null for empty), and reporting every change it makes to {@code observer}.
     *
     * @throws IllegalArgumentException naming the value if the definition or the state is invalid
     */
    static ArenaHandle build(Op.Create d, ArenaHandle source, ArenaState state, ArenaObserver observer) {
        Arena.Builder definition = Arena.builder(d.name()).quantum(d.quantum()).importQuantum(d.importQuantum());
        if (source != null) {
            definition.source(source.arena);
        }
        definition.observer(observer);
        if (state != null) {
            definition.restore(state);
        }
        Arena arena = definition.build();
        Arena.checkQcacheMax(d.name(), d.quantum(), d.qcacheMax()); // kept, not used: see PersistentArena
        return new ArenaHandle(arena);
    }

    Arena arena() {
        return arena;
    }

    ArenaState exportState() {
        return arena.exportState();
    }

    /** Takes back {@code change}, the newest change the arena made that is not taken back yet. */
    void revert(ArenaChange change) {
        arena.revert(change);
    }

    /** Takes back a span that an arena importing from this one was given. */
    void releaseSpan(long base, long size) {
        arena.releaseSpan(base, size);
    }
}

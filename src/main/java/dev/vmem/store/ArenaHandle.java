package dev.vmem.store;

import dev.vmem.Arena;
import dev.vmem.ArenaChange;
import dev.vmem.ArenaObserver;
import dev.vmem.ArenaState;
import dev.vmem.ObservedArena;
import dev.vmem.Source;

/**
 * The store's handle on one core arena: builds the {@link ObservedArena} a definition describes, and
 * is the only class of the store that uses what only a store needs of the core (observing changes,
 * restoring and exporting a state, taking a change back). Everything else goes through the plain
 * {@link Arena} from {@link #arena()}.
 */
final class ArenaHandle {
    private final ObservedArena observed;

    private ArenaHandle(ObservedArena observed) {
        this.observed = observed;
    }

    /**
     * Builds the arena {@code d} defines, importing from {@code source} (null for none), holding
     * {@code state} (null for empty), and reporting every change it makes to {@code observer}.
     *
     * @throws IllegalArgumentException naming the value if the definition or the state is invalid
     */
    static ArenaHandle build(Op.Create d, Source source, ArenaState state, ArenaObserver observer) {
        // qcacheMax is part of the definition, validated like the rest, but not used: see PersistentArena.
        ArenaDefinition.validate(d.name(), d.quantum(), d.importQuantum(), d.qcacheMax(), d.quarantine());
        Arena.Builder definition = Arena.builder(d.name()).quantum(d.quantum()).importQuantum(d.importQuantum())
                .quarantine(d.quarantine());
        if (source != null) {
            definition.source(source);
        }
        return new ArenaHandle(state == null ? ObservedArena.create(definition, observer)
                : ObservedArena.restore(definition, state, observer));
    }

    Arena arena() {
        return observed.arena();
    }

    ArenaState exportState() {
        return observed.exportState();
    }

    /** Takes back {@code change}, the newest change the arena made that is not taken back yet. */
    void revert(ArenaChange change) {
        observed.revert(change);
    }

    /** Takes back a span that an arena importing from this one was given. */
    void releaseSpan(long base, long size) {
        arena().asSource().releaseSpan(base, size);
    }
}

package dev.vmem.store;

import dev.vmem.ArenaChange;
import dev.vmem.Quarantine;
import java.util.Objects;

/**
 * One operation of a journal unit: an arena defined or dropped, a change one arena made, or a rotor mark.
 */
sealed interface Op {

    /**
     * An arena was created with this definition. {@code source} is an arena id, -1 for none, or {@link #OUTSIDE}
     * for a source outside the store, given to each open by {@link VmemStore#attachSource}. A quarantine other
     * than {@link Quarantine#NONE} is journalled as a QUARANTINE operation right after the CREATE, in whole
     * milliseconds.
     */
    record Create(int arena, String name, long quantum, long importQuantum, long qcacheMax, int source,
            Quarantine quarantine) implements Op {
        static final int OUTSIDE = -2;

        public Create {
            Objects.requireNonNull(quarantine, "quarantine");
        }

        /** An arena without a quarantine. */
        Create(int arena, String name, long quantum, long importQuantum, long qcacheMax, int source) {
            this(arena, name, quantum, importQuantum, qcacheMax, source, Quarantine.NONE);
        }

        /** This definition with the quarantine {@code rule}. */
        Create withQuarantine(Quarantine rule) {
            return new Create(arena, name, quantum, importQuantum, qcacheMax, source, rule);
        }

        /** Whether the arena imports from another arena of the same store. */
        boolean sourceInStore() {
            return source >= 0;
        }
    }

    /** An arena was dropped. */
    record Drop(int arena) implements Op {
    }

    /**
     * Arena {@code arena}'s NEXT_FIT rotor may reach {@code mark} before another mark is journalled: after a
     * crash, recovery starts the rotor there (see {@link RotorMarks}).
     */
    record Mark(int arena, long mark) implements Op {
    }

    /** Arena {@code arena} made {@code change}. */
    record Change(int arena, ArenaChange change) implements Op {
    }
}

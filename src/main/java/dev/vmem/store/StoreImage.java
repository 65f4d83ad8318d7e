package dev.vmem.store;

import dev.vmem.ArenaChange;
import dev.vmem.ArenaReplay;
import dev.vmem.ArenaState;
import dev.vmem.ArenaStats;
import java.util.List;
import java.util.TreeMap;

/**
 * The store's state as data: arena definitions and {@link ArenaState}s at a journal sequence number.
 * A checkpoint holds one; recovery loads one and replays the journal tail onto it, checking every
 * operation against the state (an operation that does not fit is corruption, never guessed around).
 */
final class StoreImage {
    /** One arena: its definition, and its state as the journal brings it forward. */
    static final class ArenaImage {
        final Op.Create definition;
        private final ArenaReplay replay;
        /** The rotor mark, or {@link RotorMarks#NONE}: what the journal so far says the rotor may reach. */
        long mark = RotorMarks.NONE;

        ArenaImage(Op.Create definition, ArenaState state) {
            this.definition = definition;
            this.replay = new ArenaReplay(state, definition.quantum(), definition.source() != -1, definition.quarantine());
        }

        ArenaImage(Op.Create definition, ArenaState state, long mark) {
            this(definition, state);
            this.mark = mark;
        }

        ArenaState state() {
            return replay.state();
        }

        /** Applies one change, or returns why it does not fit the state (see {@link ArenaReplay}). */
        String apply(ArenaChange change) {
            String problem = replay.apply(change);
            if (problem == null && change instanceof ArenaChange.CursorMoved m) {
                mark = RotorMarks.afterMove(mark, m);
            }
            return problem;
        }

        /** Applies a rotor mark, or returns why it does not fit. */
        String mark(long value) {
            if (value < 0 || value % definition.quantum() != 0) {
                return "rotor mark " + value + " is negative or not a multiple of quantum=" + definition.quantum();
            }
            mark = value;
            return null;
        }
    }

    long seq;
    /** Which checkpoint wrote this image: breaks the tie between two generations at the same seq. */
    long epoch;
    final TreeMap<Integer, ArenaImage> arenas = new TreeMap<>();

    StoreImage(long seq) {
        this.seq = seq;
    }

    /** Applies one operation, or returns why it does not fit the state. */
    String apply(Op op) {
        if (op instanceof Op.Create c) {
            if (arenas.containsKey(c.arena())) {
                return "arena id " + c.arena() + " exists already";
            }
            for (ArenaImage a : arenas.values()) {
                if (a.definition.name().equals(c.name())) {
                    return "arena name '" + c.name() + "' exists already";
                }
            }
            if (c.source() < Op.Create.OUTSIDE || (c.sourceInStore() && !arenas.containsKey(c.source()))) {
                return "source arena " + c.source() + " does not exist";
            }
            try {
                // The journal records the import quantum in effect, never 0 for "the default".
                if (c.importQuantum() <= 0) {
                    throw new IllegalArgumentException("importQuantum=" + c.importQuantum() + " is not positive");
                }
                ArenaDefinition.validate(c.name(), c.quantum(), c.importQuantum(), c.qcacheMax(), c.quarantine());
            } catch (IllegalArgumentException e) {
                return "invalid arena definition " + c + ": " + e.getMessage();
            }
            arenas.put(c.arena(), new ArenaImage(c, new ArenaState(List.of(), new long[0], 0,
                    new ArenaStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))));
            return null;
        }
        if (op instanceof Op.Drop d) {
            if (!arenas.containsKey(d.arena())) {
                return "arena " + d.arena() + " does not exist";
            }
            for (ArenaImage a : arenas.values()) {
                if (a.definition.source() == d.arena()) {
                    return "arena " + d.arena() + " is the source of '" + a.definition.name() + "'";
                }
            }
            arenas.remove(d.arena());
            return null;
        }
        if (op instanceof Op.Mark m) {
            ArenaImage a = arenas.get(m.arena());
            return a == null ? "arena " + m.arena() + " does not exist" : a.mark(m.mark());
        }
        Op.Change c = (Op.Change) op;
        ArenaImage a = arenas.get(c.arena());
        if (a == null) {
            return "arena " + c.arena() + " does not exist";
        }
        String problem = a.apply(c.change());
        return problem == null ? null : "arena '" + a.definition.name() + "': " + c.change() + ": " + problem;
    }
}

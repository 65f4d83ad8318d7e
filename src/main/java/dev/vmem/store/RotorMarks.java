package dev.vmem.store;

import dev.vmem.ArenaChange;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The log-ahead NEXT_FIT rotor: decides when a unit that is acknowledged before its fsync
 * ({@link Durability#WRITE}, {@link Durability#BUFFERED}) must first make a new rotor mark durable, so that
 * no value a NEXT_FIT allocation returned is handed out again after a crash.
 *
 * <h2>The rule</h2>
 * A mark ({@link Op.Mark}) says how far an arena's rotor may run before another mark is journalled. Replaying,
 * a mark is set by MARK and cleared by a rotor move that wraps or reaches it ({@link #afterMove}); recovery
 * starts the rotor of an arena whose mark is set at the mark. So a value {@code v} handed out by a unit that
 * a crash may lose is safe when a <i>durable</i> mark above {@code v} is still set in every prefix of the
 * journal that a crash can leave: that holds when the mark's record is fsynced and no rotor move since
 * wrapped or reached it. A unit that would hand out a value at or past the durable mark, or that wraps,
 * carries a new mark (its last rotor position plus the step) and is fsynced before it is acknowledged: a
 * wait, counted by {@link #waits()}. The mark records the exclusive next start, never a block, and it is
 * durable before any value it covers escapes.
 *
 * <p>A unit that is itself fsynced before it is acknowledged ({@link Durability#SYNC}) needs no mark: what
 * it hands out is durable first. A store used only at SYNC writes no mark, and its rotor is restored
 * exactly after any crash.
 *
 * <h2>Ahead of the callers</h2>
 * Once more than half of a mark's step is used, {@link #extensionsDue} names the arena and the store
 * journals and fsyncs a further mark in the background, so that a caller almost never waits. The step
 * starts at 1/64 of the reserve, doubles (up to the reserve) when a step lasted less than
 * {@link #FAST_STEP_NANOS}, and halves when one lasted more than {@link #SLOW_STEP_NANOS}: at most one
 * step of values never handed out is skipped per arena per crash, and at a low rate that is a small one.
 *
 * <h2>Assumptions and guarantees</h2>
 * Every method but {@link #waits()} and {@link #moves()} runs under the store's lock, in journal order:
 * {@link #plan} before a unit is appended, {@link #appended} once it is.
 */
final class RotorMarks {
    /** No mark: the value of an arena without one. */
    static final long NONE = -1;
    static final long FAST_STEP_NANOS = 1_000_000_000L;
    static final long SLOW_STEP_NANOS = 30_000_000_000L;
    private static final int STEP_DIVISOR = 64;

    /** One arena's marks. */
    private static final class State {
        final int id;
        final long quantum;
        /** The mark as the journal appended so far sets it (what a replay of everything appended gives). */
        long logged = NONE;
        /** The sequence number of the record that set {@link #logged}. */
        long loggedSeq;
        /** A mark a crash cannot take back (fsynced, and not cleared since), or {@link #NONE}. */
        long durable = NONE;
        /** In quanta. */
        long step;
        long stepStarted;
        boolean extending;
        /* What plan() found in the unit it is looking at. */
        long unitTo;
        long unitAfter;
        boolean unitUnsafe;

        State(int id, long quantum, long step) {
            this.id = id;
            this.quantum = quantum;
            this.step = step;
        }
    }

    /** What a unit must do before it is appended. */
    record Plan(List<Op.Mark> marks, boolean mustSync) {
        static final Plan NOTHING = new Plan(List.of(), false);
    }

    private final long reserve;
    private final LongSupplier clock;
    private final Map<Integer, State> arenas = new HashMap<>();
    /** The arenas whose rotor the unit being planned moves (reused, unit after unit). */
    private final List<State> touched = new ArrayList<>(2);
    private volatile long waits;
    private volatile long moves;

    /**
     * @param reserve the largest step, in quanta
     * @param clock   nanoTime, for the step's rate
     */
    RotorMarks(long reserve, LongSupplier clock) {
        this.reserve = reserve;
        this.clock = clock;
    }

    /** The mark after a rotor move: cleared when the move wraps or reaches it. */
    static long afterMove(long mark, ArenaChange.CursorMoved move) {
        return mark != NONE && (move.to() <= move.from() || move.to() >= mark) ? NONE : mark;
    }

    /** Starts the marks of a recovered arena (after recovery, every mark is spent: the rotor moved up to it). */
    void track(int arena, long quantum) {
        State s = new State(arena, quantum, Math.max(1, reserve / STEP_DIVISOR));
        s.stepStarted = clock.getAsLong() - SLOW_STEP_NANOS; // the first mark keeps the smallest step
        arenas.put(arena, s);
    }

    /**
     * Decides what a unit about to be appended needs: at {@code level} below SYNC, a unit that moves a rotor
     * past its durable mark, or wraps it, gets a new mark and must be fsynced before it is acknowledged.
     *
     * @param durableSeq the newest journal record known to be on disk
     * @param quantumOf  the quantum of an arena the store knows
     */
    Plan plan(List<Op> ops, Durability level, long durableSeq) {
        if (level == Durability.SYNC) {
            return Plan.NOTHING;
        }
        touched.clear();
        boolean anyUnsafe = false;
        for (Op op : ops) {
            if (op instanceof Op.Change c && c.change() instanceof ArenaChange.CursorMoved m) {
                State s = arenas.get(c.arena());
                if (s == null) {
                    continue; // created in this unit: tracked once appended
                }
                if (!touched.contains(s)) {
                    touched.add(s);
                    s.unitAfter = s.logged;
                    s.unitUnsafe = false;
                    promote(s, durableSeq);
                }
                s.unitTo = m.to();
                s.unitAfter = afterMove(s.unitAfter, m);
                if (s.durable == NONE || m.to() <= m.from() || m.to() >= s.durable) {
                    s.unitUnsafe = true;
                    anyUnsafe = true;
                }
            }
        }
        if (!touched.isEmpty()) {
            moves++;
        }
        if (!anyUnsafe) {
            return Plan.NOTHING;
        }
        List<Op.Mark> marks = new ArrayList<>(1);
        for (State s : touched) {
            if (s.unitUnsafe) {
                adapt(s);
                // Never below the mark the unit leaves set; a mark the unit clears (it wraps or passes it) is spent.
                marks.add(new Op.Mark(s.id, ahead(s, s.unitTo, s.unitAfter)));
            }
        }
        waits++;
        return new Plan(marks, true);
    }

    /**
     * Adds a plan's marks to its unit: each at the end, or just before the unit drops its arena (a replay
     * must find the arena the mark names). A mark for an arena the unit drops still matters: if the unit is
     * lost, the arena comes back with the rotor the mark must cover.
     */
    static void insert(List<Op> ops, List<Op.Mark> marks) {
        for (Op.Mark mark : marks) {
            int at = ops.size();
            for (int i = 0; i < ops.size(); i++) {
                if (ops.get(i) instanceof Op.Drop d && d.arena() == mark.arena()) {
                    at = i;
                    break;
                }
            }
            ops.add(at, mark);
        }
    }

    /** A mark one step ahead of {@code rotor}, never below {@code current} (a mark still set, or {@link #NONE}). */
    private static long ahead(State s, long rotor, long current) {
        long limit = Long.MAX_VALUE - Long.MAX_VALUE % s.quantum;
        long room = (limit - rotor) / s.quantum;
        long mark = s.step >= room ? limit : rotor + s.step * s.quantum;
        return Math.max(mark, current);
    }

    /** The mark recorded at {@code loggedSeq} becomes durable once the journal is durable past it. */
    private static void promote(State s, long durableSeq) {
        if (s.logged != NONE && s.loggedSeq <= durableSeq) {
            s.durable = s.logged;
        }
    }

    /**
     * Follows a unit appended at {@code seq}: its rotor moves clear marks, its marks set them.
     *
     * @return whether the unit carries a mark (its durability must then be provable from the head too)
     */
    boolean appended(List<Op> ops, long seq) {
        boolean marked = false;
        for (Op op : ops) {
            if (op instanceof Op.Create c) {
                track(c.arena(), c.quantum());
            } else if (op instanceof Op.Drop d) {
                arenas.remove(d.arena());
            } else if (op instanceof Op.Mark m) {
                marked = true;
                State s = arenas.get(m.arena());
                if (s == null) {
                    continue; // an arena the unit created and drops again
                }
                s.logged = m.mark();
                s.loggedSeq = seq;
                s.extending = false;
            } else if (op instanceof Op.Change c && c.change() instanceof ArenaChange.CursorMoved move) {
                State s = arenas.get(c.arena());
                if (s != null) {
                    s.logged = afterMove(s.logged, move);
                    if (s.logged == NONE) {
                        s.durable = NONE;
                    }
                }
            }
        }
        return marked;
    }

    /**
     * The arenas whose rotor has used more than half of its mark's step, and for which no extension is
     * under way: the caller journals a further mark for each ({@link #extension}) in the background.
     */
    List<Integer> extensionsDue(List<Op> ops) {
        List<Integer> due = null;
        for (Op op : ops) {
            if (op instanceof Op.Change c && c.change() instanceof ArenaChange.CursorMoved m) {
                State s = arenas.get(c.arena());
                if (s != null && !s.extending && s.logged != NONE && m.to() >= s.logged - halfStep(s)) {
                    s.extending = true;
                    due = due == null ? new ArrayList<>() : due;
                    due.add(c.arena());
                }
            }
        }
        return due == null ? List.of() : due;
    }

    /** Half the step in values (at least one quantum), no further back than 0 from the mark. */
    private static long halfStep(State s) {
        long half = Math.max(1, s.step / 2);
        return half > s.logged / s.quantum ? s.logged : half * s.quantum;
    }

    /**
     * The further mark for {@code arena}, whose rotor is at {@code rotor}, adapting the step to how long the
     * last one lasted; null when the arena is gone or the rotor has no mark to extend any more.
     */
    Op.Mark extension(int arena, long rotor) {
        State s = arenas.get(arena);
        if (s == null || s.logged == NONE) {
            if (s != null) {
                s.extending = false;
            }
            return null;
        }
        adapt(s);
        return new Op.Mark(arena, ahead(s, rotor, s.logged)); // a mark still set lies past the rotor
    }

    /** Before a new mark: doubles the step when the last one lasted under a second, halves it past 30 s. */
    private void adapt(State s) {
        long now = clock.getAsLong();
        long lasted = now - s.stepStarted;
        if (lasted < FAST_STEP_NANOS) {
            s.step = s.step > reserve / 2 ? reserve : s.step * 2;
        } else if (lasted > SLOW_STEP_NANOS) {
            s.step = Math.max(Math.max(1, reserve / STEP_DIVISOR), s.step / 2);
        }
        s.stepStarted = now;
    }

    /** A background extension did not happen: the next unit that needs one asks again. */
    void extensionFailed(int arena) {
        State s = arenas.get(arena);
        if (s != null) {
            s.extending = false;
        }
    }

    /** The mark of {@code arena} as the journal appended so far sets it, for a checkpoint, or {@link #NONE}. */
    long logged(int arena) {
        State s = arenas.get(arena);
        return s == null ? NONE : s.logged;
    }

    /**
     * Forgets every mark, for the checkpoint of a clean close: with everything acknowledged durable, the
     * exact rotor is kept and the reopened store skips nothing.
     */
    void spendAll() {
        for (State s : arenas.values()) {
            s.logged = NONE;
            s.durable = NONE;
        }
    }

    /** Units acknowledged before their fsync that had to wait for one to make a new mark durable. */
    long waits() {
        return waits;
    }

    /** Units acknowledged before their fsync that moved a rotor. */
    long moves() {
        return moves;
    }
}

package dev.vmem.store;

import dev.vmem.Policy;
import dev.vmem.store.PowerLossLog.AckKind;
import dev.vmem.store.PowerLossLog.Acked;
import dev.vmem.store.PowerLossLog.Began;
import dev.vmem.store.PowerLossLog.Event;
import dev.vmem.store.PowerLossLog.Failed;
import dev.vmem.store.PowerLossLog.FreeStarted;
import dev.vmem.store.PowerLossLog.SyncCalled;
import dev.vmem.store.PowerLossLog.SyncReturned;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the workload had been told before a cut, as the crash contract needs it at every durability level.
 *
 * <h2>What must survive</h2>
 * A unit acknowledged at {@link Durability#SYNC} was fsynced, and so was every unit acknowledged before it
 * began (its record follows theirs, and an fsync covers everything before it). A completed
 * {@link VmemStore#sync()} (or clean close) makes everything acknowledged before its call durable. So
 * everything acknowledged before {@link #durableBefore} (an event index), and every SYNC unit, must be in
 * the recovered store; the rest, acknowledged before its fsync, may be lost, but only as a tail.
 *
 * <h2>A prefix</h2>
 * Unit B's record follows unit A's when A was acknowledged before B began. Recovery keeps a prefix of the
 * journal, so if B survives so does A, and a unit survives whole. Whether a unit survived is read from the
 * recovered arenas: an allocation still live at the cut (its free not started) is there, exactly, if and
 * only if its unit is, unless an earlier acknowledged allocation overlapped its range (a lost free of that
 * one would leave an allocated segment there too): such an allocation is {@link Allocation#ambiguous} and
 * tells nothing.
 *
 * <h2>The rotor</h2>
 * No value a NEXT_FIT allocation acknowledged is handed out again before the rotor comes round: after
 * recovery, each NEXT_FIT rotor is at or past every end acknowledged in its current lap ({@link #lapEnd}).
 * Only {@link PowerLossWorkload#RING} wraps, and only one thread uses it, so the order of its
 * acknowledgements is the order of its records and a base below the previous end starts a lap. Units begun
 * and not acknowledged ({@link #inFlight}) may have moved a rotor further, or wrapped it.
 */
final class PowerLossAcks {
    /** An acknowledged allocation still live at the cut. */
    record Allocation(String arena, int unit, Durability level, long base, long size, int began, int acked,
            boolean ambiguous) {
        @Override
        public String toString() {
            return "[" + base + "+" + size + ") of '" + arena + "' (unit " + unit + ", " + level + ", acknowledged at "
                    + "event " + acked + ")";
        }
    }

    /** An acknowledged arena or span, and when. */
    private record Setup(Acked acked, int index) {
    }

    /** Events before this index that acknowledged something are durable. */
    int durableBefore;
    /** Arenas and spans that must survive. */
    final Map<String, TreeMap<Long, Long>> durableSpans = new HashMap<>();
    final List<String> durableArenas = new ArrayList<>();
    /** Every allocation acknowledged and live at the cut. */
    final List<Allocation> live = new ArrayList<>();
    /** Per arena: base to end of every range NEXT_FIT acknowledged, freed since or not. */
    final Map<String, TreeMap<Long, Long>> nextFit = new HashMap<>();
    /** Per arena: the highest end NEXT_FIT acknowledged in the rotor's current lap. */
    final Map<String, Long> lapEnd = new HashMap<>();
    /** Units begun and neither acknowledged nor failed before the cut. */
    final Map<Integer, Began> inFlight = new LinkedHashMap<>();

    private PowerLossAcks() {
    }

    static PowerLossAcks before(List<Event> events, int cut) {
        int instant = instant(events, cut);
        PowerLossAcks a = new PowerLossAcks();
        Map<Integer, Integer> began = new HashMap<>();
        Map<Integer, Integer> calls = new HashMap<>();
        Map<String, TreeMap<Long, Long>> everAllocated = new HashMap<>();
        Map<String, TreeMap<Long, Allocation>> live = new HashMap<>();
        Map<String, Long> lastEnd = new HashMap<>();
        List<Setup> setups = new ArrayList<>();
        for (int i = 0; i < instant; i++) {
            Event e = events.get(i);
            if (e instanceof Began b) {
                began.put(b.unit(), i);
                a.inFlight.put(b.unit(), b);
            } else if (e instanceof Failed f) {
                a.inFlight.remove(f.unit());
            } else if (e instanceof SyncCalled c) {
                calls.put(c.barrier(), i);
            } else if (e instanceof SyncReturned r) {
                a.durableBefore = Math.max(a.durableBefore, calls.get(r.barrier()));
            } else if (e instanceof FreeStarted f) {
                // A free that started may have happened: from here on the block may be gone.
                live.computeIfAbsent(f.arena(), x -> new TreeMap<>()).remove(f.base());
            } else if (e instanceof Acked k) {
                a.inFlight.remove(k.unit());
                int start = began.get(k.unit());
                if (k.level() == Durability.SYNC) {
                    a.durableBefore = Math.max(a.durableBefore, start);
                }
                if (k.kind() != AckKind.ALLOC) {
                    if (k.kind() != AckKind.FREE) {
                        setups.add(new Setup(k, i));
                    }
                    continue;
                }
                TreeMap<Long, Long> ever = everAllocated.computeIfAbsent(k.arena(), x -> new TreeMap<>());
                boolean ambiguous = overlaps(ever, k.base(), k.base() + k.size());
                add(ever, k.base(), k.base() + k.size());
                live.computeIfAbsent(k.arena(), x -> new TreeMap<>()).put(k.base(),
                        new Allocation(k.arena(), k.unit(), k.level(), k.base(), k.size(), start, i, ambiguous));
                if (k.policy() == Policy.NEXT_FIT) {
                    long end = k.base() + k.size();
                    a.nextFit.computeIfAbsent(k.arena(), x -> new TreeMap<>()).put(k.base(), end);
                    boolean wrapped = k.arena().equals(PowerLossWorkload.RING)
                            && k.base() < lastEnd.getOrDefault(k.arena(), 0L);
                    a.lapEnd.put(k.arena(), wrapped ? end : Math.max(end, a.lapEnd.getOrDefault(k.arena(), 0L)));
                    lastEnd.put(k.arena(), end);
                }
            }
        }
        for (Setup s : setups) {
            if (s.acked().level() == Durability.SYNC || s.index() < a.durableBefore) {
                if (s.acked().kind() == AckKind.CREATE) {
                    a.durableArenas.add(s.acked().arena());
                } else {
                    a.durableSpans.computeIfAbsent(s.acked().arena(), x -> new TreeMap<>()).put(s.acked().base(),
                            s.acked().size());
                }
            }
        }
        live.values().forEach(m -> a.live.addAll(m.values()));
        a.live.sort((x, y) -> Integer.compare(x.acked(), y.acked()));
        return a;
    }

    /**
     * Where a cut at {@code cut} really falls for the acknowledgements: past the rest of a unit's
     * {@link Acked} events when it lands among them. The workload appends a unit's acknowledgements at once
     * ({@link PowerLossLog#appendAll}), since its call returned for all its items together; no file changed
     * between them, so the state is the same either way, while a cut among them would show the unit acknowledged
     * in part (one of its allocations acknowledged, another not, and the unit no longer in flight).
     */
    static int instant(List<Event> events, int cut) {
        int end = cut;
        while (end > 0 && end < events.size() && events.get(end) instanceof Acked next
                && events.get(end - 1) instanceof Acked last && next.unit() == last.unit()) {
            end++;
        }
        return end;
    }

    /** Whether {@code x} must survive the power loss. */
    boolean durable(Allocation x) {
        return x.level() == Durability.SYNC || x.acked() < durableBefore;
    }

    /** The NEXT_FIT bytes units in flight may have handed out in {@code arena}. */
    long inFlightNextFit(String arena) {
        return inFlight.values().stream().mapToLong(b -> b.nextFit().getOrDefault(arena, 0L)).sum();
    }

    /** Whether a range of the union {@code ranges} (base to end, disjoint) meets {@code [base, end)}. */
    private static boolean overlaps(TreeMap<Long, Long> ranges, long base, long end) {
        Map.Entry<Long, Long> below = ranges.lowerEntry(end);
        return below != null && below.getValue() > base;
    }

    /** Adds {@code [base, end)} to the union {@code ranges}, merging what it meets or touches. */
    private static void add(TreeMap<Long, Long> ranges, long base, long end) {
        long b = base;
        long e = end;
        for (Map.Entry<Long, Long> r = ranges.floorEntry(e); r != null && r.getValue() >= b;
                r = ranges.floorEntry(e)) {
            b = Math.min(b, r.getKey());
            e = Math.max(e, r.getValue());
            ranges.remove(r.getKey());
        }
        ranges.put(b, e);
    }
}

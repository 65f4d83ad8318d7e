package dev.vmem.store;

import dev.vmem.Arena;
import dev.vmem.Policy;
import dev.vmem.Segment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Opens one power-loss state and holds it to the crash contract at every durability level (see
 * {@link PowerLossAcks}): it opens without an operator (no state built here lost fsynced data, so a
 * refusal is a failure, at every level: a lost unsynced tail is cut); everything that had to be durable is
 * there with its exact range (so are the arenas and spans); what survived of the rest is a prefix, of whole
 * units; no NEXT_FIT rotor is behind a value acknowledged in its current lap, and NEXT_FIT hands out no value
 * it had acknowledged before the cut; a rotor recovery moved up to its mark skipped at most the reserve of
 * values never handed out; and {@link VmemStore#verify()} finds nothing.
 */
final class PowerLossCheck {
    /** NEXT_FIT allocations tried in each arena of {@link PowerLossWorkload#NEXT_FIT_PROBES}. */
    private static final int PROBES = 4;
    /** Missing items named in a report; the rest are counted. */
    private static final int NAMED = 5;

    enum Outcome {
        INTACT("opened; the state held everything written before the cut"),
        TAIL_CUT("opened; the state had lost unsynced writes or names"),
        ACK_CUT("opened; lost a tail acknowledged before its fsync, as its level allows"),
        REFUSED("refused to open"),
        LOST("opened without work that had to be durable, or not as a prefix"),
        UNSOUND("opened, but verify() or using it failed");

        final String meaning;

        Outcome(String meaning) {
            this.meaning = meaning;
        }

        boolean failed() {
            return this != INTACT && this != TAIL_CUT && this != ACK_CUT;
        }
    }

    /**
     * What opening the state gave; {@code skipped} is, per arena whose rotor recovery moved up to its mark,
     * how many quanta it skipped that no acknowledged allocation had handed out.
     */
    record Result(Outcome outcome, String detail, Map<String, Long> skipped) {
        Result(Outcome outcome, String detail) {
            this(outcome, detail, Map.of());
        }
    }

    private PowerLossCheck() {
    }

    /** Opens the store in {@code dir} (a state written there), checks it, and closes it. */
    static Result check(Path dir, PowerLossAcks acked, boolean lostUnsynced, long rotorReserve) {
        VmemStore store;
        try {
            // As a user opens it: a directory where creating the store had not finished is created afresh.
            store = VmemStore.open(StoreOptions.builder(dir).checkpointInterval(Duration.ZERO).build());
        } catch (RuntimeException | AssertionError e) {
            return new Result(Outcome.REFUSED, e.toString());
        }
        Result result;
        try {
            result = checkOpen(store, acked, lostUnsynced, rotorReserve);
        } catch (RuntimeException | AssertionError e) {
            result = new Result(Outcome.UNSOUND, "using the recovered store failed: " + e);
        }
        try {
            store.closeWithoutCheckpoint();
        } catch (RuntimeException e) {
            if (!result.outcome().failed()) {
                result = new Result(Outcome.UNSOUND, "closing the recovered store failed: " + e);
            }
        }
        return result;
    }

    private static Result checkOpen(VmemStore store, PowerLossAcks acked, boolean lostUnsynced, long rotorReserve) {
        List<String> missing = missing(store, acked);
        if (!missing.isEmpty()) {
            return new Result(Outcome.LOST, String.join("; ", missing));
        }
        Map<String, Map<Long, Long>> allocated = allocated(store);
        List<PowerLossAcks.Allocation> absent = new ArrayList<>();
        String notPrefix = prefix(allocated, acked, absent);
        if (notPrefix != null) {
            return new Result(Outcome.LOST, notPrefix);
        }
        String behind = rotorsBehind(store, acked);
        if (behind != null) {
            return new Result(Outcome.LOST, behind);
        }
        Map<String, Long> skipped = new TreeMap<>();
        String tooFar = skips(store, acked, rotorReserve, skipped);
        if (tooFar != null) {
            return new Result(Outcome.LOST, tooFar, skipped);
        }
        String reused = probe(store, acked);
        if (reused != null) {
            return new Result(Outcome.LOST, reused, skipped);
        }
        List<String> problems = store.verify();
        if (!problems.isEmpty()) {
            return new Result(Outcome.UNSOUND, "verify(): " + problems, skipped);
        }
        return new Result(!absent.isEmpty() ? Outcome.ACK_CUT : lostUnsynced ? Outcome.TAIL_CUT : Outcome.INTACT,
                absent.isEmpty() ? "" : absent.size() + " acknowledged allocations lost, from " + absent.get(0),
                skipped);
    }

    /** Per arena: base to size of every allocated segment. */
    private static Map<String, Map<Long, Long>> allocated(VmemStore store) {
        Map<String, Map<Long, Long>> out = new HashMap<>();
        for (PersistentArena a : store.arenas()) {
            Map<Long, Long> m = new HashMap<>();
            for (Segment s : a.segments()) {
                if (s.kind() == Segment.Kind.ALLOCATED) {
                    m.put(s.base(), s.size());
                }
            }
            out.put(a.name(), m);
        }
        return out;
    }

    /**
     * Holds the recovered allocations to a prefix of whole units: no unambiguous allocation is lost while
     * one of a unit begun after it was acknowledged survives, and no unit survives in part. Fills
     * {@code absent} with the unambiguous acknowledged allocations lost; returns what went wrong, or null.
     */
    private static String prefix(Map<String, Map<Long, Long>> allocated, PowerLossAcks acked,
            List<PowerLossAcks.Allocation> absent) {
        PowerLossAcks.Allocation lastPresent = null;
        Map<Integer, PowerLossAcks.Allocation> presentOf = new HashMap<>();
        Map<Integer, PowerLossAcks.Allocation> absentOf = new HashMap<>();
        for (PowerLossAcks.Allocation x : acked.live) {
            if (x.ambiguous()) {
                continue;
            }
            Long size = allocated.getOrDefault(x.arena(), Map.of()).get(x.base());
            boolean present = size != null && size == x.size();
            if (present) {
                presentOf.putIfAbsent(x.unit(), x);
                if (lastPresent == null || x.began() > lastPresent.began()) {
                    lastPresent = x;
                }
            } else {
                absent.add(x);
                absentOf.putIfAbsent(x.unit(), x);
            }
        }
        for (PowerLossAcks.Allocation x : absent) {
            if (lastPresent != null && x.acked() < lastPresent.began()) {
                return "not a prefix: " + x + " is lost, but " + lastPresent + ", begun after it was acknowledged (event "
                        + lastPresent.began() + "), survived";
            }
            if (presentOf.containsKey(x.unit())) {
                return "unit " + x.unit() + " survived in part: " + presentOf.get(x.unit()) + " is there, " + x
                        + " is not";
            }
        }
        return null;
    }

    /** A NEXT_FIT rotor behind a value acknowledged in its current lap, or null. */
    private static String rotorsBehind(VmemStore store, PowerLossAcks acked) {
        for (PersistentArena a : store.arenas()) {
            Long end = acked.lapEnd.get(a.name());
            if (end == null || a.nextFitCursor() >= end) {
                continue;
            }
            // A unit in flight may have wrapped the ring's rotor, as the run would have.
            boolean mayHaveWrapped = a.name().equals(PowerLossWorkload.RING) && acked.inFlightNextFit(a.name()) > 0;
            if (!mayHaveWrapped) {
                return "the NEXT_FIT rotor of '" + a.name() + "' is at " + a.nextFitCursor() + " after recovery, behind "
                        + end + " acknowledged in its current lap (" + store.recovery().rotorSkips() + ")";
            }
        }
        return null;
    }

    /**
     * Each rotor recovery moved up to its mark skipped at most {@code reserve} quanta no acknowledged
     * allocation had handed out, give or take what units in flight may have handed out; fills
     * {@code skipped}. Returns what went wrong, or null.
     */
    private static String skips(VmemStore store, PowerLossAcks acked, long reserve, Map<String, Long> skipped) {
        for (RecoveryReport.RotorSkip s : store.recovery().rotorSkips()) {
            long q = PowerLossWorkload.QUANTA.get(s.arena());
            long to = s.arena().equals(PowerLossWorkload.RING) ? Math.min(s.to(), PowerLossWorkload.RING_SIZE)
                    : s.to();
            long handedOut = Math.max(s.from(), acked.lapEnd.getOrDefault(s.arena(), 0L));
            long never = Math.max(0, to - handedOut) / q;
            skipped.put(s.arena(), never);
            long slack = acked.inFlightNextFit(s.arena()) / q;
            if (never > reserve + slack) {
                return "recovery moved the NEXT_FIT rotor of '" + s.arena() + "' from " + s.from() + " to " + s.to()
                        + ", skipping " + never + " quanta past the highest acknowledged end " + handedOut
                        + ": more than rotorReserve=" + reserve + " (+ " + slack + " that units in flight may have"
                        + " handed out)";
            }
        }
        return null;
    }

    /** Arenas, spans and live allocations that had to be durable and the recovered store lacks, the first few named. */
    private static List<String> missing(VmemStore store, PowerLossAcks acked) {
        List<String> out = new ArrayList<>();
        int[] count = {0};
        Map<String, PersistentArena> arenas = new HashMap<>();
        store.arenas().forEach(a -> arenas.put(a.name(), a));
        Map<String, TreeMap<Long, Long>> live = new HashMap<>();
        for (PowerLossAcks.Allocation x : acked.live) {
            if (acked.durable(x)) {
                live.computeIfAbsent(x.arena(), n -> new TreeMap<>()).put(x.base(), x.size());
            }
        }
        for (String name : acked.durableArenas) {
            PersistentArena a = arenas.get(name);
            if (a == null) {
                note(out, count, "arena '" + name + "' is missing");
                continue;
            }
            Map<Long, Long> spans = new HashMap<>();
            Map<Long, Long> allocated = new HashMap<>();
            for (Segment s : a.segments()) {
                if (s.kind() == Segment.Kind.SPAN) {
                    spans.put(s.base(), s.size());
                } else if (s.kind() == Segment.Kind.ALLOCATED) {
                    allocated.put(s.base(), s.size());
                }
            }
            acked.durableSpans.getOrDefault(name, new TreeMap<>()).forEach((base, size) -> {
                if (!size.equals(spans.get(base))) {
                    note(out, count, "span [" + base + "+" + size + ") of '" + name + "' is missing");
                }
            });
            live.getOrDefault(name, new TreeMap<>()).forEach((base, size) -> {
                if (!size.equals(allocated.get(base))) {
                    note(out, count, "allocation [" + base + "+" + size + ") of '" + name + "' is "
                            + (allocated.containsKey(base) ? "of size " + allocated.get(base) : "not allocated"));
                }
            });
        }
        if (count[0] > NAMED) {
            out.add("... " + count[0] + " missing in all");
        }
        return out;
    }

    private static void note(List<String> out, int[] count, String what) {
        if (count[0]++ < NAMED) {
            out.add(what);
        }
    }

    /**
     * A few NEXT_FIT allocations in each arena whose rotor never wraps: none may overlap a range NEXT_FIT
     * acknowledged before the cut. Returns what went wrong, or null.
     */
    private static String probe(VmemStore store, PowerLossAcks acked) {
        for (Map.Entry<String, Long> p : new TreeMap<>(PowerLossWorkload.NEXT_FIT_PROBES).entrySet()) {
            if (store.arenas().stream().noneMatch(a -> a.name().equals(p.getKey()))) {
                continue;
            }
            PersistentArena a = store.arena(p.getKey());
            long rotor = a.nextFitCursor();
            TreeMap<Long, Long> handedOut = acked.nextFit.getOrDefault(p.getKey(), new TreeMap<>());
            List<Long> bases = store.batch(() -> {
                List<Long> got = new ArrayList<>();
                for (int i = 0; i < PROBES; i++) {
                    // None before the span is added (checked above when it was acknowledged).
                    long base = a.tryAlloc(p.getValue(), Policy.NEXT_FIT);
                    if (base == Arena.NONE) {
                        break;
                    }
                    got.add(base);
                }
                return got;
            });
            for (long base : bases) {
                Map.Entry<Long, Long> before = handedOut.floorEntry(base + p.getValue() - 1);
                if (before != null && before.getValue() > base) {
                    return "NEXT_FIT in '" + p.getKey() + "' handed out [" + base + "+" + p.getValue()
                            + ") again after recovery (rotor at " + rotor + "): [" + before.getKey() + ", "
                            + before.getValue() + ") was acknowledged before the cut; the highest acknowledged end "
                            + "was " + (handedOut.isEmpty() ? "none" : handedOut.lastEntry().getValue());
                }
            }
        }
        return null;
    }
}

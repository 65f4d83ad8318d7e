package dev.vmem.store;

import dev.vmem.Arena;
import dev.vmem.Policy;
import dev.vmem.Segment;
import dev.vmem.store.PowerLossLog.AckKind;
import dev.vmem.store.PowerLossLog.Acked;
import dev.vmem.store.PowerLossLog.Event;
import dev.vmem.store.PowerLossLog.FreeStarted;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Opens one power-loss state and holds it to the crash contract: it opens without an operator (no state
 * built here lost fsynced data, so a refusal is a failure), every allocation acknowledged before the cut
 * and not being freed is there with its exact range (so are the arenas and spans), NEXT_FIT hands out no
 * value it had acknowledged before the cut, and {@link VmemStore#verify()} finds nothing.
 */
final class PowerLossCheck {
    /** NEXT_FIT allocations tried in each arena of {@link PowerLossWorkload#NEXT_FIT_PROBES}. */
    private static final int PROBES = 4;
    /** Missing items named in a report; the rest are counted. */
    private static final int NAMED = 5;

    enum Outcome {
        INTACT("opened; the state held everything written before the cut"),
        TAIL_CUT("opened; the state had lost unsynced writes or names"),
        REFUSED("refused to open"),
        LOST("opened without acknowledged work"),
        UNSOUND("opened, but verify() or using it failed");

        final String meaning;

        Outcome(String meaning) {
            this.meaning = meaning;
        }

        boolean failed() {
            return this != INTACT && this != TAIL_CUT;
        }
    }

    record Result(Outcome outcome, String detail) {
    }

    private PowerLossCheck() {
    }

    /** What the workload had been told before the cut, as the crash contract needs it. */
    static final class Acknowledged {
        final TreeSet<String> arenas = new TreeSet<>();
        /** Per arena: span base to size. */
        final Map<String, TreeMap<Long, Long>> spans = new HashMap<>();
        /** Per arena: base to size of each acknowledged allocation whose free had not started. */
        final Map<String, TreeMap<Long, Long>> live = new HashMap<>();
        /** Per arena: base to end of every range NEXT_FIT acknowledged, freed since or not. */
        final Map<String, TreeMap<Long, Long>> nextFit = new HashMap<>();

        static Acknowledged before(List<Event> events, int cut) {
            Acknowledged a = new Acknowledged();
            for (Event e : events.subList(0, cut)) {
                if (e instanceof FreeStarted f) {
                    // A free that started may have happened: from here on the block may be gone.
                    a.of(a.live, f.arena()).remove(f.base());
                } else if (e instanceof Acked k) {
                    if (k.kind() == AckKind.CREATE) {
                        a.arenas.add(k.arena());
                    } else if (k.kind() == AckKind.SPAN) {
                        a.of(a.spans, k.arena()).put(k.base(), k.size());
                    } else if (k.kind() == AckKind.ALLOC) {
                        a.of(a.live, k.arena()).put(k.base(), k.size());
                        if (k.policy() == Policy.NEXT_FIT) {
                            a.of(a.nextFit, k.arena()).put(k.base(), k.base() + k.size());
                        }
                    }
                }
            }
            return a;
        }

        private TreeMap<Long, Long> of(Map<String, TreeMap<Long, Long>> map, String arena) {
            return map.computeIfAbsent(arena, x -> new TreeMap<>());
        }
    }

    /** Opens the store in {@code dir} (a state written there), checks it, and closes it. */
    static Result check(Path dir, Acknowledged acked, boolean lostUnsynced) {
        VmemStore store;
        try {
            // As a user opens it: a directory where creating the store had not finished is created afresh.
            store = VmemStore.open(StoreOptions.builder(dir).checkpointInterval(Duration.ZERO).build());
        } catch (RuntimeException | AssertionError e) {
            return new Result(Outcome.REFUSED, e.toString());
        }
        Result result;
        try {
            result = checkOpen(store, acked, lostUnsynced);
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

    private static Result checkOpen(VmemStore store, Acknowledged acked, boolean lostUnsynced) {
        List<String> missing = missing(store, acked);
        if (!missing.isEmpty()) {
            return new Result(Outcome.LOST, String.join("; ", missing));
        }
        String reused = probe(store, acked);
        if (reused != null) {
            return new Result(Outcome.LOST, reused);
        }
        List<String> problems = store.verify();
        if (!problems.isEmpty()) {
            return new Result(Outcome.UNSOUND, "verify(): " + problems);
        }
        return new Result(lostUnsynced ? Outcome.TAIL_CUT : Outcome.INTACT, "");
    }

    /** Acknowledged arenas, spans and live allocations the recovered store lacks, the first few named. */
    private static List<String> missing(VmemStore store, Acknowledged acked) {
        List<String> out = new ArrayList<>();
        int[] count = {0};
        Map<String, PersistentArena> arenas = new HashMap<>();
        store.arenas().forEach(a -> arenas.put(a.name(), a));
        for (String name : acked.arenas) {
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
            acked.spans.getOrDefault(name, new TreeMap<>()).forEach((base, size) -> {
                if (!size.equals(spans.get(base))) {
                    note(out, count, "span [" + base + "+" + size + ") of '" + name + "' is missing");
                }
            });
            acked.live.getOrDefault(name, new TreeMap<>()).forEach((base, size) -> {
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
    private static String probe(VmemStore store, Acknowledged acked) {
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

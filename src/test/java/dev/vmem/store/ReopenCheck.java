package dev.vmem.store;

import static dev.vmem.store.CrashWorker.DISK;
import static dev.vmem.store.CrashWorker.PIDS;
import static dev.vmem.store.CrashWorker.SCRATCH;
import static dev.vmem.store.CrashWorker.TENANT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vmem.Arena;
import dev.vmem.Policy;
import dev.vmem.Segment;
import dev.vmem.store.AckLog.Block;
import dev.vmem.store.AckLog.Item;
import dev.vmem.store.AckLog.Unit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * Compares a store reopened after a {@code kill -9} with the worker's {@link AckLog} and the state the previous
 * round left (the {@link Baseline}): the four points of the crash contract that {@link CrashRecoveryTest} states,
 * each marked where it is checked.
 *
 * <p>With a durability level ({@link CrashByDurabilityTest}) the worker's tickets are journal sequence numbers,
 * and the acknowledged units the reopened store must hold are those up to the last sequence number recovery
 * reports: all of them at SYNC and WRITE (a process crash loses nothing written to the OS), at BUFFERED at
 * least those a completed {@code sync()} or a WRITE or SYNC batch covered. Point (2) then holds for that
 * prefix, which makes a hole fail it. Point (4) lets the rotor stand ahead of the recovered one by a reported
 * skip of at most the rotor reserve, which must be past every NEXT_FIT value the crash took back.
 */
final class ReopenCheck {
    private static final List<String> ARENAS = List.of(PIDS, DISK, TENANT, SCRATCH);
    /** The arenas that import from disk. */
    private static final List<String> IMPORTERS = List.of(TENANT, SCRATCH);
    private static final int PROBES = 300;

    private final Path dir;
    private final CrashStats stats;
    /** The level the worker's store runs at, or null for the classic worker (SYNC, tickets of its own). */
    private final Durability level;
    private final long rotorReserve;

    ReopenCheck(Path dir, CrashStats stats, Durability level, long rotorReserve) {
        this.dir = dir;
        this.stats = stats;
        this.level = level;
        this.rotorReserve = rotorReserve;
    }

    /** What the test knows about a store between rounds: the state it found at the last reopen. */
    static final class Baseline {
        final Set<String> arenas = new HashSet<>();
        final Map<String, Set<Block>> live = new HashMap<>();
        final Map<String, Set<Block>> spans = new HashMap<>();
        final Map<String, Long> rotor = new HashMap<>();

        Set<Block> live(String arena) {
            return live.getOrDefault(arena, Set.of());
        }

        /** What the worker started from (disk without imported spans), for the record of a failure. */
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("arenas " + new TreeSet<>(arenas) + "\n");
            for (String a : new TreeSet<>(live.keySet())) {
                List<Block> blocks = new ArrayList<>(live.get(a));
                blocks.sort(Comparator.comparingLong(Block::base));
                sb.append(a).append(" rotor ").append(rotor.get(a)).append(" spans ").append(spans.get(a))
                        .append(" live ").append(blocks).append('\n');
            }
            return sb.toString();
        }
    }

    /**
     * Checks the reopened store against the baseline and the worker's log, then closes it (cleanly or as by a
     * crash, at random). Returns what the reopened store held: the next round's baseline.
     */
    Baseline check(Baseline baseline, String ctx, List<String> lines, Random rnd) throws Exception {
        AckLog log = AckLog.parse(lines, ctx);
        stats.acknowledged += log.acked.size();
        stats.batches += log.acked.stream().filter(u -> u.items().size() > 1).count();
        stats.rejected += log.rejected;
        stats.killsBeforeReady += log.ready ? 0 : 1;
        stats.killsInCheckpointWrite += log.inCheckpointWrite ? 1 : 0;
        stats.checkpointsBegun += log.checkpointsBegun;
        for (int g = 0; g < 2; g++) {
            Path f = dir.resolve(StoreFormat.checkpointName(g));
            if (Files.exists(f) && Checkpoint.peekSeq(f) < 0) {
                stats.damagedCheckpointFiles++;
            }
        }

        // (1) it opens.
        StoreOptions options = StoreOptions.builder(dir).createIfMissing(!log.anyAck && baseline.arenas.isEmpty())
                .checkpointInterval(Duration.ZERO).build();
        VmemStore store;
        try {
            store = VmemStore.open(options);
        } catch (RuntimeException e) {
            throw new AssertionError(ctx + " the store does not reopen after kill -9: " + e, e);
        }
        return check(baseline, ctx, log, store, options, rnd);
    }

    /** The acknowledged units the reopened store must hold: all, or at BUFFERED a prefix (see the class). */
    private List<Unit> kept(String ctx, AckLog log, VmemStore store) {
        if (level == null) {
            return log.acked;
        }
        long lastSeq = store.recovery().lastSeq();
        List<Unit> kept = new ArrayList<>();
        Unit firstLost = null;
        for (Unit u : log.acked) {
            if (u.ticket() <= lastSeq) {
                kept.add(u);
            } else if (firstLost == null || u.ticket() < firstLost.ticket()) {
                firstLost = u;
            }
        }
        if (level == Durability.BUFFERED) {
            long must = log.mustSurviveTicket();
            assertTrue(must <= lastSeq, ctx + " BUFFERED: recovery ends at sequence " + lastSeq + ", but the unit"
                    + " with ticket " + must + " was made durable by a completed sync() or a WRITE/SYNC batch (" +
                    log.syncsCompleted + " syncs completed); first unit lost: " + firstLost);
            int lost = log.acked.size() - kept.size();
            stats.lostUnits += lost;
            stats.maxLostUnits = Math.max(stats.maxLostUnits, lost);
            stats.killsWithLoss += lost > 0 ? 1 : 0;
            stats.syncs += log.syncsCompleted;
        } else {
            assertTrue(firstLost == null, ctx + " " + level + ": an acknowledged unit is not in the recovered"
                    + " journal (recovery ends at sequence " + lastSeq + "): " + firstLost);
        }
        return kept;
    }

    /** Checks the open {@code store} and closes it (cleanly or as by a crash), however the check ends. */
    private Baseline check(Baseline baseline, String ctx, AckLog log, VmemStore store, StoreOptions options,
            Random rnd) throws Exception {
        boolean closed = false;
        Baseline found;
        try {
            List<Unit> kept = kept(ctx, log, store);
            // The model: the baseline plus every acknowledged unit kept. A block's count must end at 0 or 1.
            Map<String, Map<Block, Integer>> count = new HashMap<>();
            for (String a : ARENAS) {
                Map<Block, Integer> m = new HashMap<>();
                for (Block b : baseline.live(a)) {
                    m.put(b, 1);
                }
                count.put(a, m);
            }
            Set<String> mustExist = new HashSet<>(baseline.arenas);
            mustExist.remove(SCRATCH);
            boolean scratchExists = baseline.arenas.contains(SCRATCH);
            Set<String> rotorReset = new HashSet<>();
            Map<String, Set<Block>> mustSpan = new HashMap<>();
            baseline.spans.forEach((a, s) -> mustSpan.put(a, new HashSet<>(s)));
            Map<String, Unit> lastNextFit = new HashMap<>();
            for (Unit u : kept) {
                for (Item it : u.items()) {
                    switch (it.kind) {
                        case 'c':
                            if (it.arena.equals(SCRATCH)) {
                                stats.scratchCreates++;
                                scratchExists = true;
                                count.put(SCRATCH, new HashMap<>());
                                lastNextFit.remove(SCRATCH);
                                rotorReset.add(SCRATCH);
                            } else {
                                mustExist.add(it.arena);
                            }
                            break;
                        case 'd':
                            stats.scratchDrops++;
                            scratchExists = false;
                            count.put(SCRATCH, new HashMap<>());
                            lastNextFit.remove(SCRATCH);
                            rotorReset.add(SCRATCH);
                            break;
                        case 's':
                            mustSpan.computeIfAbsent(it.arena, k -> new HashSet<>()).add(new Block(it.base, it.size));
                            break;
                        case 'f':
                            count.get(it.arena).merge(it.block(), -1, Integer::sum);
                            break;
                        default:
                            count.get(it.arena).merge(it.block(), 1, Integer::sum);
                            if (it.policy == Policy.NEXT_FIT) {
                                assertTrue(u.ticket() >= 0, ctx + " a NEXT_FIT unit without a ticket: " + u);
                                Unit last = lastNextFit.get(it.arena);
                                if (last == null || last.ticket() < u.ticket()) {
                                    lastNextFit.put(it.arena, u);
                                }
                            }
                            break;
                    }
                }
            }
            // A count of 2 is fine only if an in-flight unit frees the block: another thread's acknowledged
            // allocation of it ran after that free, which must therefore be on disk too (explain() sees to it).
            Set<String> inFlightFrees = new HashSet<>();
            for (List<Item> unit : log.inFlight().values()) {
                for (Item it : unit) {
                    if (it.kind == 'f') {
                        inFlightFrees.add(it.arena + " " + it.block());
                    }
                }
            }
            for (String a : ARENAS) {
                for (Map.Entry<Block, Integer> c : count.get(a).entrySet()) {
                    int n = c.getValue();
                    if (n < 0 || n > 2 || n == 2 && !inFlightFrees.contains(a + " " + c.getKey())) {
                        fail(ctx + " acknowledged lines make block " + c.getKey() + " of '" + a + "' live " + n
                                + " times: the store handed out a live block twice or freed a free one\n"
                                + log.linesAbout(a, c.getKey()));
                    }
                }
            }

            Map<String, PersistentArena> arenas = new LinkedHashMap<>();
            for (PersistentArena a : store.arenas()) {
                arenas.put(a.name(), a);
            }
            checkArenasAndSpans(ctx, log, arenas, mustExist, mustSpan);

            // (2) acknowledged operations all there, unacknowledged ones whole or not at all.
            Map<String, Set<Block>> reopened = new HashMap<>();
            Set<Block> childImports = new HashSet<>();
            for (String child : IMPORTERS) {
                if (arenas.containsKey(child)) {
                    for (Segment s : arenas.get(child).segments()) {
                        if (s.kind() == Segment.Kind.IMPORTED_SPAN) {
                            childImports.add(new Block(s.base(), s.size()));
                        }
                    }
                }
            }
            for (String a : ARENAS) {
                Set<Block> r = new HashSet<>();
                if (arenas.containsKey(a)) {
                    for (Segment s : arenas.get(a).segments()) {
                        if (s.kind() == Segment.Kind.ALLOCATED) {
                            r.add(new Block(s.base(), s.size()));
                        }
                    }
                }
                reopened.put(a, r);
            }
            Set<Block> orphanImports = new TreeSet<>(Comparator.comparingLong(Block::base));
            for (Block b : childImports) {
                if (!reopened.get(DISK).remove(b)) {
                    orphanImports.add(b);
                }
            }
            assertTrue(orphanImports.isEmpty(), ctx + " imported spans " + orphanImports
                    + " of tenant or scratch are not allocations of 'disk'");
            Map<String, Set<Long>> rotorCandidates = new HashMap<>();
            Set<String> rotorFromModel = new HashSet<>();
            int present = explain(ctx, log, count, scratchExists, arenas.containsKey(SCRATCH), reopened,
                    rotorCandidates);
            stats.inFlightAtKill += log.inFlight().size();
            stats.inFlightPresent += present;

            // (4) the NEXT_FIT rotors.
            Map<String, RecoveryReport.RotorSkip> skips = skips(ctx, store);
            List<Unit> lost = lost(log, kept);
            Map<String, Long> lostRotor = lostRotors(lost);
            for (String a : ARENAS) {
                if (!arenas.containsKey(a)) {
                    continue;
                }
                Unit last = lastNextFit.get(a);
                long model = rotorReset.contains(a) ? 0 : baseline.rotor.getOrDefault(a, 0L);
                if (last != null) {
                    for (Item it : last.items()) {
                        if (it.arena.equals(a) && it.policy == Policy.NEXT_FIT && it.kind != 'f') {
                            model = it.block().end();
                        }
                    }
                }
                Set<Long> allowed = new TreeSet<>(rotorCandidates.getOrDefault(a, Set.of()));
                allowed.add(model);
                long rotor = arenas.get(a).nextFitCursor();
                RecoveryReport.RotorSkip skip = skips.remove(a);
                long recovered = skip == null ? rotor : skip.from();
                if (recovered == model) {
                    rotorFromModel.add(a);
                }
                assertTrue(allowed.contains(recovered), ctx + " arena '" + a + "': NEXT_FIT rotor recovered at "
                        + recovered + (skip == null ? "" : " (then moved to " + rotor + ")") + ", but the last"
                        + " acknowledged next-fit allocation kept " + last + " left it at " + model
                        + " (allowed with in-flight units: " + allowed + ")");
                if (skip != null) {
                    checkSkip(ctx, skip, rotor, arenas.get(a).quantum());
                }
                Long lostEnd = lostRotor.get(a);
                if (lostEnd != null && recovered == model) {
                    assertTrue(rotor >= lostEnd, ctx + " arena '" + a + "': the crash took back acknowledged NEXT_FIT"
                            + " allocations up to " + lostEnd + ", but the rotor stands at " + rotor + " (recovered at "
                            + recovered + ", skip " + skip + "): they would be handed out again");
                }
            }
            assertTrue(skips.isEmpty(), ctx + " rotor skips reported for arenas the store does not have: " + skips);
            if (arenas.containsKey(PIDS) && !mustSpan.getOrDefault(PIDS, Set.of()).isEmpty()) {
                probePids(ctx, log, store, arenas.get(PIDS), reopened.get(PIDS), rotorFromModel.contains(PIDS),
                        lostPids(lost));
            }
            stats.maxLivePids = Math.max(stats.maxLivePids, reopened.get(PIDS).size());

            // (3) the full check.
            assertEquals(List.of(), store.verify(), ctx + " verify() after reopen");
            for (PersistentArena a : arenas.values()) {
                assertEquals(List.of(), a.checkInvariants(), ctx + " invariants of '" + a.name() + "'");
            }

            // Recovery is repeatable: a crash right after reopening recovers the same state.
            if (rnd.nextInt(4) == 0) {
                Map<String, String> dumps = StoreFixture.dumps(store);
                StoreCrash.crash(store);
                closed = true;
                store = VmemStore.open(options);
                closed = false;
                assertEquals(dumps, StoreFixture.dumps(store), ctx + " reopening twice gives another state");
                assertEquals(List.of(), store.recovery().rotorSkips(), ctx + " the first reopen journalled its"
                        + " rotor moves: the second must skip nothing");
                assertEquals(List.of(), store.verify(), ctx + " verify() after the second reopen");
            }

            Baseline next = new Baseline();
            for (PersistentArena a : store.arenas()) {
                next.arenas.add(a.name());
                Set<Block> spans = new HashSet<>();
                Set<Block> live = new HashSet<>();
                for (Segment s : a.segments()) {
                    if (s.kind() == Segment.Kind.SPAN) {
                        spans.add(new Block(s.base(), s.size()));
                    } else if (s.kind() == Segment.Kind.ALLOCATED) {
                        live.add(new Block(s.base(), s.size()));
                    }
                }
                next.spans.put(a.name(), spans);
                next.live.put(a.name(), live);
                next.rotor.put(a.name(), a.nextFitCursor());
            }
            next.live.getOrDefault(DISK, new HashSet<>()).removeAll(childImports);
            found = next;
        } finally {
            if (!closed) {
                // Half the time the next worker starts from a clean close, half the time from a crash.
                if (rnd.nextBoolean()) {
                    store.close();
                } else {
                    StoreCrash.crash(store);
                }
            }
        }
        return found;
    }

    /** The acknowledged units the crash took back, in journal order. */
    private static List<Unit> lost(AckLog log, List<Unit> kept) {
        List<Unit> lost = new ArrayList<>();
        if (kept.size() < log.acked.size()) {
            Set<Unit> keptSet = new HashSet<>(kept);
            for (Unit u : log.acked) {
                if (!keptSet.contains(u)) {
                    lost.add(u);
                }
            }
            lost.sort(Comparator.comparingLong(Unit::ticket));
        }
        return lost;
    }

    /** The PIDs acknowledged by NEXT_FIT allocations the crash took back. */
    private static Set<Long> lostPids(List<Unit> lost) {
        Set<Long> out = new HashSet<>();
        for (Unit u : lost) {
            for (Item it : u.items()) {
                if (it.arena.equals(PIDS) && it.policy == Policy.NEXT_FIT && it.kind != 'f') {
                    for (long v = it.base; v < it.block().end(); v++) {
                        out.add(v);
                    }
                }
            }
        }
        return out;
    }

    /** The rotor skips recovery reported, by arena: none unless the store ran below SYNC. */
    private Map<String, RecoveryReport.RotorSkip> skips(String ctx, VmemStore store) {
        Map<String, RecoveryReport.RotorSkip> skips = new HashMap<>();
        for (RecoveryReport.RotorSkip k : store.recovery().rotorSkips()) {
            assertTrue(skips.put(k.arena(), k) == null, ctx + " two rotor skips for '" + k.arena() + "': "
                    + store.recovery().rotorSkips());
        }
        assertTrue(skips.isEmpty() || level == Durability.WRITE || level == Durability.BUFFERED, ctx + " a store"
                + " used only at SYNC writes no rotor mark, yet recovery skipped " + skips.values());
        return skips;
    }

    /**
     * A skip runs from the recovered rotor to the mark, where the rotor now stands, and covers at most the
     * reserve: the mark was set at most one step (at most the reserve) ahead of a rotor position that the
     * journal kept, since the mark's record follows the unit that left the rotor there.
     */
    private void checkSkip(String ctx, RecoveryReport.RotorSkip skip, long rotor, long quantum) {
        assertEquals(rotor, skip.to(), ctx + " " + skip + ": the rotor does not stand where the skip says");
        long quanta = (skip.to() - skip.from()) / quantum;
        assertTrue(skip.from() < skip.to() && quanta <= rotorReserve, ctx + " " + skip + " skips " + quanta
                + " quanta; the rotor reserve is " + rotorReserve);
        stats.rotorSkips++;
        stats.skippedQuanta += quanta;
        stats.maxSkippedQuanta = Math.max(stats.maxSkippedQuanta, quanta);
    }

    /**
     * For each arena but scratch, the end of the last NEXT_FIT allocation among the acknowledged units the crash
     * took back, when they moved its rotor forward only (a wrap waits for its fsync, so a crash cannot take one
     * back): the rotor must stand at least there.
     */
    private Map<String, Long> lostRotors(List<Unit> lost) {
        Map<String, Long> out = new HashMap<>();
        Set<String> wrapped = new HashSet<>();
        for (Unit u : lost) {
            for (Item it : u.items()) {
                if (it.policy == Policy.NEXT_FIT && it.kind != 'f' && !it.arena.equals(SCRATCH)) {
                    Long before = out.put(it.arena, it.block().end());
                    if (before != null && before >= it.block().end()) {
                        wrapped.add(it.arena);
                    }
                }
            }
        }
        stats.lostNextFitWraps += wrapped.size();
        wrapped.forEach(out::remove);
        return out;
    }

    private void checkArenasAndSpans(String ctx, AckLog log, Map<String, PersistentArena> arenas,
            Set<String> mustExist, Map<String, Set<Block>> mustSpan) {
        for (String a : mustExist) {
            assertTrue(arenas.containsKey(a), ctx + " arena '" + a + "' was created (acknowledged) but is gone;"
                    + " reopened arenas: " + arenas.keySet());
        }
        Set<String> mayExist = new HashSet<>(mustExist);
        mayExist.add(SCRATCH); // checked by explain()
        Map<String, Set<Block>> maySpan = new HashMap<>();
        mustSpan.forEach((a, s) -> maySpan.put(a, new HashSet<>(s)));
        List<Item> setUp = log.inFlightByThread.get(0);
        if (setUp != null) {
            for (Item it : setUp) {
                if (it.kind == 'c') {
                    mayExist.add(it.arena);
                } else if (it.kind == 's') {
                    maySpan.computeIfAbsent(it.arena, k -> new HashSet<>()).add(new Block(it.base, it.size));
                }
            }
        }
        for (Map.Entry<String, PersistentArena> e : arenas.entrySet()) {
            assertTrue(mayExist.contains(e.getKey()), ctx + " arena '" + e.getKey()
                    + "' exists but its creation was neither acknowledged nor in flight");
            Set<Block> spans = new HashSet<>();
            for (Segment s : e.getValue().segments()) {
                if (s.kind() == Segment.Kind.SPAN) {
                    spans.add(new Block(s.base(), s.size()));
                }
            }
            assertTrue(spans.containsAll(mustSpan.getOrDefault(e.getKey(), Set.of())), ctx + " arena '"
                    + e.getKey() + "' lost an acknowledged span: has " + spans + ", needs "
                    + mustSpan.get(e.getKey()));
            assertTrue(maySpan.getOrDefault(e.getKey(), Set.of()).containsAll(spans), ctx + " arena '"
                    + e.getKey() + "' has spans " + spans + " that were never added");
        }
    }

    /**
     * Finds a set of in-flight units whose whole effect turns the model into the reopened state, or fails.
     * Returns how many in-flight units are present; fills the rotor positions present units may have left.
     */
    private int explain(String ctx, AckLog log, Map<String, Map<Block, Integer>> count, boolean scratchExpected,
            boolean scratchReopened, Map<String, Set<Block>> reopened, Map<String, Set<Long>> rotorCandidates) {
        List<Map.Entry<Integer, List<Item>>> units = new ArrayList<>(log.inFlight().entrySet());
        int best = -1;
        for (int mask = 0; mask < 1 << units.size(); mask++) {
            Map<String, Map<Block, Integer>> counts = new HashMap<>();
            count.forEach((a, c) -> counts.put(a, new HashMap<>(c)));
            List<Item> allocs = new ArrayList<>();
            boolean possible = true;
            boolean scratch = scratchExpected;
            boolean created = false;
            for (int u = 0; u < units.size() && possible; u++) {
                if ((mask & 1 << u) == 0) {
                    continue;
                }
                for (Item it : units.get(u).getValue()) {
                    if (it.kind == 'f') {
                        Integer n = counts.get(it.arena).get(it.block());
                        possible &= n != null && n > 0;
                        counts.get(it.arena).put(it.block(), n == null ? -1 : n - 1);
                    } else if (it.kind == 'a' || it.kind == 'x') {
                        allocs.add(it);
                    } else if (it.kind == 'c' || it.kind == 'd') {
                        scratch = it.kind == 'c';
                        created |= scratch;
                        counts.put(SCRATCH, new HashMap<>());
                        allocs.removeIf(a -> a.arena.equals(SCRATCH));
                    }
                }
            }
            if (!possible || scratch != scratchReopened) {
                continue;
            }
            Map<String, Set<Block>> model = new HashMap<>();
            for (String a : ARENAS) {
                Set<Block> live = new HashSet<>();
                for (Map.Entry<Block, Integer> c : counts.get(a).entrySet()) {
                    possible &= c.getValue() <= 1;
                    if (c.getValue() == 1) {
                        live.add(c.getKey());
                    }
                }
                model.put(a, live);
            }
            if (!possible) {
                continue;
            }
            Map<String, List<Block>> extras = new HashMap<>();
            int extraCount = 0;
            for (String a : ARENAS) {
                if (!reopened.get(a).containsAll(model.get(a))) {
                    possible = false;
                    break;
                }
                List<Block> x = new ArrayList<>();
                for (Block b : reopened.get(a)) {
                    if (!model.get(a).contains(b)) {
                        x.add(b);
                    }
                }
                extras.put(a, x);
                extraCount += x.size();
            }
            if (!possible || extraCount != allocs.size() || !match(allocs, 0, extras, new HashSet<>())) {
                continue;
            }
            best = Math.max(best, Integer.bitCount(mask));
            if (created) {
                rotorCandidates.computeIfAbsent(SCRATCH, k -> new HashSet<>()).add(0L);
            }
            for (Item it : allocs) {
                if (it.policy == Policy.NEXT_FIT) {
                    for (Block b : extras.get(it.arena)) {
                        if (it.admits(b)) {
                            rotorCandidates.computeIfAbsent(it.arena, k -> new HashSet<>()).add(b.end());
                        }
                    }
                }
            }
        }
        if (best < 0) {
            StringBuilder sb = new StringBuilder(ctx).append(" the reopened store is not the acknowledged state"
                    + " plus whole in-flight units:");
            for (String a : ARENAS) {
                Set<Block> acknowledged = new HashSet<>();
                count.get(a).forEach((b, n) -> {
                    if (n > 0) {
                        acknowledged.add(b);
                    }
                });
                Set<Block> missing = new TreeSet<>(Comparator.comparingLong(Block::base));
                Set<Block> extra = new TreeSet<>(Comparator.comparingLong(Block::base));
                for (Block b : acknowledged) {
                    if (!reopened.get(a).contains(b)) {
                        missing.add(b);
                    }
                }
                for (Block b : reopened.get(a)) {
                    if (!acknowledged.contains(b)) {
                        extra.add(b);
                    }
                }
                sb.append("\n  arena '").append(a).append("'").append(a.equals(SCRATCH) ? " (expected to exist: "
                        + scratchExpected + ", exists: " + scratchReopened + ")" : "").append(": acknowledged but missing ").append(limit(missing))
                        .append("; present but not acknowledged ").append(limit(extra));
                for (Block b : missing) {
                    sb.append('\n').append(log.linesAbout(a, b));
                    break;
                }
            }
            sb.append("\n  units in flight at the kill: ");
            for (Map.Entry<Integer, List<Item>> u : units) {
                sb.append("\n    thread ").append(u.getKey()).append(": ").append(u.getValue());
            }
            fail(sb.toString());
        }
        return best;
    }

    /** Whether the alloc items from {@code i} on can each take a distinct extra block they admit. */
    private boolean match(List<Item> allocs, int i, Map<String, List<Block>> extras, Set<Block> taken) {
        if (i == allocs.size()) {
            return true;
        }
        Item it = allocs.get(i);
        for (Block b : extras.get(it.arena)) {
            if (!taken.contains(b) && it.admits(b)) {
                taken.add(b);
                if (match(allocs, i + 1, extras, taken)) {
                    return true;
                }
                taken.remove(b);
            }
        }
        return false;
    }

    /**
     * Allocates PIDs with NEXT_FIT until the rotor wraps (or {@value #PROBES} of them) inside a batch that
     * then fails, so nothing of it stays: they must be exactly the free values from the rotor on, and none
     * of them a PID acknowledged in the rotor's current lap.
     */
    private void probePids(String ctx, AckLog log, VmemStore store, PersistentArena pids, Set<Block> live,
            boolean rotorFromModel, Set<Long> lostPids) {
        long rotor = pids.nextFitCursor();
        String before = pids.dump();
        List<Long> fromRotor = new ArrayList<>();
        long lowestFree = -1;
        for (Segment s : pids.segments()) {
            if (s.kind() != Segment.Kind.FREE) {
                continue;
            }
            if (lowestFree < 0) {
                lowestFree = s.base();
            }
            for (long v = Math.max(s.base(), rotor); v < s.end() && fromRotor.size() < PROBES; v++) {
                fromRotor.add(v);
            }
        }
        List<Long> probes = new ArrayList<>();
        try {
            store.batch(() -> {
                long previous = -1;
                for (int i = 0; i < PROBES; i++) {
                    long v = pids.tryAlloc(1, Policy.NEXT_FIT);
                    if (v == Arena.NONE) {
                        break;
                    }
                    probes.add(v);
                    if (v < previous) {
                        break;
                    }
                    previous = v;
                }
                throw new ProbeDone();
            });
        } catch (ProbeDone expectedFailure) {
            // The batch is taken back.
        }
        assertEquals(before, pids.dump(), ctx + " a failed batch of NEXT_FIT probes was not taken back whole");
        assertEquals(rotor, pids.nextFitCursor(), ctx + " the rotor moved in a batch that was taken back");

        Set<Long> livePids = new HashSet<>();
        for (Block b : live) {
            for (long v = b.base(); v < b.end(); v++) {
                livePids.add(v);
            }
        }
        // The current lap: acknowledged next-fit PIDs in ticket order after the last wrap.
        List<Block> nextFit = new ArrayList<>();
        log.acked.stream().sorted(Comparator.comparingLong(u -> u.ticket())).forEach(u -> {
            for (Item it : u.items()) {
                if (it.arena.equals(PIDS) && it.policy == Policy.NEXT_FIT && it.kind != 'f') {
                    nextFit.add(it.block());
                }
            }
        });
        int lapStart = 0;
        for (int i = 1; i < nextFit.size(); i++) {
            if (nextFit.get(i).base() < nextFit.get(i - 1).base()) {
                lapStart = i;
                stats.rotorWraps++;
            }
        }
        Set<Long> lap = new HashSet<>();
        for (Block b : nextFit.subList(lapStart, nextFit.size())) {
            for (long v = b.base(); v < b.end(); v++) {
                lap.add(v);
            }
        }
        for (int i = 0; i < probes.size(); i++) {
            long v = probes.get(i);
            // Wrapped or not: a skip that ran the rotor past the span's end does not make a lost value free to go.
            assertTrue(!lostPids.contains(v), ctx + " NEXT_FIT handed out PID " + v + " again: it was acknowledged"
                    + " by a unit the crash took back (rotor reopened at " + rotor + ", skips "
                    + store.recovery().rotorSkips() + ")");
            boolean wrapped = i > 0 && v < probes.get(i - 1) || i == 0 && v < rotor;
            if (wrapped) {
                assertTrue(i >= fromRotor.size(), ctx + " NEXT_FIT wrapped to " + v + " after " + i
                        + " PIDs although " + fromRotor.size() + " values from the rotor " + rotor + " were free");
                assertEquals(lowestFree, v, ctx + " after wrapping NEXT_FIT must take the lowest free PID");
                break;
            }
            assertTrue(i < fromRotor.size(), ctx + " NEXT_FIT handed out " + v + " but only " + fromRotor.size()
                    + " values from the rotor " + rotor + " were free");
            assertEquals(fromRotor.get(i), v, ctx + " probe " + i + ": NEXT_FIT after reopen from rotor " + rotor
                    + " should hand out the next free PID");
            assertTrue(!livePids.contains(v), ctx + " NEXT_FIT handed out PID " + v + ", which is live");
            assertTrue(!rotorFromModel || !lap.contains(v), ctx + " NEXT_FIT handed out PID " + v
                    + " again before the rotor came round: it was acknowledged in the current lap (rotor reopened at "
                    + rotor + ")");
        }
    }

    /** Thrown to take the probe batch back. */
    static final class ProbeDone extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ProbeDone() {
            super("probe done", null, false, false);
        }
    }

    private static String limit(Set<Block> blocks) {
        List<Block> list = new ArrayList<>(blocks);
        return list.size() <= 12 ? list.toString() : list.subList(0, 12) + " ... (" + list.size() + " in all)";
    }
}

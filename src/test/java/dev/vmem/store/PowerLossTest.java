package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vmem.store.PowerLossCheck.Outcome;
import dev.vmem.store.PowerLossCheck.Result;
import dev.vmem.store.PowerLossLog.Event;
import dev.vmem.store.PowerLossStates.Mode;
import dev.vmem.store.PowerLossStates.Spec;
import dev.vmem.store.PowerLossStates.State;
import dev.vmem.store.PowerLossWorkload.Setting;
import dev.vmem.testing.StoreDirectories;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The crash contract under power loss: one multi-threaded run of the store is recorded through
 * {@link RecordingFiles}, then many states a power loss could have left at instants of that run
 * ({@link PowerLossStates}) are opened and held to the contract ({@link PowerLossCheck}).
 *
 * <p>One run per {@link Durability} level, the store's default ({@link Setting}; batches override it and
 * threads call {@code sync()}). System properties: {@code vmem.powerloss.states} (default 500 at SYNC and
 * {@value #WEAK_STATES} at the others; {@code -Ptorture} sets 20,000 for each), {@code vmem.powerloss.seed}
 * (default random; printed), {@code vmem.powerloss.levels} (default all, e.g. {@code WRITE,BUFFERED}). The recorded run is concurrent and so differs
 * from one execution to the next; the seed fixes the run's random choices and every state's, and each
 * failing state is kept, as built, under {@code target/powerloss-failures/}.
 */
class PowerLossTest {
    private static final int THREADS = 3;
    private static final Duration RUN = Duration.ofMillis(1500);
    /** States per run at WRITE and BUFFERED by default: with SYNC's 500, about a minute in all. */
    private static final int WEAK_STATES = 200;
    /** States opened at once: this machine has two cores, and each open is mostly CPU. */
    private static final int CHECKERS = 2;
    /** Failing states kept on disk, of each kind of failure; the rest are counted and listed. */
    private static final int KEPT = 3;
    private static final int LISTED = 30;
    /** Events written beside a kept state, before and after its cut. */
    private static final int EVENTS_BEFORE = 600;
    private static final int EVENTS_AFTER = 100;
    private static final Path FAILURES = Path.of("target", "powerloss-failures");

    @ParameterizedTest(name = "{0}")
    @EnumSource(Durability.class)
    void everyStateAPowerLossCanLeaveOpensWithEveryAcknowledgedOperation(Durability level) throws Exception {
        long seed = Long.getLong("vmem.powerloss.seed", System.nanoTime());
        int count = Integer.getInteger("vmem.powerloss.states", level == Durability.SYNC ? 500 : WEAK_STATES);
        Assumptions.assumeTrue(System.getProperty("vmem.powerloss.levels", level.name()).toUpperCase(Locale.ROOT)
                .contains(level.name()), "vmem.powerloss.levels leaves out " + level);
        Setting setting = Setting.of(seed, level);
        System.out.println("PowerLossTest: " + setting + " seed=" + seed + " states=" + count
                + " (-Dvmem.powerloss.seed=" + seed + " repeats the random choices; the recorded run's thread"
                + " interleaving differs each time)");
        Path work = Path.of("target", "powerloss-work", level + "-seed" + seed);
        Path scratch = scratch().resolve("vmem-powerloss-" + level + "-seed" + seed);
        StoreDirectories.delete(work);
        StoreDirectories.delete(scratch);
        Path runDir = work.resolve("run");
        Files.createDirectories(runDir);
        try {
            long started = System.nanoTime();
            PowerLossLog log = new PowerLossLog();
            List<StoreStats> phases = PowerLossWorkload.run(runDir, seed, THREADS, RUN, setting, log);
            List<Event> events = log.events();
            long recorded = System.nanoTime();
            System.out.printf("PowerLossTest: %s: recorded %d events (%d acknowledgements, %d sync() barriers) in %d"
                    + " ms; the phases ended with %s%n", level, events.size(), events.stream()
                    .filter(e -> e instanceof PowerLossLog.Acked).count(), events.stream()
                    .filter(e -> e instanceof PowerLossLog.SyncReturned).count(), (recorded - started) / 1_000_000,
                    phases);

            PowerLossStates states = new PowerLossStates(events, seed);
            assertReplaysTheRun(states, runDir);
            Tally tally = checkStates(states, events, IntStream.range(0, count).boxed().toList(), seed, setting,
                    scratch);
            System.out.printf("PowerLossTest: %s: %d states in %d ms%n%s", level, count,
                    (System.nanoTime() - recorded) / 1_000_000, tally);
            assertTrue(tally.opened() > 0, "no state opened: the check cannot have checked anything");
            if (tally.failed() > 0) {
                fail(setting + " seed=" + seed + ": " + tally.failed() + " of " + count + " power-loss states broke the"
                        + " crash contract (failing states kept under " + FAILURES.toAbsolutePath() + "):\n" + tally);
            }
        } finally {
            StoreDirectories.delete(work);
            StoreDirectories.delete(scratch);
        }
    }

    /**
     * Where the states are opened: on a RAM file system where there is one. Their durability does not
     * matter (a failing state is kept by writing it again from memory), and each open, probe and close
     * fsyncs; the recorded run itself stays on the real disk, whose fsync timing shapes group commit.
     */
    private static Path scratch() {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of("target", "powerloss-work");
    }

    /**
     * The recorder and the model are faithful: the state that keeps everything written to the end of the
     * run is the run's directory, byte for byte.
     */
    private static void assertReplaysTheRun(PowerLossStates states, Path runDir) throws IOException {
        Map<String, byte[]> replayed = states.everythingWritten().files();
        List<String> differ = new ArrayList<>();
        for (Path f : StoreDirectories.files(runDir)) {
            String path = runDir.relativize(f).toString().replace('\\', '/');
            if (!Arrays.equals(Files.readAllBytes(f), replayed.get(path))) {
                differ.add(path);
            }
        }
        assertEquals(List.of(), differ, "replaying the recorded run gives other content for these files");
        assertEquals(StoreDirectories.files(runDir).size(), replayed.size(), "replaying the recorded run gives "
                + replayed.keySet());
    }

    /** Builds and checks the states, two at a time, and counts their outcomes. */
    private static Tally checkStates(PowerLossStates states, List<Event> events, List<Integer> indices, long seed,
            Setting setting, Path work) throws Exception {
        Tally tally = new Tally();
        ExecutorService pool = Executors.newFixedThreadPool(CHECKERS);
        // States are built in order of their cuts by one replay; a few wait here while the pool opens others.
        Semaphore queued = new Semaphore(2 * CHECKERS);
        try {
            states.build(indices, state -> {
                queued.acquireUninterruptibly();
                pool.execute(() -> {
                    try {
                        checkOne(state, events, seed, setting, work, tally);
                    } finally {
                        queued.release();
                    }
                });
            });
        } finally {
            pool.shutdown();
            // Bounded: a state takes tens of milliseconds; one that hangs fails the test rather than the build.
            long limit = 60_000 + 500L * indices.size();
            assertTrue(pool.awaitTermination(limit, TimeUnit.MILLISECONDS), "checking the states did not finish in "
                    + limit + " ms");
        }
        return tally;
    }

    private static void checkOne(State state, List<Event> events, long seed, Setting setting, Path work,
            Tally tally) {
        Path dir = work.resolve("state-" + state.spec().index());
        Result result;
        try {
            state.writeTo(dir);
            result = PowerLossCheck.check(dir, PowerLossAcks.before(events, state.spec().cut()),
                    state.lostUnsynced(), setting.rotorReserve());
        } catch (IOException | RuntimeException | AssertionError e) {
            result = new Result(Outcome.UNSOUND, "the test itself failed: " + e);
        }
        String kept = null;
        if (result.outcome().failed() && tally.keep(result)) {
            kept = keep(state, events, result, seed, setting);
        }
        try {
            StoreDirectories.delete(dir);
        } catch (IOException e) {
            if (!result.outcome().failed()) {
                result = new Result(Outcome.UNSOUND, "the test itself failed: cannot delete " + dir + ": " + e);
            }
        }
        tally.add(state.spec(), result, kept == null ? "" : " kept in " + kept);
    }

    /**
     * Writes the failing state again, as built, with what went wrong and the events around its cut (the
     * recorded run is not repeatable, so they are the only account of what led there); returns where.
     */
    private static String keep(State state, List<Event> events, Result result, long seed, Setting setting) {
        Path dir = FAILURES.resolve(setting.level() + "-seed" + seed).resolve("state" + state.spec().index() + "-cut"
                + state.spec().cut() + "-" + state.spec().mode());
        try {
            StoreDirectories.delete(dir);
            state.writeTo(dir);
            Files.writeString(dir.resolve("POWERLOSS.txt"), "seed=" + seed + "\n" + setting + "\n" + state.spec() + "\n"
                    + result.outcome() + " (" + result.outcome().meaning + ")\n" + result.detail() + "\n",
                    StandardCharsets.UTF_8);
            Files.write(dir.resolve("EVENTS.txt"), around(events, state.spec().cut()), StandardCharsets.UTF_8);
            return dir.toString();
        } catch (IOException e) {
            return "(not kept: " + e + ")";
        }
    }

    /** The events shortly before and after {@code cut}, one a line, numbered, with the cut marked. */
    private static List<String> around(List<Event> events, int cut) {
        List<String> lines = new ArrayList<>();
        for (int i = Math.max(0, cut - EVENTS_BEFORE); i < Math.min(events.size(), cut + EVENTS_AFTER); i++) {
            if (i == cut) {
                lines.add("---- power loss: the state holds what the events above left ----");
            }
            Event e = events.get(i);
            lines.add(i + " " + (e instanceof PowerLossLog.Wrote w ? "Wrote[channel=" + w.channel() + ", position="
                    + w.position() + ", bytes=" + w.bytes().length + "]" : e.toString()));
        }
        return lines;
    }

    /** Outcomes by mode, and the failures by kind. Thread-safe. */
    private static final class Tally {
        private final Map<Mode, Map<Outcome, Integer>> counts = new EnumMap<>(Mode.class);
        private final Map<String, Integer> kinds = new TreeMap<>();
        private final Map<Integer, String> failures = new TreeMap<>();
        private final Map<String, Integer> kept = new HashMap<>();
        /** Per arena: rotor skips seen, quanta never handed out they skipped in all, and the most in one. */
        private final Map<String, long[]> skips = new TreeMap<>();

        /** A failure's kind: its outcome and message without numbers and paths, which differ from state to state. */
        private static String kind(Result result) {
            return result.outcome() + ": " + result.detail().replaceAll("\\S*/\\S*", "<file>").replaceAll("\\d+", "N");
        }

        /** Whether to keep this failing state on disk: the first few of each kind. */
        synchronized boolean keep(Result result) {
            return kept.merge(kind(result), 1, Integer::sum) <= KEPT;
        }

        synchronized void add(Spec spec, Result result, String where) {
            counts.computeIfAbsent(spec.mode(), m -> new EnumMap<>(Outcome.class)).merge(result.outcome(), 1,
                    Integer::sum);
            result.skipped().forEach((arena, never) -> {
                long[] s = skips.computeIfAbsent(arena, a -> new long[3]);
                s[0]++;
                s[1] += never;
                s[2] = Math.max(s[2], never);
            });
            if (result.outcome().failed()) {
                kinds.merge(kind(result), 1, Integer::sum);
                failures.put(spec.index(), spec + where + ": " + result.outcome() + ": " + result.detail());
            }
        }

        synchronized int failed() {
            return failures.size();
        }

        synchronized int opened() {
            return counts.values().stream().mapToInt(m -> m.getOrDefault(Outcome.INTACT, 0)
                    + m.getOrDefault(Outcome.TAIL_CUT, 0) + m.getOrDefault(Outcome.ACK_CUT, 0)).sum();
        }

        @Override
        public synchronized String toString() {
            StringBuilder sb = new StringBuilder();
            for (Outcome o : Outcome.values()) {
                sb.append(String.format("  %-9s %-58s %s%n", o, o.meaning, counts.entrySet().stream()
                        .map(e -> e.getKey() + " " + e.getValue().getOrDefault(o, 0))
                        .collect(Collectors.joining(", "))));
            }
            skips.forEach((arena, s) -> sb.append(String.format("  rotor skips in '%s': %d states, never-handed-out"
                    + " quanta skipped: mean %.1f, max %d%n", arena, s[0], (double) s[1] / s[0], s[2])));
            kinds.forEach((k, n) -> sb.append(String.format("  %5d x %s%n", n, k)));
            failures.values().stream().limit(LISTED).forEach(f -> sb.append("  ").append(f).append('\n'));
            if (failures.size() > LISTED) {
                sb.append("  ... ").append(failures.size() - LISTED).append(" more\n");
            }
            return sb.toString();
        }
    }
}

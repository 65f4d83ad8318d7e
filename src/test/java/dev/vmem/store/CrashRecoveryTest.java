package dev.vmem.store;

import static dev.vmem.store.CrashWorker.DISK;
import static dev.vmem.store.CrashWorker.PIDS;
import static dev.vmem.store.CrashWorker.SCRATCH;
import static dev.vmem.store.CrashWorker.TENANT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vmem.Arena;
import dev.vmem.Constraints;
import dev.vmem.Policy;
import dev.vmem.Segment;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.File;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
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
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crash contract of DESIGN.md section 4, checked with real {@code kill -9}s: a forked {@link CrashWorker}
 * hammers a store from several threads and prints every operation once it is acknowledged; the test kills
 * it at a random instant (after start-up, during start-up or recovery, or just as a checkpoint begins),
 * reopens the store and checks that
 * <ol>
 *   <li>it opens;</li>
 *   <li>every acknowledged operation is there and no part of an unacknowledged one: the difference between
 *       the reopened arenas and the model built from the acknowledged lines is explained by whole
 *       in-flight units (at most one per worker thread; a batch is one unit);</li>
 *   <li>{@code verify()} and every arena's {@code checkInvariants()} are empty;</li>
 *   <li>each NEXT_FIT rotor is where the last acknowledged (or present in-flight) next-fit allocation left
 *       it, and PIDs allocated after reopening are exactly the free values from the rotor on: no PID
 *       acknowledged in the current lap of the rotor is handed out again.</li>
 * </ol>
 * Then the worker runs again on the same store, so history accumulates across kills. Besides PIDs (NEXT_FIT),
 * constrained disk extents and a tenant importing from disk, the worker creates and drops a scratch arena that
 * imports from disk too, alone and inside batches, some of which fail at their end and must leave no trace.
 *
 * <p>{@code -Dvmem.crash.kills=N} sets the number of kills (default 50; {@code -Ptorture} runs 1000),
 * {@code -Dvmem.crash.seed=S} the seed (printed in every failure). A failing round's store, as it was
 * before the test reopened it, is kept under {@code target/crash-failures/}.
 */
class CrashRecoveryTest {
    private static final int KILLS = Integer.getInteger("vmem.crash.kills", 50);
    private static final long SEED = Long.getLong("vmem.crash.seed", ThreadLocalRandom.current().nextLong());
    private static final long PAGE = CrashWorker.PAGE;
    private static final Map<String, Long> QUANTUM = Map.of(PIDS, 1L, DISK, PAGE, TENANT, PAGE, SCRATCH, PAGE);
    private static final List<String> ARENAS = List.of(PIDS, DISK, TENANT, SCRATCH);
    /** The arenas that import from disk. */
    private static final List<String> IMPORTERS = List.of(TENANT, SCRATCH);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final int PROBES = 300;
    private static final int LANES = 2;
    /** Set when a lane failed: the other lanes stop at their next round. */
    private static final AtomicBoolean STOP = new AtomicBoolean();

    @TempDir
    Path tmp;

    enum Plan {
        /** 50 ms to 1 s after READY. */
        RANDOM,
        /** Anywhere from the fork to a little after READY: start-up, recovery, arena set-up. */
        STARTUP,
        /** Just after a checkpoint write begins. */
        CHECKPOINT
    }

    @Test
    void killNineAtRandomInstants_longHistories_keepTheCrashContract() throws Exception {
        int kills = Math.max(2, KILLS * 3 / 5);
        List<Stats> stats = inLanes(kills, SEED, (lane, laneKills, rnd, st) -> {
            History h = new History(tmp.resolve("long-" + lane), "long" + lane, st);
            for (int round = 0; round < laneKills; round++) {
                int p = rnd.nextInt(100);
                Plan plan = round == 0 ? Plan.RANDOM : p < 70 ? Plan.RANDOM : p < 80 ? Plan.STARTUP : Plan.CHECKPOINT;
                h.round(round, rnd.nextLong(), plan, rnd);
            }
        });
        for (Stats st : stats) {
            assertTrue(st.acknowledged > st.kills * 10L, st + ": the worker did too little");
        }
    }

    @Test
    void killNineDuringStartUpAndCheckpoints_freshAndShortHistories_keepTheCrashContract() throws Exception {
        int kills = Math.max(2, KILLS - KILLS * 3 / 5);
        inLanes(kills, SEED ^ 0x5DEECE66DL, (lane, laneKills, rnd, st) -> {
            History h = null;
            for (int round = 0; round < laneKills; round++) {
                if (round % 5 == 0) {
                    h = new History(tmp.resolve("short-" + lane + "-" + round), "short" + lane + "-" + round, st);
                }
                int p = rnd.nextInt(100);
                Plan plan = p < 40 ? Plan.STARTUP : p < 85 ? Plan.CHECKPOINT : Plan.RANDOM;
                h.round(round, rnd.nextLong(), plan, rnd);
            }
        });
    }

    /** One lane of kills: its own stores, random stream and statistics. */
    @FunctionalInterface
    interface Lane {
        void run(int lane, int kills, Random rnd, Stats stats) throws Exception;
    }

    /**
     * Runs {@code kills} kills in {@value #LANES} lanes at once (each lane its own stores and worker), so that
     * the workers' JVM start-ups overlap; the first failure stops the other lanes and is rethrown.
     */
    private static List<Stats> inLanes(int kills, long seed, Lane body) throws Exception {
        List<Stats> stats = new ArrayList<>();
        List<Future<?>> futures = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(LANES, r -> {
            Thread t = new Thread(r, "crash-lane-" + r.hashCode());
            t.setDaemon(true);
            return t;
        });
        // Everything is bounded: a store call that hangs (say, close() waiting for an fsync that never comes)
        // fails the test with the lanes' stacks instead of hanging the build.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60 + 10L * (kills / LANES + 1));
        Throwable failure = null;
        try {
            for (int lane = 0; lane < LANES; lane++) {
                int n = kills / LANES + (lane < kills % LANES ? 1 : 0);
                Random rnd = new Random(seed + lane);
                Stats st = new Stats("lane " + lane);
                stats.add(st);
                int l = lane;
                futures.add(pool.submit(() -> {
                    try {
                        body.run(l, n, rnd, st);
                    } catch (Exception | Error e) {
                        STOP.set(true);
                        throw e;
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    STOP.set(true);
                    StringBuilder sb = new StringBuilder("[seed=" + SEED + "] the crash lanes did not finish in time;"
                            + " their stacks:");
                    for (Map.Entry<Thread, StackTraceElement[]> t : Thread.getAllStackTraces().entrySet()) {
                        if (t.getKey().getName().startsWith("crash-lane-")) {
                            sb.append("\n  ").append(t.getKey().getName());
                            for (StackTraceElement el : t.getValue()) {
                                sb.append("\n    at ").append(el);
                            }
                        }
                    }
                    AssertionError timeout = new AssertionError(sb.toString(), e);
                    if (failure == null || failure instanceof LaneStopped) {
                        failure = timeout;
                    } else {
                        failure.addSuppressed(timeout);
                    }
                    break;
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (failure == null || failure instanceof LaneStopped) {
                        failure = cause;
                    } else if (!(cause instanceof LaneStopped)) {
                        failure.addSuppressed(cause);
                    }
                }
            }
        } finally {
            STOP.set(true);
            pool.shutdown();
            if (failure instanceof AssertionError || !pool.awaitTermination(120, TimeUnit.SECONDS)) {
                pool.shutdownNow(); // a hung lane thread is a daemon: it cannot keep the JVM alive
            }
            STOP.set(false);
        }
        for (Stats st : stats) {
            st.print();
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw (Exception) failure;
        }
        return stats;
    }

    /** Thrown by a lane that stops because another one failed. */
    static final class LaneStopped extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LaneStopped() {
            super("stopped: another lane failed");
        }
    }

    /**
     * The state a {@code kill -9} leaves when it lands inside the very first open, after the format file's
     * temporary copy was written and before it was renamed: the directory holds only {@code FORMAT.tmp}.
     * Reopening must succeed without manual repair (contract point 1).
     */
    @Test
    void killDuringStoreCreation_leavesADirectoryThatOpens() throws Exception {
        Path dir = tmp.resolve("created");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(StoreFormat.FORMAT_FILE + ".tmp"), StoreFormat.FORMAT_LINE_PREFIX);
        try (VmemStore store = VmemStore.open(StoreOptions.builder(dir).checkpointInterval(Duration.ZERO).build())) {
            assertEquals(List.of(), store.verify());
        }
    }

    /**
     * The same with a real {@code kill -9}: the worker is killed the moment its new store's format file (or its
     * temporary copy) appears, and the directory must then open.
     */
    @Test
    void killNineTheMomentANewStoreAppears_leavesADirectoryThatOpens() throws Exception {
        for (int attempt = 0; attempt < 3; attempt++) {
            Path dir = tmp.resolve("appearing-" + attempt);
            String ctx = "[seed=" + SEED + " attempt=" + attempt + " dir=" + dir + "]";
            Path format = dir.resolve(StoreFormat.FORMAT_FILE);
            Path formatTmp = dir.resolve(StoreFormat.FORMAT_FILE + ".tmp");
            Process process = new ProcessBuilder(javaCommand(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                    "-cp", System.getProperty("java.class.path"), CrashWorker.class.getName(), dir.toString(), "1",
                    "mixed").redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String left;
            try {
                long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
                while (!Files.exists(formatTmp) && !Files.exists(format) && System.nanoTime() < deadline
                        && process.isAlive()) {
                    Thread.onSpinWait();
                }
                process.destroyForcibly();
                assertTrue(process.waitFor(30, TimeUnit.SECONDS), ctx + " the worker did not die");
                assertEquals(137, process.exitValue(), ctx + " the worker should have died of SIGKILL");
                try (Stream<Path> files = Files.list(dir)) {
                    left = files.map(p -> p.getFileName().toString()).sorted().toList().toString();
                }
            } finally {
                if (process.isAlive()) {
                    process.destroyForcibly();
                    process.waitFor(30, TimeUnit.SECONDS);
                }
            }
            try (VmemStore store = VmemStore.open(StoreOptions.builder(dir).checkpointInterval(Duration.ZERO)
                    .build())) {
                assertEquals(List.of(), store.verify(), ctx);
            } catch (NotAStoreException e) {
                fail(ctx + " kill -9 while the store was being created left " + left + ", which does not open: " + e,
                        e);
            }
        }
    }

    // ------------------------------------------------------------------------------------------ rounds

    static final class Stats {
        final String name;
        final long started = System.nanoTime();
        int kills;
        final Map<Plan, Integer> plans = new TreeMap<>();
        long acknowledged;
        long batches;
        long rejected;
        long scratchCreates;
        long scratchDrops;
        int inFlightAtKill;
        int inFlightPresent;
        int killsBeforeReady;
        int killsInCheckpointWrite;
        int damagedCheckpointFiles;
        int checkpointsBegun;
        int partialLines;
        int rotorWraps;
        long maxLivePids;
        long readyMillis;
        int readyCount;
        long checkMillis;

        Stats(String name) {
            this.name = name;
        }

        void print() {
            System.out.println("CrashRecoveryTest " + this);
        }

        @Override
        public String toString() {
            return String.format("[%s] seed=%d kills=%d plans=%s in %.1f s: %d acknowledged units (%d batches), %d"
                    + " rejected, scratch arena created %d and dropped %d times; at the kill %d units in flight, %d of them present after reopen; %d kills before"
                    + " READY; %d kills inside a checkpoint write (%d damaged checkpoint files found, %d checkpoints"
                    + " begun in all); %d partial lines cut off; %d rotor wraps seen; up to %d live PIDs; worker READY"
                    + " after %d ms on average, reopen and checks %d ms on average", name, SEED,
                    kills, plans, (System.nanoTime() - started) / 1e9, acknowledged, batches, rejected, scratchCreates,
                    scratchDrops, inFlightAtKill,
                    inFlightPresent, killsBeforeReady, killsInCheckpointWrite, damagedCheckpointFiles,
                    checkpointsBegun, partialLines, rotorWraps, maxLivePids, readyMillis / Math.max(1, readyCount),
                    checkMillis / Math.max(1, kills));
        }
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

    record Block(long base, long size) {
        long end() {
            return base + size;
        }

        @Override
        public String toString() {
            return "[" + base + "+" + size + ")";
        }
    }

    /** One store and the worker runs against it. */
    final class History {
        final Path dir;
        final String name;
        final Stats stats;
        Baseline baseline = new Baseline();
        long lastReadyMillis = 700;

        History(Path dir, String name, Stats stats) {
            this.dir = dir;
            this.name = name;
            this.stats = stats;
        }

        void round(int round, long roundSeed, Plan plan, Random rnd) throws Exception {
            if (STOP.get()) {
                throw new LaneStopped();
            }
            String mode = CrashWorker.MODES[Math.floorMod(roundSeed, CrashWorker.MODES.length)];
            String ctx = "[seed=" + SEED + " history=" + name + " round=" + round + " roundSeed=" + roundSeed
                    + " mode=" + mode + " plan=" + plan + " dir=" + dir + "]";
            Path stderr = tmp.resolve(name + "-stderr.txt");
            Path stdout = tmp.resolve(name + "-stdout.txt");
            Files.createDirectories(dir);
            List<String> command = List.of(javaCommand(), "-ea", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                    "-Xshare:auto", "-XX:-UsePerfData", "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                    CrashWorker.class.getName(), dir.toString(), Long.toString(roundSeed), mode);
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(stderr.toFile())
                    .redirectOutput(stdout.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            long spawned = System.nanoTime();
            Process process = pb.start();
            LineReader reader = new LineReader(stdout);
            reader.start();
            int exit;
            try {
                switch (plan) {
                    case STARTUP:
                        long delay = (long) (rnd.nextDouble() * 1.15 * lastReadyMillis);
                        Thread.sleep(delay);
                        break;
                    case CHECKPOINT:
                        awaitReady(reader, process, spawned, ctx, stderr);
                        int skip = rnd.nextInt(3);
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                        for (int i = 0; i <= skip; i++) {
                            if (reader.await(l -> l.startsWith("CB "), deadline, process) == null) {
                                break;
                            }
                        }
                        long spin = rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(3000);
                        long until = System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(spin);
                        while (System.nanoTime() < until) {
                            Thread.onSpinWait();
                        }
                        break;
                    default:
                        awaitReady(reader, process, spawned, ctx, stderr);
                        double u = rnd.nextDouble();
                        Thread.sleep(50 + (long) (950 * u * u)); // 50 ms to 1 s, short ones more often
                        break;
                }
                process.destroyForcibly();
                assertTrue(process.waitFor(30, TimeUnit.SECONDS), ctx + " the worker did not die within 30 s of kill -9");
                exit = process.exitValue();
            } finally {
                if (process.isAlive()) {
                    process.destroyForcibly();
                    process.waitFor(30, TimeUnit.SECONDS);
                }
                reader.finish();
                reader.join(30_000);
            }
            assertTrue(!reader.isAlive() && reader.failure == null, ctx + " reading the worker's stdout failed: "
                    + reader.failure);
            List<String> lines = reader.lines();
            for (String l : lines) {
                if (l.startsWith("BUG ")) {
                    fail(ctx + " the worker hit an unexpected exception: " + l + "\n" + tail(stderr));
                }
            }
            assertEquals(137, exit, ctx + " the worker should have died of SIGKILL (exit 137), it exited with " + exit
                    + "\n" + tail(stderr));
            stats.kills++;
            stats.plans.merge(plan, 1, Integer::sum);
            stats.partialLines += reader.partial ? 1 : 0;
            if (lines.contains("READY") && plan != Plan.STARTUP) {
                int ready = reader.readyAtLine;
                if (ready >= 0) {
                    lastReadyMillis = Math.max(100, reader.readyAtMillis(spawned));
                    stats.readyMillis += lastReadyMillis;
                    stats.readyCount++;
                }
            }
            Path copy = tmp.resolve(name + "-before-reopen");
            deleteTree(copy);
            copyTree(dir, copy);
            long checkStarted = System.nanoTime();
            try {
                check(ctx, lines, rnd);
                stats.checkMillis += (System.nanoTime() - checkStarted) / 1_000_000;
            } catch (AssertionError | RuntimeException e) {
                Path keep = Path.of("target", "crash-failures", "seed" + SEED + "-" + name + "-round" + round);
                try {
                    deleteTree(keep);
                    copyTree(copy, keep);
                    Files.write(keep.resolve("worker-stdout.txt"), lines, StandardCharsets.UTF_8);
                    Files.copy(stderr, keep.resolve("worker-stderr.txt"), StandardCopyOption.REPLACE_EXISTING);
                    Files.writeString(keep.resolve("baseline.txt"), baseline.toString());
                    e.addSuppressed(new RuntimeException("store before reopen kept in " + keep.toAbsolutePath()));
                } catch (IOException | UncheckedIOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }

        private void awaitReady(LineReader reader, Process process, long spawned, String ctx, Path stderr)
                throws Exception {
            long deadline = spawned + READY_TIMEOUT.toNanos();
            if (reader.await("READY"::equals, deadline, process) == null) {
                fail(ctx + " the worker did not print READY within " + READY_TIMEOUT + " (alive=" + process.isAlive()
                        + ")\n" + tail(stderr));
            }
        }

        // -------------------------------------------------------------------------------------- the check

        private void check(String ctx, List<String> lines, Random rnd) throws Exception {
            Log log = Log.parse(lines, ctx);
            stats.acknowledged += log.acked.size();
            stats.batches += log.acked.stream().filter(u -> u.items.size() > 1).count();
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

            // The model: the baseline plus every acknowledged unit. A block's count must end at 0 or 1.
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
            for (Unit u : log.acked) {
                for (Item it : u.items) {
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
                                assertTrue(u.ticket >= 0, ctx + " a NEXT_FIT unit without a ticket: " + u);
                                Unit last = lastNextFit.get(it.arena);
                                if (last == null || last.ticket < u.ticket) {
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

            // (1) it opens.
            StoreOptions options = StoreOptions.builder(dir).createIfMissing(!log.anyAck && baseline.arenas.isEmpty())
                    .checkpointInterval(Duration.ZERO).build();
            VmemStore store;
            try {
                store = VmemStore.open(options);
            } catch (RuntimeException e) {
                throw new AssertionError(ctx + " the store does not reopen after kill -9: " + e, e);
            }
            boolean closed = false;
            try {
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
                for (String a : ARENAS) {
                    if (!arenas.containsKey(a)) {
                        continue;
                    }
                    Unit last = lastNextFit.get(a);
                    long model = rotorReset.contains(a) ? 0 : baseline.rotor.getOrDefault(a, 0L);
                    if (last != null) {
                        for (Item it : last.items) {
                            if (it.arena.equals(a) && it.policy == Policy.NEXT_FIT && it.kind != 'f') {
                                model = it.block().end();
                            }
                        }
                    }
                    Set<Long> allowed = new TreeSet<>(rotorCandidates.getOrDefault(a, Set.of()));
                    allowed.add(model);
                    long rotor = arenas.get(a).nextFitCursor();
                    if (rotor == model) {
                        rotorFromModel.add(a);
                    }
                    assertTrue(allowed.contains(rotor), ctx + " arena '" + a + "': NEXT_FIT rotor reopened at " + rotor
                            + ", but the last acknowledged next-fit allocation " + last + " left it at " + model
                            + " (allowed with in-flight units: " + allowed + ")");
                }
                if (arenas.containsKey(PIDS) && !mustSpan.getOrDefault(PIDS, Set.of()).isEmpty()) {
                    probePids(ctx, log, store, arenas.get(PIDS), reopened.get(PIDS), rotorFromModel.contains(PIDS));
                }
                stats.maxLivePids = Math.max(stats.maxLivePids, reopened.get(PIDS).size());

                // (3) the full check.
                assertEquals(List.of(), store.verify(), ctx + " verify() after reopen");
                for (PersistentArena a : arenas.values()) {
                    assertEquals(List.of(), a.checkInvariants(), ctx + " invariants of '" + a.name() + "'");
                }

                // Recovery is repeatable: a crash right after reopening recovers the same state.
                if (rnd.nextInt(4) == 0) {
                    Map<String, String> dumps = dumps(store);
                    StoreCrash.crash(store);
                    closed = true;
                    store = VmemStore.open(options);
                    closed = false;
                    assertEquals(dumps, dumps(store), ctx + " reopening twice gives another state");
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
                baseline = next;
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
        }

        private void checkArenasAndSpans(String ctx, Log log, Map<String, PersistentArena> arenas,
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
        private int explain(String ctx, Log log, Map<String, Map<Block, Integer>> count, boolean scratchExpected,
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
        private void probePids(String ctx, Log log, VmemStore store, PersistentArena pids, Set<Block> live,
                boolean rotorFromModel) {
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
            log.acked.stream().sorted(Comparator.comparingLong(u -> u.ticket)).forEach(u -> {
                for (Item it : u.items) {
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
    }

    /** Thrown to take the probe batch back. */
    static final class ProbeDone extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ProbeDone() {
            super("probe done", null, false, false);
        }
    }

    // ------------------------------------------------------------------------------------------ the log

    /** One item of a unit, as the worker printed it. */
    static final class Item {
        char kind;
        String arena;
        long size;
        long base = -1;
        Policy policy;
        Constraints constraints;

        /** The block an alloc produced or a free names, size rounded to the arena's quantum. */
        Block block() {
            long q = QUANTUM.get(arena);
            return new Block(base, (size + q - 1) / q * q);
        }

        /** Whether an allocation of this item could have produced {@code b}. */
        boolean admits(Block b) {
            long q = QUANTUM.get(arena);
            if (b.size() != (size + q - 1) / q * q || b.base() % q != 0) {
                return false;
            }
            return constraints == null || constraints.admits(b.base());
        }

        static Item parse(String text, String ctx) {
            String[] t = text.trim().split(" ");
            Item it = new Item();
            it.kind = t[0].charAt(0);
            it.arena = t[1];
            switch (it.kind) {
                case 'c':
                case 'd':
                    break;
                case 's':
                case 'f':
                    it.base = Long.parseLong(t[2]);
                    it.size = Long.parseLong(t[3]);
                    break;
                case 'a':
                    it.size = Long.parseLong(t[2]);
                    it.policy = Policy.valueOf(t[3]);
                    it.base = t[4].equals("?") ? -1 : Long.parseLong(t[4]);
                    break;
                case 'x':
                    it.constraints = new Constraints(Long.parseLong(t[2]), Long.parseLong(t[3]), Long.parseLong(t[4]),
                            Long.parseLong(t[5]), Long.parseLong(t[6]), Long.parseLong(t[7]));
                    it.size = it.constraints.size();
                    it.policy = Policy.valueOf(t[8]);
                    it.base = t[9].equals("?") ? -1 : Long.parseLong(t[9]);
                    break;
                default:
                    fail(ctx + " unknown item '" + text + "'");
            }
            return it;
        }

        @Override
        public String toString() {
            switch (kind) {
                case 'c':
                    return "create " + arena;
                case 'd':
                    return "drop " + arena;
                case 's':
                    return "span " + arena + " [" + base + "+" + size + ")";
                case 'f':
                    return "free " + arena + " " + block();
                default:
                    return (kind == 'a' ? "alloc " : "xalloc " + constraints + " ") + arena + " size " + size + " "
                            + policy + " -> " + (base < 0 ? "?" : Long.toString(base));
            }
        }
    }

    /** An acknowledged unit. */
    record Unit(int tid, long ticket, List<Item> items, int line) {
        @Override
        public String toString() {
            return "line " + line + " thread " + tid + " ticket " + ticket + " " + items;
        }
    }

    /** The worker's stdout, parsed. */
    static final class Log {
        final List<String> lines;
        final List<Unit> acked = new ArrayList<>();
        final Map<Integer, List<Item>> inFlightByThread = new TreeMap<>();
        boolean ready;
        boolean anyAck;
        int rejected;
        int checkpointsBegun;
        boolean inCheckpointWrite;

        Log(List<String> lines) {
            this.lines = lines;
        }

        static Log parse(List<String> lines, String ctx) {
            Log log = new Log(lines);
            for (int n = 0; n < lines.size(); n++) {
                String line = lines.get(n);
                String[] head = line.split(" ", 4);
                switch (head[0]) {
                    case "READY":
                        log.ready = true;
                        break;
                    case "CB":
                        log.checkpointsBegun++;
                        log.inCheckpointWrite = true;
                        break;
                    case "CE":
                        log.inCheckpointWrite = false;
                        break;
                    case "S": {
                        int tid = Integer.parseInt(head[1]);
                        log.inFlightByThread.put(tid, items(line.substring(line.indexOf(' ', 2) + 1), ctx));
                        break;
                    }
                    case "K": {
                        int tid = Integer.parseInt(head[1]);
                        long ticket = head[2].equals("-") ? -1 : Long.parseLong(head[2]);
                        log.inFlightByThread.remove(tid);
                        log.acked.add(new Unit(tid, ticket, items(head[3], ctx), n + 1));
                        log.anyAck = true;
                        break;
                    }
                    case "N":
                        log.inFlightByThread.remove(Integer.parseInt(head[1]));
                        log.rejected++;
                        break;
                    default:
                        fail(ctx + " unexpected worker line " + (n + 1) + ": '" + line + "'");
                }
            }
            return log;
        }

        private static List<Item> items(String text, String ctx) {
            List<Item> out = new ArrayList<>();
            for (String part : text.split(" ; ")) {
                out.add(Item.parse(part, ctx));
            }
            return out;
        }

        /** Units in flight at the kill, of the worker threads (thread 0 is set-up, checked apart). */
        Map<Integer, List<Item>> inFlight() {
            Map<Integer, List<Item>> out = new TreeMap<>(inFlightByThread);
            out.remove(0);
            return out;
        }

        /** The worker lines that mention {@code b}'s base in arena {@code a}, for failure messages. */
        String linesAbout(String a, Block b) {
            StringBuilder sb = new StringBuilder("  worker lines about " + a + " " + b + ":");
            int shown = 0;
            for (int n = 0; n < lines.size() && shown < 20; n++) {
                String l = lines.get(n);
                if (l.contains(" " + a + " ") && l.contains(" " + b.base())) {
                    sb.append("\n    ").append(n + 1).append(": ").append(l);
                    shown++;
                }
            }
            return sb.toString();
        }
    }

    // ------------------------------------------------------------------------------------------ plumbing

    /**
     * Follows the worker's stdout, which goes to a file: reading a killed child's pipe through {@link Process}
     * can lose its last lines (the JDK's reaper swaps the stream under a blocked reader: "Stream closed").
     * A last line without its newline was cut by the kill and is dropped.
     */
    static final class LineReader extends Thread {
        private final Path file;
        private final List<String> lines = new ArrayList<>();
        private final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
        private final List<Long> times = new ArrayList<>();
        private volatile boolean finish;
        volatile boolean partial;
        volatile int readyAtLine = -1;
        volatile IOException failure;

        LineReader(Path file) {
            super("crash-worker-stdout");
            setDaemon(true);
            this.file = file;
        }

        /** The worker is dead: read what is left and stop. */
        void finish() {
            finish = true;
        }

        @Override
        public void run() {
            ByteArrayOutputStream current = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                while (true) {
                    boolean last = finish;
                    buf.clear();
                    int n = ch.read(buf);
                    if (n <= 0) {
                        if (last) {
                            break;
                        }
                        LockSupport.parkNanos(200_000);
                        continue;
                    }
                    byte[] bytes = buf.array();
                    for (int i = 0; i < n; i++) {
                        if (bytes[i] == '\n') {
                            String line = current.toString(StandardCharsets.UTF_8);
                            current.reset();
                            synchronized (this) {
                                if (line.equals("READY")) {
                                    readyAtLine = lines.size();
                                }
                                lines.add(line);
                                times.add(System.nanoTime());
                            }
                            queue.add(line);
                        } else {
                            current.write(bytes[i]);
                        }
                    }
                }
            } catch (IOException e) {
                failure = e;
            }
            partial = current.size() > 0;
        }

        synchronized List<String> lines() {
            return new ArrayList<>(lines);
        }

        synchronized long readyAtMillis(long spawnedNanos) {
            return (times.get(readyAtLine) - spawnedNanos) / 1_000_000;
        }

        /** The next line matching {@code p}, or null at the deadline or once the worker has died. */
        String await(Predicate<String> p, long deadlineNanos, Process process) throws InterruptedException {
            boolean dead = false;
            while (true) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                String line = queue.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(20)), TimeUnit.NANOSECONDS);
                if (line != null && p.test(line)) {
                    return line;
                }
                if (line == null) {
                    if (dead) {
                        return null;
                    }
                    dead = !process.isAlive(); // one more poll after death for the lines it wrote last
                }
            }
        }
    }

    private static String javaCommand() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static Map<String, String> dumps(VmemStore store) {
        Map<String, String> out = new LinkedHashMap<>();
        for (PersistentArena a : store.arenas()) {
            out.put(a.name(), a.dump());
        }
        return out;
    }

    private static String limit(Set<Block> blocks) {
        List<Block> list = new ArrayList<>(blocks);
        return list.size() <= 12 ? list.toString() : list.subList(0, 12) + " ... (" + list.size() + " in all)";
    }

    private static String tail(Path file) {
        try {
            if (!Files.exists(file)) {
                return "(no worker stderr)";
            }
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return "worker stderr (last 40 lines):\n" + String.join("\n", all.subList(Math.max(0, all.size() - 40),
                    all.size()));
        } catch (IOException e) {
            return "(worker stderr unreadable: " + e + ")";
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        if (!Files.exists(from)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}

package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vmem.testing.StoreDirectories;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * One store and the rounds of workers run against it, so that history accumulates across kills. A round forks a
 * {@link ForkedWorker}, kills it as its {@link Plan} says, then has {@link ReopenCheck} compare the reopened store
 * with what the worker acknowledged. A failing round's store, as it was before the check reopened it, is kept
 * under {@code target/crash-failures/} with the worker's output and the baseline.
 */
final class CrashHistory {
    /** When a round's kill lands. */
    enum Plan {
        /** 50 ms to 1 s after READY. */
        RANDOM,
        /** Anywhere from the fork to a little after READY: start-up, recovery, arena set-up. */
        STARTUP,
        /** Just after a checkpoint write begins. */
        CHECKPOINT
    }

    private final Path dir;
    private final String name;
    private final CrashStats stats;
    private final long seed;
    /** Where the worker's output and the copies of the store go. */
    private final Path scratch;
    private final ReopenCheck check;
    /** The level every worker of this history opens the store at, or null: the classic worker, at SYNC. */
    private final Durability level;
    private final long rotorReserve;
    private ReopenCheck.Baseline baseline = new ReopenCheck.Baseline();
    private long lastReadyMillis = 700;

    CrashHistory(Path dir, String name, CrashStats stats, Path scratch) {
        this(dir, name, stats, scratch, null, 0);
    }

    /** A history whose workers open the store at {@code level} with {@code rotorReserve}. */
    CrashHistory(Path dir, String name, CrashStats stats, Path scratch, Durability level, long rotorReserve) {
        this.dir = dir;
        this.name = name;
        this.stats = stats;
        this.seed = stats.seed;
        this.scratch = scratch;
        this.level = level;
        this.rotorReserve = rotorReserve;
        this.check = new ReopenCheck(dir, stats, level, rotorReserve);
    }

    void round(int round, long roundSeed, Plan plan, Random rnd) throws Exception {
        CrashHarness.checkNotStopped();
        String mode = CrashWorker.MODES[Math.floorMod(roundSeed, CrashWorker.MODES.length)];
        // A flush interval of 1 s lets BUFFERED lose far more than the default's 100 ms.
        CrashWorker.LevelRun run = level == null ? null
                : new CrashWorker.LevelRun(level, rotorReserve, rnd.nextInt(3) == 0 ? 1000 : 100);
        String ctx = "[seed=" + seed + " history=" + name + " round=" + round + " roundSeed=" + roundSeed
                + " mode=" + mode + " plan=" + plan + (run == null ? "" : " level=" + level + " rotorReserve="
                + rotorReserve + " flush=" + run.flushMillis() + "ms") + " dir=" + dir + "]";
        Path stderr = scratch.resolve(name + "-stderr.txt");
        Path stdout = scratch.resolve(name + "-stdout.txt");
        Files.createDirectories(dir);
        ForkedWorker worker = ForkedWorker.start(dir, roundSeed, mode, run, stdout, stderr);
        int exit;
        try {
            switch (plan) {
                case STARTUP:
                    long delay = (long) (rnd.nextDouble() * 1.15 * lastReadyMillis);
                    Thread.sleep(delay);
                    break;
                case CHECKPOINT:
                    worker.awaitReady(ctx);
                    int skip = rnd.nextInt(3);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                    for (int i = 0; i <= skip; i++) {
                        if (worker.await(l -> l.startsWith("CB "), deadline) == null) {
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
                    worker.awaitReady(ctx);
                    double u = rnd.nextDouble();
                    Thread.sleep(50 + (long) (950 * u * u)); // 50 ms to 1 s, short ones more often
                    break;
            }
            exit = worker.kill(ctx);
        } finally {
            worker.stop();
        }
        List<String> lines = worker.lines(ctx);
        for (String l : lines) {
            if (l.startsWith("BUG ")) {
                fail(ctx + " the worker hit an unexpected exception: " + l + "\n" + worker.stderrTail());
            }
        }
        assertEquals(137, exit, ctx + " the worker should have died of SIGKILL (exit 137), it exited with " + exit
                + "\n" + worker.stderrTail());
        stats.kills++;
        stats.plans.merge(plan, 1, Integer::sum);
        stats.partialLines += worker.partialLine() ? 1 : 0;
        if (lines.contains("READY") && plan != Plan.STARTUP) {
            long ready = worker.readyMillis();
            if (ready >= 0) {
                lastReadyMillis = Math.max(100, ready);
                stats.readyMillis += lastReadyMillis;
                stats.readyCount++;
            }
        }
        Path copy = scratch.resolve(name + "-before-reopen");
        StoreDirectories.delete(copy);
        StoreDirectories.copy(dir, copy);
        long checkStarted = System.nanoTime();
        try {
            baseline = check.check(baseline, ctx, lines, rnd);
            stats.checkMillis += (System.nanoTime() - checkStarted) / 1_000_000;
        } catch (AssertionError | RuntimeException e) {
            Path keep = Path.of("target", "crash-failures", "seed" + seed + "-" + name + "-round" + round);
            try {
                StoreDirectories.delete(keep);
                StoreDirectories.copy(copy, keep);
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
}

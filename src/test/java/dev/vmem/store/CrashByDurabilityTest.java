package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.store.CrashHistory.Plan;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The crash contract at each {@link Durability} level, with real {@code kill -9}s: the machinery of
 * {@link CrashRecoveryTest}, with a worker whose store runs at the level, with a small rotor reserve
 * ({@value #SMALL_RESERVE} or {@value #LARGER_RESERVE} quanta, so that marks run out, get extended and wrap
 * with the PIDs). After each kill the reopened store must hold
 * <ul>
 *   <li>at SYNC and WRITE, every acknowledged unit (a process crash keeps what was written to the OS);</li>
 *   <li>at BUFFERED, a prefix of the acknowledged units in journal order, at least up to what the last completed
 *       {@code sync()}, or a batch that asked for WRITE or SYNC, covered; nothing after a hole;</li>
 * </ul>
 * and at every level batches whole or absent, {@code verify()} and the invariants clean, each NEXT_FIT rotor
 * where the kept units left it or ahead of there by a reported {@link RecoveryReport.RotorSkip} of at most the
 * reserve, which is past every NEXT_FIT value the crash took back, and no PID acknowledged in the rotor's lap
 * handed out again. {@link ReopenCheck} says how each is checked.
 *
 * <p>{@code -Dvmem.crash.kills=N} scales it as it does {@link CrashRecoveryTest} (a sixth of N per level,
 * default 50: 8 kills per level; {@code -Ptorture}: 166), {@code -Dvmem.crash.seed=S} repeats a run.
 */
class CrashByDurabilityTest {
    private static final int KILLS_PER_LEVEL = Math.max(2, Integer.getInteger("vmem.crash.kills", 50) / 6);
    private static final long SEED = Long.getLong("vmem.crash.seed", ThreadLocalRandom.current().nextLong());
    static final long SMALL_RESERVE = 64;
    static final long LARGER_RESERVE = 256;

    @TempDir
    Path tmp;

    private final CrashHarness harness = new CrashHarness(SEED);

    @ParameterizedTest
    @EnumSource(Durability.class)
    void killNineAtRandomInstants_keepsTheLevelsPromise(Durability level) throws Exception {
        List<CrashStats> stats = harness.inLanes(KILLS_PER_LEVEL, SEED ^ level.ordinal() * 0x9E3779B97F4A7C15L,
                (lane, laneKills, rnd, st) -> {
                    long reserve = lane % 2 == 0 ? SMALL_RESERVE : LARGER_RESERVE;
                    CrashHistory h = new CrashHistory(tmp.resolve(level + "-" + lane), level + "-" + lane, st, tmp,
                            level, reserve);
                    for (int round = 0; round < laneKills; round++) {
                        int p = rnd.nextInt(100);
                        Plan plan = round == 0 || p < 75 ? Plan.RANDOM : p < 85 ? Plan.STARTUP : Plan.CHECKPOINT;
                        h.round(round, rnd.nextLong(), plan, rnd);
                    }
                });
        String ctx = "[seed=" + SEED + " level=" + level + "] ";
        int skips = 0;
        long syncs = 0;
        long acknowledged = 0;
        long killsAfterReady = 0;
        for (CrashStats st : stats) {
            skips += st.rotorSkips;
            syncs += st.syncs;
            acknowledged += st.acknowledged;
            killsAfterReady += st.kills - st.killsBeforeReady;
        }
        // Over the kills after READY, as CrashRecoveryTest counts. SYNC waits for an fsync per unit: in a Java 25 pass
        // on a loaded machine two kills 50 ms to 1 s after READY found 5 and 6 units, so its bar is lower; any bar
        // still fails a worker that does nothing.
        long perKill = level == Durability.SYNC ? 2 : 10;
        assertTrue(acknowledged > killsAfterReady * perKill, ctx + acknowledged + " units acknowledged over "
                + killsAfterReady + " kills after READY (" + KILLS_PER_LEVEL + " kills): the workers did too little");
        if (level == Durability.SYNC) {
            assertTrue(skips == 0, ctx + "a store used only at SYNC skipped rotor values"); // ReopenCheck fails first
        } else if (KILLS_PER_LEVEL >= 6) {
            assertTrue(skips > 0, ctx + "no kill left a rotor mark to skip to: the log-ahead rotor went unchecked");
        }
        if (level == Durability.BUFFERED && KILLS_PER_LEVEL >= 6) {
            assertTrue(syncs > 0, ctx + "no sync() completed: the BUFFERED lower bound went unchecked");
        }
    }
}

package dev.vmem.store;

import static dev.vmem.store.StoreFixture.assertSound;
import static dev.vmem.store.StoreFixture.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import dev.vmem.Quarantine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of a process that frees into a quarantined arena (checkpointing now and then, so that some
 * frees are in a checkpoint's queue and some only in the journal): after the reopen, no value whose free the
 * worker had begun is handed out before its delay is over, counted from the time the worker called free; once
 * the delay from the open has passed, they all come back. Two kills, one per {@link CrashHarness} lane.
 */
class QuarantineCrashTest {
    static final long DELAY_MILLIS = 3000;
    static final long BLOCK = 16;
    private static final long SEED = System.nanoTime();

    @TempDir
    Path dir;

    @Test
    void afterKill9_noFreedValueIsHandedOutBeforeItsTime_andEveryOneComesBackAfterIt() throws Exception {
        System.out.println("QuarantineCrashTest seed=" + SEED);
        new CrashHarness(SEED).inLanes(2, SEED, (lane, kills, rnd, stats) -> {
            for (int k = 0; k < kills; k++) {
                killAndCheck(dir.resolve("lane" + lane + "-" + k), rnd);
                stats.kills++;
            }
        });
    }

    private static void killAndCheck(Path store, Random rnd) throws Exception {
        String ctx = "[seed=" + SEED + " " + store.getFileName() + "]";
        ForkedWorker w = ForkedWorker.start(Worker.class, List.of(store.toString()), store.resolveSibling(
                store.getFileName() + ".out"), store.resolveSibling(store.getFileName() + ".err"));
        Map<Long, Long> freeCalled = new HashMap<>(); // base -> wall millis just before its latest free began
        try {
            w.awaitReady(ctx);
            int[] checkpoints = {0};
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            assertNotNull(w.await(line -> line.equals("C") && ++checkpoints[0] == 2, deadline),
                    ctx + " no two checkpoints: " + w.stderrTail());
            Thread.sleep(100 + rnd.nextInt(400)); // frees after the last checkpoint: journal only
            w.kill(ctx);
        } finally {
            w.stop();
        }
        for (String line : w.lines(ctx)) {
            String[] f = line.split(" ");
            if (f[0].equals("S")) {
                freeCalled.merge(Long.parseLong(f[1]), Long.parseLong(f[2]), Math::max);
            }
        }
        try (VmemStore s = VmemStore.open(options(store))) {
            PersistentArena a = s.arena("ids");
            long opened = System.currentTimeMillis();
            // Held at the open: every block freed within the delay before it (nothing releases a block before an
            // allocation, a free or a reap asks, so this does not depend on how long anything below takes).
            long heldAtOpen = a.stats().quarantined();
            int recent = 0;
            for (long called : freeCalled.values()) {
                recent += opened < called + DELAY_MILLIS ? 1 : 0;
            }
            assertTrue(recent > 0, ctx + " the kill came after no free within the delay: nothing was tested");
            assertTrue(heldAtOpen >= BLOCK * recent, ctx + " " + recent + " blocks freed within the delay, "
                    + heldAtOpen + " values quarantined at the open");
            // None handed out before its own delay is over, however long the exhaust takes.
            Map<Long, Long> handedAt = QuarantineStoreTest.exhaustTimed(s, a, BLOCK);
            for (Map.Entry<Long, Long> e : handedAt.entrySet()) {
                Long called = freeCalled.get(e.getKey());
                assertFalse(called != null && e.getValue() < called + DELAY_MILLIS, ctx + " value " + e.getKey()
                        + " freed at " + called + " was handed out by " + e.getValue() + ", before its delay was over");
            }
            long held = a.stats().quarantined();
            Thread.sleep(Math.max(0, opened + DELAY_MILLIS + 50 - System.currentTimeMillis()));
            a.reapQuarantine();
            assertEquals(0, a.stats().quarantined(), ctx + " the whole delay from the open is over");
            assertEquals(held / BLOCK, QuarantineStoreTest.exhaust(s, a, BLOCK).size(), ctx);
            assertSound(s);
        }
    }

    /**
     * The forked process: opens the store, creates arena "ids" (quantum 1, span [0, 2^20), quarantine
     * {@value #DELAY_MILLIS} ms) if missing, prints READY, then allocates blocks of {@value #BLOCK} and frees
     * the oldest of 32, printing {@code S base millis} before each free, and {@code C} after every
     * checkpoint (one per 200 frees), until it is killed.
     */
    public static final class Worker {
        public static void main(String[] args) {
            try (VmemStore store = VmemStore.open(options(Path.of(args[0])))) {
                PersistentArena a = store.arenas().isEmpty() ? store.batch(() -> {
                    PersistentArena created = store.createArena(ArenaDefinition.of("ids", 1)
                            .withQuarantine(Quarantine.of(Duration.ofMillis(DELAY_MILLIS))));
                    created.addSpan(0, 1 << 20);
                    return created;
                }) : store.arena("ids");
                System.out.println("READY");
                ArrayDeque<Long> live = new ArrayDeque<>();
                for (long i = 1; ; i++) {
                    live.add(a.alloc(BLOCK, Policy.INSTANT_FIT));
                    if (live.size() > 32) {
                        long base = live.poll();
                        System.out.println("S " + base + " " + System.currentTimeMillis());
                        System.out.flush();
                        a.free(base);
                    }
                    if (i % 200 == 0) {
                        store.checkpoint();
                        System.out.println("C");
                        System.out.flush();
                    }
                }
            }
        }
    }
}

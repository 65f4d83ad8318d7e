package dev.vmem.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs the crash test's kills: {@value #LANES} lanes at once, each with its own stores, worker and random stream,
 * under one deadline. The seed it is made with names every failure.
 */
final class CrashHarness {
    private static final int LANES = 2;
    /** Set when a lane failed: the other lanes stop at their next round. */
    private static final AtomicBoolean STOP = new AtomicBoolean();

    private final long seed;

    CrashHarness(long seed) {
        this.seed = seed;
    }

    /** Throws {@link LaneStopped} once another lane has failed. */
    static void checkNotStopped() {
        if (STOP.get()) {
            throw new LaneStopped();
        }
    }

    /** One lane of kills: its own stores, random stream and statistics. */
    @FunctionalInterface
    interface Lane {
        void run(int lane, int kills, Random rnd, CrashStats stats) throws Exception;
    }

    /**
     * Runs {@code kills} kills in {@value #LANES} lanes at once (each lane its own stores and worker), so that
     * the workers' JVM start-ups overlap; the first failure stops the other lanes and is rethrown.
     */
    List<CrashStats> inLanes(int kills, long laneSeed, Lane body) throws Exception {
        List<CrashStats> stats = new ArrayList<>();
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
                Random rnd = new Random(laneSeed + lane);
                CrashStats st = new CrashStats("lane " + lane, seed);
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
                    StringBuilder sb = new StringBuilder("[seed=" + seed + "] the crash lanes did not finish in time;"
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
        for (CrashStats st : stats) {
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
}

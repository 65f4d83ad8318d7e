package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Callers whose threads are interrupted at any moment (as {@code Future.cancel(true)} does), also while they
 * write or fsync the journal: every operation still succeeds, none is lost, and the store never stops. A
 * {@code FileChannel} closes itself on such an interrupt; the store's channels reopen and repeat the call.
 */
class InterruptedCallersTest {
    @TempDir
    Path dir;

    @Test
    void interruptsAtAnyMoment_neitherFailAnOperationNorStopTheStore() throws Exception {
        List<Long> handedOut = Collections.synchronizedList(new ArrayList<>());
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        Map<String, String> expected;
        try (VmemStore store = VmemStore.open(StoreFixture.options(dir, 64 << 10))) {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(1, 1L << 40);
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> callers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread caller = new Thread(() -> {
                    while (!stop.get()) {
                        try {
                            handedOut.add(ids.alloc(1, Policy.NEXT_FIT));
                        } catch (RuntimeException | Error e) {
                            failures.add(e);
                            return;
                        }
                    }
                }, "caller-" + t);
                callers.add(caller);
                caller.start();
            }
            long until = System.nanoTime() + 2_000_000_000L;
            int interrupts = 0;
            while (System.nanoTime() < until && failures.isEmpty()) {
                for (Thread caller : callers) {
                    caller.interrupt();
                    interrupts++;
                }
                // Every 50 us: far more often than any real cancellation, so that many land inside a write
                // or an fsync, but not a storm that no call could ever finish under.
                java.util.concurrent.locks.LockSupport.parkNanos(50_000);
            }
            stop.set(true);
            for (Thread caller : callers) {
                caller.join(10_000);
                assertTrue(!caller.isAlive(), caller.getName() + " finished");
            }
            System.out.println("InterruptedCallersTest: " + interrupts + " interrupts during " + handedOut.size()
                    + " allocations");
            assertEquals(List.of(), new ArrayList<>(failures), "no operation failed");
            assertTrue(interrupts > 1000 && handedOut.size() > 100,
                    interrupts + " interrupts during " + handedOut.size() + " allocations");
            assertEquals(handedOut.size(), handedOut.stream().distinct().count(), "no ID handed out twice");
            assertEquals(handedOut.size(), ids.stats().allocated());
            StoreFixture.assertSound(store);
            expected = StoreFixture.dumps(store);
        }
        StoreFixture.assertOpensWith(StoreFixture.options(dir), expected);
    }

    /**
     * A caller whose flag is already set at every call, which {@code FileChannel} refuses at once: allocations
     * across many segment rolls of the journal (each forces the directory on the caller's thread), then a checkpoint, a verify,
     * a backup, the close and the reopen all succeed, and each leaves the flag set.
     */
    @Test
    void callerInterruptedBeforeEveryCall_rollsSegments_checkpoints_backsUp_closes_andReopens() throws IOException {
        int segment = 16 << 10;
        Path at = dir.resolve("store");
        Path copy = dir.resolve("copy");
        Map<String, String> expected;
        VmemStore store = interrupted(() -> VmemStore.open(StoreFixture.options(at, segment)), "open");
        try {
            PersistentArena ids = interrupted(() -> store.createArena(ArenaDefinition.of("ids", 1)), "createArena");
            interruptedRun(() -> ids.addSpan(1, 1L << 40), "addSpan");
            for (long expectedId = 1; expectedId <= 3_000; expectedId++) {
                assertEquals(expectedId, interrupted(() -> ids.alloc(1, Policy.NEXT_FIT), "alloc"));
                if (expectedId % 3 == 0) {
                    long id = expectedId;
                    interruptedRun(() -> ids.free(id, 1), "free");
                }
            }
            long appended = store.stats().journal().appendedBytes();
            assertTrue(appended > 8L * segment, appended + " bytes appended: the journal rolled over at least 8 times");
            long segments;
            try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(at.resolve("journal"))) {
                segments = files.filter(f -> f.toString().endsWith(".wal")).count();
            }
            // A roll whose directory fsync an interrupt refused is skipped (logged at DEBUG): the segment grows on.
            assertTrue(segments > 8, segments + " segments: each roll made a new one");
            assertTrue(interrupted(store::checkpoint, "checkpoint"), "the checkpoint succeeded");
            assertEquals(List.of(), interrupted(store::verify, "verify"));
            interruptedRun(() -> store.backup(copy), "backup");
            assertEquals(List.of(), ids.checkInvariants());
            expected = StoreFixture.dumps(store);
        } finally {
            interruptedRun(store::close, "close");
        }
        StoreFixture.assertOpensWith(StoreFixture.options(at), expected);
        StoreFixture.assertOpensWith(StoreFixture.options(copy), expected);
    }

    /**
     * A thread interrupted from a random instant on, every half millisecond (far more often than a checkpoint is
     * read or written), while it opens a store with several checkpoints behind it, verifies, checkpoints and closes
     * it, opens it read-only and verifies it, and diagnoses it: every call succeeds and none reports damage.
     * (MapDB reports a channel that an interrupt closed as a damaged checkpoint: before, most of these opens threw
     * {@code StoreCorruptedException} and {@code diagnose} found records missing; repeating MapDB's work on each
     * interrupt gave up after its 64th.)
     */
    @Test
    void interruptedAgainAndAgain_openVerifyCheckpointCloseReadOnlyAndDiagnose_neverFailNorReportDamage()
            throws Exception {
        long seed = System.nanoTime();
        System.out.println("InterruptedCallersTest seed " + seed);
        java.util.Random rnd = new java.util.Random(seed);
        Path at = dir.resolve("store");
        Map<String, String> expected;
        try (VmemStore store = VmemStore.open(StoreFixture.options(at, 16 << 10))) {
            StoreFixture.idsWithCheckpoints(store, 1L << 40, 3, 1_500, 100);
            expected = StoreFixture.dumps(store);
        }
        for (int round = 0; round < 20; round++) {
            String ctx = "seed " + seed + " round " + round + ": ";
            ConcurrentLinkedQueue<Object> found = new ConcurrentLinkedQueue<>();
            Thread opener = new Thread(() -> {
                try {
                    try (VmemStore store = VmemStore.open(StoreFixture.options(at))) {
                        found.addAll(store.verify());
                        if (!StoreFixture.dumps(store).equals(expected)) {
                            found.add("the store opened with other allocations");
                        }
                        if (!store.checkpoint()) {
                            found.add("the checkpoint failed");
                        }
                    }
                    try (VmemStore store = VmemStore.openReadOnly(at)) {
                        found.addAll(store.verify());
                    }
                    found.addAll(StoreRepair.diagnose(at).problems());
                } catch (RuntimeException | Error e) {
                    found.add(e);
                }
            }, "opener-" + round);
            opener.start();
            long until = System.nanoTime() + rnd.nextInt(40_000_000);
            while (System.nanoTime() < until && opener.isAlive()) {
                Thread.onSpinWait();
            }
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (opener.isAlive() && System.nanoTime() < deadline) {
                opener.interrupt();
                java.util.concurrent.locks.LockSupport.parkNanos(500_000);
            }
            assertTrue(!opener.isAlive(), ctx + "the opener finished");
            assertEquals(List.of(), new ArrayList<>(found), ctx + "nothing failed and nothing was reported damaged");
        }
        StoreFixture.assertOpensWith(StoreFixture.options(at), expected);
    }

    /** Runs {@code call} with this thread's interrupt flag set, and checks that it is still set after. */
    private static <T> T interrupted(java.util.function.Supplier<T> call, String what) {
        Thread.currentThread().interrupt();
        try {
            return call.get();
        } finally {
            assertTrue(Thread.interrupted(), "the flag is still set after " + what);
        }
    }

    private static void interruptedRun(Runnable call, String what) {
        interrupted(() -> {
            call.run();
            return null;
        }, what);
    }

    /**
     * Interrupts without pause, far more often than an fsync takes: every write and force of the journal's channel
     * still succeeds. (A {@code FileChannel} reopened and repeated on each interrupt never finished its fsync here,
     * and so failed the journal for every caller.)
     */
    @Test
    void channelUnderAnInterruptStorm_writesAndForcesEveryTime() throws Exception {
        InterruptSafeChannel ch = new InterruptSafeChannel(dir.resolve("storm"));
        AtomicBoolean done = new AtomicBoolean();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        int rounds = 1_000;
        Thread writer = new Thread(() -> {
            try {
                for (int i = 0; i < rounds; i++) {
                    ch.write(java.nio.ByteBuffer.wrap(new byte[] {(byte) i}), i);
                    ch.force();
                }
            } catch (IOException | RuntimeException e) {
                failures.add(e);
            } finally {
                done.set(true);
            }
        }, "writer");
        writer.start();
        long interrupts = 0;
        long until = System.nanoTime() + 60_000_000_000L;
        while (!done.get() && System.nanoTime() < until) {
            writer.interrupt();
            interrupts++;
        }
        writer.join(10_000);
        ch.close();
        assertEquals(List.of(), new ArrayList<>(failures), "no call failed under " + interrupts + " interrupts");
        assertTrue(done.get() && !writer.isAlive(), "the writer finished");
        byte[] written = java.nio.file.Files.readAllBytes(dir.resolve("storm"));
        assertEquals(rounds, written.length);
        for (int i = 0; i < rounds; i++) {
            assertEquals((byte) i, written[i], "byte " + i);
        }
    }

    /** The channel leaves a caller's interrupt flag as it was: the caller finds it set after the call. */
    @Test
    void callerInterruptedBeforeAChannelCall_keepsItsInterruptFlag_andTheCallSucceeds() throws Exception {
        Path file = dir.resolve("channel");
        InterruptSafeChannel ch = new InterruptSafeChannel(file);
        try {
            Thread.currentThread().interrupt();
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}), 5);
            assertTrue(Thread.interrupted(), "the flag is set again after write");
            Thread.currentThread().interrupt();
            ch.force();
            assertTrue(Thread.interrupted(), "the flag is set again after force");
            Thread.currentThread().interrupt();
            assertEquals(8, ch.size());
            assertTrue(Thread.interrupted(), "the flag is set again after size");
        } finally {
            Thread.interrupted();
            ch.close();
        }
        assertEquals(List.of((byte) 0, (byte) 0, (byte) 0, (byte) 0, (byte) 0, (byte) 1, (byte) 2, (byte) 3),
                boxed(java.nio.file.Files.readAllBytes(file)));
        InterruptSafeChannel closed = ch;
        assertThrows(java.nio.channels.ClosedChannelException.class,
                () -> closed.write(java.nio.ByteBuffer.wrap(new byte[] {4}), 0), "a channel closed on purpose stays closed");
    }

    private static List<Byte> boxed(byte[] bytes) {
        List<Byte> out = new ArrayList<>();
        for (byte b : bytes) {
            out.add(b);
        }
        return out;
    }
}

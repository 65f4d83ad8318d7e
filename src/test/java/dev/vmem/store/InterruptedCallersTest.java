package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
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
}

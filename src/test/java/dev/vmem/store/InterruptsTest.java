package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link Interrupts}: work isolated from its caller's interrupts, and waits that interrupts do not cut short. */
class InterruptsTest {
    @Test
    void isolated_runsOnAThreadOfItsOwn_andNestedWorkStaysOnIt() {
        Thread caller = Thread.currentThread();
        Thread[] seen = new Thread[2];
        String result = Interrupts.isolated(() -> {
            seen[0] = Thread.currentThread();
            return Interrupts.isolated(() -> {
                seen[1] = Thread.currentThread();
                return "done";
            });
        });
        assertEquals("done", result);
        assertNotEquals(caller, seen[0], "the work ran off the caller's thread");
        assertTrue(seen[0].isDaemon(), "a daemon, which never keeps a JVM alive");
        assertSame(seen[0], seen[1], "nested work ran on the same isolated thread");
    }

    @Test
    void isolated_passesTheWorksOwnFailureOnUnchanged() {
        IOException io = new IOException("disk");
        IllegalStateException state = new IllegalStateException("state");
        assertSame(io, assertThrows(IOException.class, () -> Interrupts.isolated(() -> {
            throw io;
        })));
        assertSame(state, assertThrows(IllegalStateException.class, () -> Interrupts.isolated(() -> {
            throw state;
        })));
        AssertionError error = new AssertionError("error");
        assertSame(error, assertThrows(AssertionError.class, () -> Interrupts.isolated(() -> {
            throw error;
        })));
    }

    @Test
    void isolated_callerInterruptedWhileItWaits_getsTheResult_andItsFlagBack() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        boolean[] workInterrupted = new boolean[1];
        Object[] outcome = new Object[2];
        Thread caller = new Thread(() -> {
            try {
                outcome[0] = Interrupts.isolated(() -> {
                    started.countDown();
                    release.await(10, TimeUnit.SECONDS); // throws if the caller's interrupt reached it
                    workInterrupted[0] = Thread.currentThread().isInterrupted();
                    return "result";
                });
            } catch (InterruptedException e) {
                outcome[0] = e;
            }
            outcome[1] = Thread.interrupted();
        });
        caller.start();
        assertTrue(started.await(10, TimeUnit.SECONDS));
        caller.interrupt();
        caller.interrupt();
        release.countDown();
        caller.join(10_000);
        assertFalse(caller.isAlive());
        assertEquals("result", outcome[0], "the caller waited for the work");
        assertEquals(true, outcome[1], "the caller's flag is set after");
        assertFalse(workInterrupted[0], "the interrupt never reached the work");
    }

    @Test
    void pause_waitsItsTimeThoughTheFlagIsSet_andKeepsTheFlag() {
        Thread.currentThread().interrupt();
        long started = System.nanoTime();
        Interrupts.pause(20_000_000);
        long waited = System.nanoTime() - started;
        assertTrue(Thread.interrupted(), "the flag is still set");
        assertTrue(waited >= 20_000_000, waited + " ns waited");
    }

    @Test
    void deferred_clearsTheFlagForTheWork_andSetsItAgainAfter() {
        Thread.currentThread().interrupt();
        boolean seenInside = Interrupts.deferred(() -> Thread.currentThread().isInterrupted());
        assertFalse(seenInside, "the work ran with the flag clear");
        assertTrue(Thread.interrupted(), "the flag is set again after");
        Interrupts.runDeferred(() -> Thread.currentThread().interrupt());
        assertTrue(Thread.interrupted(), "an interrupt during the work is kept too");
    }
}

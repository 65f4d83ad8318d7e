package dev.vmem.store;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Group commit: the callers that need the journal's records durable share fsyncs. One caller forces
 * the file for every record written before it started; the others wait for it without holding any
 * lock, and wake when an fsync covers them (see {@link #sync} for when the next fsync starts).
 *
 * <h2>Assumptions and guarantees</h2>
 * {@link #sync} may be called by any number of threads at once. A record is durable once
 * {@code sync(seq)} returns. The journal finishes or closes a segment only inside {@link #exclusively},
 * so never while an fsync of it runs. After a failed fsync nothing about the file can be trusted (the
 * kernel may have dropped the dirty pages), so every later call fails and the store must be reopened.
 */
final class GroupCommit {

    /** The journal, as the fsyncs see it. */
    interface Log {
        /** The sequence number of the newest record written (durable or not). */
        long writtenSeq();

        /** The segment that holds the records written so far; read with the lock held. */
        StoreFiles.Channel current();
    }

    /** Work on the journal's files that may fail. */
    @FunctionalInterface
    interface IoAction {
        void run() throws IOException;
    }

    private final Log log;
    private final StoreCounters counters;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when an fsync ends: {@link #exclusively} waits for the one running. */
    private final Condition synced = lock.newCondition();
    /** Callers parked until an fsync covers their record. */
    private final List<Waiter> waiters = new ArrayList<>();
    private volatile long durableSeq;
    /** A caller is running an fsync. */
    private boolean syncing;
    /** The sequence number whose writing ends a gathering (see {@link #sync}). */
    private long gatherUntil;
    /** When the gathering under way ends at the latest ({@link System#nanoTime}); 0 when none is. */
    private long gatherDeadline;
    /** The waiter that wakes at {@link #gatherDeadline} to run the fsync if no caller did; null when none. */
    private Waiter gatherTimer;
    /** How long an fsync takes, smoothed over the last few. */
    private long forceNanos;
    private volatile IOException failure;

    /**
     * @param durableSeq the newest record already durable
     * @param counters   told of every fsync and of every record written ({@link #wrote})
     */
    GroupCommit(Log log, long durableSeq, StoreCounters counters) {
        this.log = log;
        this.durableSeq = durableSeq;
        this.counters = counters;
    }

    /** {@code bytes} of records were written to the current segment; called under the journal's write lock. */
    void wrote(long bytes) {
        counters.wrote(bytes);
    }

    /** The newest record known to be on disk. */
    long durableSeq() {
        return durableSeq;
    }

    /**
     * Returns once record {@code seq} and all before it are on disk.
     *
     * <p>When to force: as soon as as many records wait as the last fsync covered plus those written
     * while it ran, or half an fsync after the first of them, whichever comes first. With a steady set
     * of callers that is all of them: the callers the last fsync released have written again, and one
     * fsync covers everyone. Forcing at once would cover only the callers that wrote while the last
     * fsync ran; with N callers in a loop the fsyncs then take turns between two halves of N and each
     * caller waits for two of them (measured on 2 cores, 8 callers: 4 records per fsync against 8). A
     * lone caller finds its own record is the whole target and does not wait. The cost, when callers do
     * not come back (fewer of them, or work between operations), is at most half an fsync of extra
     * latency, after which the target follows the smaller batch.
     *
     * <p>The caller whose record completes the batch runs the fsync itself, at once: it is on a CPU,
     * while a caller that waited for the batch would first have to be woken (a wake-up on the path of
     * every fsync). Until then the callers wait parked, the first of them only until the deadline.
     */
    void sync(long seq) throws IOException {
        assert seq <= log.writtenSeq() : "seq=" + seq + " is not written yet (writtenSeq=" + log.writtenSeq() + ")";
        boolean interrupted = false;
        Waiter waiter = null;
        try {
            while (durableSeq < seq) {
                List<Waiter> woken = null;
                lock.lock();
                try {
                    if (waiter != null && !waiter.woken) {
                        waiters.remove(waiter); // its gathering deadline passed: it may have to force
                    }
                    if (waiter == gatherTimer) {
                        gatherTimer = null;
                    }
                    waiter = null;
                    if (durableSeq >= seq) {
                        return;
                    }
                    checkHealthy();
                    long deadline = 0;
                    if (!syncing) {
                        long now = System.nanoTime();
                        if (log.writtenSeq() >= gatherUntil || gatherDeadline != 0 && now - gatherDeadline >= 0) {
                            woken = new ArrayList<>();
                            groupCommit(woken);
                            continue;
                        }
                        if (gatherDeadline == 0) {
                            gatherDeadline = now + forceNanos / 2;
                        }
                        if (gatherTimer == null) {
                            deadline = gatherDeadline;
                        }
                    }
                    waiter = new Waiter(Thread.currentThread(), seq, deadline);
                    if (deadline != 0) {
                        gatherTimer = waiter;
                    }
                    waiters.add(waiter);
                } finally {
                    lock.unlock();
                    if (woken != null) {
                        for (Waiter w : woken) {
                            LockSupport.unpark(w.thread);
                        }
                    }
                }
                while (!waiter.woken) {
                    if (waiter.deadline == 0) {
                        LockSupport.park(this);
                    } else {
                        long left = waiter.deadline - System.nanoTime();
                        if (left <= 0) {
                            break;
                        }
                        LockSupport.parkNanos(this, left);
                    }
                    interrupted |= Thread.interrupted();
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A caller of {@link #sync} parked until an fsync covers its record or it is to run the next one, or
     * (the gathering's timer) until the gathering's deadline.
     */
    private static final class Waiter {
        final Thread thread;
        final long seq;
        /** When to stop waiting and look whether to force ({@link System#nanoTime}); 0: never. */
        final long deadline;
        volatile boolean woken;

        Waiter(Thread thread, long seq, long deadline) {
            this.thread = thread;
            this.seq = seq;
            this.deadline = deadline;
        }
    }

    /**
     * Runs one fsync for every record written so far and marks woken the callers it covers, plus one
     * that it does not (to run the next fsync), adding them to {@code woken} for the caller to unpark
     * once it released the lock. Called with the lock held and no fsync running; releases the lock
     * while forcing, so that writers and new waiters queue up behind this one.
     */
    private void groupCommit(List<Waiter> woken) throws IOException {
        syncing = true;
        endGathering();
        long target = log.writtenSeq();
        StoreFiles.Channel segment = log.current();
        IOException error = null;
        long bytes = counters.fsyncStarting();
        Object event = StoreEvents.fsyncBegins();
        long started = System.nanoTime();
        lock.unlock();
        try {
            segment.force();
        } catch (IOException e) {
            error = e;
        } finally {
            lock.lock();
        }
        long took = System.nanoTime() - started;
        forceNanos += (took - forceNanos) / 4;
        syncing = false;
        synced.signalAll();
        long batch = target - durableSeq;
        if (error == null) {
            counters.fsynced(event, batch, bytes, took);
            durableSeq = target;
            gatherUntil = log.writtenSeq() + batch;
        } else {
            fail(error);
        }
        release(woken);
        if (error != null) {
            throw error;
        }
    }

    /** The records gathered so far are about to be forced: the next gathering starts afresh. */
    private void endGathering() {
        gatherDeadline = 0;
        gatherTimer = null;
    }

    /**
     * Marks woken the waiters whose records are durable, and one whose record is not, to run the next
     * fsync (all of them once the journal has failed, to report it), and adds them to {@code woken}.
     * Called with the lock held and no fsync running.
     */
    private void release(List<Waiter> woken) {
        boolean leaderWoken = false;
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (w.seq <= durableSeq || failure != null || !leaderWoken) {
                leaderWoken |= w.seq > durableSeq;
                it.remove();
                w.woken = true;
                woken.add(w);
            }
        }
    }

    /** Runs {@code work} with the lock held once no fsync is running, so that no fsync starts during it. */
    void exclusively(IoAction work) throws IOException {
        lock.lock();
        try {
            while (syncing) {
                synced.awaitUninterruptibly();
            }
            work.run();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Inside {@link #exclusively}: runs {@code force}, which makes every record written so far durable,
     * then wakes the callers it covered; a failure fails the journal.
     */
    void forceNow(IoAction force) throws IOException {
        assert lock.isHeldByCurrentThread() && !syncing : "forceNow outside exclusively";
        endGathering();
        List<Waiter> woken = new ArrayList<>();
        long bytes = counters.fsyncStarting();
        Object event = StoreEvents.fsyncBegins();
        long started = System.nanoTime();
        try {
            force.run();
            long target = log.writtenSeq();
            counters.fsynced(event, target - durableSeq, bytes, System.nanoTime() - started);
            durableSeq = target;
        } catch (IOException e) {
            fail(e);
            throw e;
        } finally {
            release(woken);
            for (Waiter w : woken) {
                LockSupport.unpark(w.thread); // under the lock: segment rolls and closes are rare
            }
        }
    }

    /** @throws IOException if the journal failed earlier */
    void checkHealthy() throws IOException {
        IOException f = failure;
        if (f != null) {
            throw new IOException("the journal failed earlier and accepts no more work; reopen the store", f);
        }
    }

    /**
     * Fails the journal: every later call fails with {@code e} as the cause. The first failure is kept.
     * Every waiter is woken to report it: now if no fsync runs (a gathering has no leader that would
     * wake them at its end), else by the fsync's caller when it ends.
     */
    void fail(IOException e) {
        List<Waiter> woken = new ArrayList<>();
        lock.lock();
        try {
            if (failure == null) {
                failure = e;
            }
            if (!syncing) {
                release(woken);
            }
        } finally {
            lock.unlock();
            for (Waiter w : woken) {
                LockSupport.unpark(w.thread);
            }
        }
    }

    boolean failed() {
        return failure != null;
    }
}

package dev.vmem.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closing a store, and whether it is closed: the last checkpoint, then the journal, the lock and the JMX beans
 * released, each whatever the others do. A read-only store has none of these parts (they are null) and only
 * becomes closed.
 *
 * <p>Thread-safe: the closed flag is set under the store's lock, and a second close waits for the first to end,
 * then does nothing.
 */
final class StoreClosing {
    /** The store's logger: closing is the store's news. */
    private static final Logger LOG = LoggerFactory.getLogger(VmemStore.class);

    /** The parts a store that can write has, and releases at close. */
    record Parts(DirectoryLock lock, Journal journal, Checkpointer checkpointer, UnitOfWork unit, RotorMarks marks,
            RotorMarkKeeper keeper) {
    }

    private final Path dir;
    private final ReentrantLock mutation;
    private final StoreJmx jmx;
    /** Null for a read-only store. */
    private final Parts parts;
    private volatile boolean closed;
    /**
     * Set when a close begins: from then on the store takes no new work. The close spends the NEXT_FIT rotor
     * marks in its last checkpoint; a unit that got in after that would set one again, and the reopened store
     * would skip its rotor ahead as after a crash.
     */
    private volatile boolean closing;
    /**
     * Held for a whole close, so that a second close returns only once the first has ended. A command's SIGTERM
     * hook closes the store while its main thread may be closing it too; the JVM halts as soon as the hook
     * returns, so a hook that returned at once cut the main thread's close short, and buffered work was lost.
     */
    private final ReentrantLock closer = new ReentrantLock();

    StoreClosing(Path dir, ReentrantLock mutation, StoreJmx jmx, Parts parts) {
        this.dir = dir;
        this.mutation = mutation;
        this.jmx = jmx;
        this.parts = parts;
    }

    boolean closed() {
        return closed;
    }

    /** @throws IllegalStateException if the store is closed */
    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("store " + dir + " is closed");
        }
    }

    /** @throws IllegalStateException if the store is closed or being closed: the guard of every unit of work */
    void ensureTakingWork() {
        if (closed || closing) {
            throw new IllegalStateException("store " + dir + (closed ? " is closed" : " is being closed"));
        }
    }

    /** See {@link VmemStore#close()}. */
    void close() {
        if (mutation.isHeldByCurrentThread()) {
            // The close waits for the keeper and the checkpointer, which take this lock: it would wait for itself.
            throw new IllegalStateException("store " + dir + ": close() was called inside a batch or a change; close"
                    + " the store after it returns");
        }
        closer.lock();
        try {
            closeOnce();
        } finally {
            closer.unlock();
        }
    }

    private void closeOnce() {
        mutation.lock();
        try {
            if (closed || closing || parts == null) {
                closed |= parts == null; // a read-only store holds no file open
                return;
            }
            closing = true; // under the lock: a unit under way ends first, none starts after
        } finally {
            mutation.unlock();
        }
        parts.keeper().close();
        Checkpointer checkpointer = parts.checkpointer();
        checkpointer.close();
        if (!parts.unit().stopped() && checkpointer.neededAtClose()) {
            mutation.lock();
            try {
                // The last checkpoint first forces the journal: with every acknowledged unit durable, the exact
                // rotor is kept, and the reopened store skips nothing.
                parts.marks().spendAll();
            } finally {
                mutation.unlock();
            }
            if (checkpointer.checkpoint()) {
                checkpointer.mirror();
            }
        }
        release(true, (what, e) -> LOG.warn("store {}: {} failed: {}", dir, what, e.toString()));
        LOG.info("closed store {}", dir);
    }

    /** See {@link VmemStore#closeWithoutCheckpoint()}. */
    void closeWithoutCheckpoint() {
        parts.keeper().close();
        parts.checkpointer().close();
        IOException[] first = {null};
        release(false, (what, e) -> {
            if (first[0] == null) {
                first[0] = e;
            }
        });
        if (first[0] != null) {
            throw new StoreIOException("closing " + dir + " without a checkpoint failed", first[0]);
        }
    }

    /** What to do when releasing a file fails: {@code what} names the step. */
    @FunctionalInterface
    private interface ReleaseFailure {
        void failed(String what, IOException e);
    }

    /** Marks the store closed and releases the journal, the lock and the JMX beans, each whatever the others do. */
    private void release(boolean clean, ReleaseFailure onFailure) {
        mutation.lock();
        try {
            closed = true;
            try {
                parts.journal().close(clean);
            } catch (IOException e) {
                onFailure.failed("closing the journal", e);
            }
            try {
                parts.lock().close();
            } catch (IOException e) {
                onFailure.failed("releasing the lock", e);
            }
            jmx.unregisterAll();
        } finally {
            mutation.unlock();
        }
    }
}

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
            Interrupts.runDeferred(this::closeOnce); // an interrupted caller's close still waits for the threads
        } finally {
            closer.unlock();
        }
    }

    private void closeOnce() {
        mutation.lock();
        try {
            if (closed || parts == null) { // closed: by a close that ended, or failed (it releases all the same)
                closed = true; // a read-only store holds no file open
                return;
            }
            closing = true; // under the lock: a unit under way ends first, none starts after
        } finally {
            mutation.unlock();
        }
        boolean checkpointed = false;
        Released released;
        try {
            parts.keeper().close();
            Checkpointer checkpointer = parts.checkpointer();
            checkpointer.close();
            if (!parts.unit().stopped() && checkpointer.neededAtClose()) {
                mutation.lock();
                try {
                    // The last checkpoint first forces the journal: with every acknowledged unit durable, the
                    // exact rotor is kept, and the reopened store skips nothing.
                    parts.marks().spendAll();
                } finally {
                    mutation.unlock();
                }
                checkpointed = checkpointer.checkpoint();
                if (checkpointed) {
                    checkpointer.mirror();
                }
            }
        } finally { // whatever failed above (an Error too), the journal writes what it holds and the files go
            released = release(true);
        }
        if (released.lock() != null) {
            LOG.warn("store {}: releasing the lock failed: {}", dir, released.lock().toString());
        }
        if (released.journal() != null) {
            Journal journal = parts.journal();
            if (!checkpointed && journal.durableSeq() < journal.appendedSeq()) { // acknowledged, and held nowhere else
                throw new StoreIOException("closing store " + dir + " failed: the journal could not be written, so"
                        + " work acknowledged below SYNC since the last sync may be lost", released.journal());
            }
            LOG.warn("store {}: closing the journal failed, with every acknowledged change durable: {}", dir,
                    released.journal().toString());
        }
        LOG.info("closed store {}", dir);
    }

    /** See {@link VmemStore#closeWithoutCheckpoint()}. */
    void closeWithoutCheckpoint() {
        closer.lock();
        try {
            if (closed || parts == null) {
                closed = true;
                return;
            }
            parts.keeper().close();
            parts.checkpointer().close();
            Released released = release(false);
            IOException first = released.journal() != null ? released.journal() : released.lock();
            if (first != null) {
                throw new StoreIOException("closing " + dir + " without a checkpoint failed", first);
            }
        } finally {
            closer.unlock();
        }
    }

    /** How releasing the files went: each failure, or null. */
    private record Released(IOException journal, IOException lock) {
    }

    /** Marks the store closed and releases the journal, the lock and the JMX beans, each whatever the others do. */
    private Released release(boolean clean) {
        IOException journal = null;
        IOException lock = null;
        mutation.lock();
        try {
            closed = true;
            try {
                parts.journal().close(clean);
            } catch (IOException e) {
                journal = e;
            }
            try {
                parts.lock().close();
            } catch (IOException e) {
                lock = e;
            }
            jmx.unregisterAll();
        } finally {
            mutation.unlock();
        }
        return new Released(journal, lock);
    }
}

package dev.vmem.store;

import dev.vmem.ArenaChange;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's write path: runs mutations one at a time under the store's lock, collects the operations
 * they record (with the action that takes each back) into one unit while mutations nest, takes them
 * back newest first when a mutation fails, and journals the unit as one record when the outermost
 * mutation ends, then waits for its fsync outside the lock.
 *
 * <h2>Assumptions and guarantees</h2>
 * {@link #record} is called only under the store's lock (by the arenas' observers and the registry).
 * A mutation that throws, or whose record cannot be written, is taken back in memory and is absent
 * from the journal. A failed fsync leaves the unit applied in memory and possibly on disk; the store
 * stops ({@link StoreSyncFailedException}), as it does when a failure cannot be taken back.
 */
final class UnitOfWork {
    /** The store's logger: a unit that cannot be taken back stops the store, which is the store's news. */
    private static final Logger LOG = LoggerFactory.getLogger(VmemStore.class);

    private record Step(Op op, Runnable undo) {
    }

    private final Path dir;
    private final ReentrantLock lock;
    private final Journal journal;
    private final LongConsumer written;
    private final Runnable settled;
    private final List<Step> steps = new ArrayList<>();
    private int depth;
    private volatile boolean stopped;

    /**
     * @param lock    the store's lock, which every mutation holds while it runs
     * @param written told the size of each record appended
     * @param settled run under the lock whenever the outermost mutation ends, however it ends
     */
    UnitOfWork(Path dir, ReentrantLock lock, Journal journal, LongConsumer written, Runnable settled) {
        this.dir = dir;
        this.lock = lock;
        this.journal = journal;
        this.written = written;
        this.settled = settled;
    }

    /** Adds an operation to the unit being built, with the action that takes it back. */
    void record(Op op, Runnable undo) {
        assert lock.isHeldByCurrentThread() : "arena changed outside the store's lock";
        steps.add(new Step(op, undo));
    }

    /** Whether the store has stopped accepting work after a journal failure. */
    boolean stopped() {
        return stopped;
    }

    /**
     * Runs {@code action} under the lock, after {@code guard}, as part of the current unit (or as a new
     * one). The outermost mutation returns once its unit is durable.
     *
     * @throws StoreIOException          if the unit's record cannot be written (it is taken back), or the
     *                                   store has stopped
     * @throws StoreSyncFailedException  if the fsync failed: the unit may or may not be durable
     */
    <T> T run(Runnable guard, Supplier<T> action) {
        long seq = -1;
        T result;
        lock.lock();
        try {
            guard.run();
            ensureRunning();
            int mark = steps.size();
            depth++;
            try {
                result = action.get();
            } catch (RuntimeException | Error e) {
                revertFrom(mark, e);
                throw e;
            } finally {
                depth--;
            }
            if (depth == 0 && !steps.isEmpty()) {
                seq = append();
            }
        } finally {
            if (depth == 0) {
                steps.clear();
                settled.run();
            }
            lock.unlock();
        }
        if (seq > 0) {
            try {
                journal.sync(seq);
            } catch (IOException e) {
                stopped = true;
                throw new StoreSyncFailedException("journal sync failed for " + dir + " at sequence " + seq
                        + ": whether the operation is durable is unknown; the store has stopped accepting work and"
                        + " must be reopened (recovery keeps exactly what reached the disk)", e);
            }
        }
        return result;
    }

    private void ensureRunning() {
        if (stopped) {
            throw new StoreIOException("store " + dir + " stopped after a journal failure; reopen it", null);
        }
    }

    private long append() {
        List<Op> ops = new ArrayList<>(steps.size());
        for (Step s : steps) {
            ops.add(s.op());
        }
        byte[] payload = UnitCodec.encode(ops);
        if (payload.length > StoreFormat.MAX_PAYLOAD_BYTES) {
            IllegalArgumentException e = new IllegalArgumentException("unit of " + ops.size()
                    + " operations is too large for one journal record (" + payload.length + " bytes > "
                    + StoreFormat.MAX_PAYLOAD_BYTES + "); split the batch");
            revertFrom(0, e);
            throw e;
        }
        try {
            long seq = journal.append(payload, releasing(ops));
            try {
                written.accept(payload.length + StoreFormat.RECORD_HEADER_BYTES);
            } catch (RuntimeException e) {
                // The unit is written and will be synced: nothing after this point may report it as failed.
                LOG.warn("store {}: could not count journal growth for the checkpointer: {}", dir, e.toString());
            }
            return seq;
        } catch (DiskFull e) {
            StoreIOException failure = new StoreDiskFullException(e.dir, e.needed, e.usable, e);
            revertFrom(0, failure);
            throw failure;
        } catch (IOException e) {
            StoreIOException failure = new StoreIOException("journal write failed for " + dir
                    + "; the operation did not happen" + (journal.failed()
                            ? ", and the journal cannot go on: reopen the store" : ""), e);
            revertFrom(0, failure);
            if (journal.failed()) {
                stopped = true;
            }
            throw failure;
        }
    }

    /** Whether a unit only gives space back (frees, removes spans, drops arenas): it may use the journal's reserve. */
    private static boolean releasing(List<Op> ops) {
        for (Op op : ops) {
            boolean gives = op instanceof Op.Drop || op instanceof Op.Change c
                    && (c.change() instanceof ArenaChange.Freed || c.change() instanceof ArenaChange.SpanRemoved);
            if (!gives) {
                return false;
            }
        }
        return true;
    }

    /** Takes back the steps from {@code mark} on, newest first. */
    private void revertFrom(int mark, Throwable cause) {
        try {
            for (int i = steps.size() - 1; i >= mark; i--) {
                steps.get(i).undo().run();
                steps.remove(i);
            }
        } catch (RuntimeException e) {
            // Memory no longer matches the journal: stop, so that only a reopen (which trusts the disk) goes on.
            stopped = true;
            cause.addSuppressed(e);
            LOG.error("store {}: could not take back a failed operation; the store has stopped", dir, e);
        }
    }
}

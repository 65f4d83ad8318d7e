package dev.vmem.store;

import dev.vmem.ArenaChange;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's write path: runs mutations one at a time under the store's lock, collects the operations
 * they record (with the action that takes each back) into one unit while mutations nest, takes them
 * back newest first when a mutation fails, and journals the unit as one record when the outermost
 * mutation ends; at {@link Durability#SYNC} it then waits for the record's fsync outside the lock. A unit
 * at a weaker level is acknowledged once written or buffered, unless {@link RotorMarks} gives it a new
 * rotor mark, which must be durable first.
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
    private final RotorMarks marks;
    private final Consumer<List<Integer>> extend;
    private final Durability byDefault;
    private final List<Step> steps = new ArrayList<>();
    /** The operations of {@link #steps}, in order: the unit as it is journalled (reused, unit after unit). */
    private final List<Op> ops = new ArrayList<>();
    private int depth;
    /** The strongest level asked for by the mutations of the unit being built. */
    private Durability level = Durability.BUFFERED;
    private volatile boolean stopped;

    /**
     * @param lock    the store's lock, which every mutation holds while it runs
     * @param written told the size of each record appended
     * @param settled run under the lock whenever the outermost mutation ends, however it ends
     * @param marks   the rotor marks, told of every unit
     * @param extend  told (under the lock) which arenas' marks to extend in the background
     * @param byDefault the level of a unit whose mutations ask for none
     */
    UnitOfWork(Path dir, ReentrantLock lock, Journal journal, LongConsumer written, Runnable settled,
            RotorMarks marks, Consumer<List<Integer>> extend, Durability byDefault) {
        this.dir = dir;
        this.lock = lock;
        this.journal = journal;
        this.written = written;
        this.settled = settled;
        this.marks = marks;
        this.extend = extend;
        this.byDefault = byDefault;
    }

    /** Adds an operation to the unit being built, with the action that takes it back. */
    void record(Op op, Runnable undo) {
        assert lock.isHeldByCurrentThread() : "arena changed outside the store's lock";
        steps.add(new Step(op, undo));
        ops.add(op);
    }

    /** Whether the store has stopped accepting work after a journal failure. */
    boolean stopped() {
        return stopped;
    }

    /**
     * Runs {@code action} under the lock, after {@code guard}, as part of the current unit (or as a new
     * one). The outermost mutation returns once its unit is acknowledged at the strongest level any of
     * the unit's mutations asked for ({@code asked}: null for none, which is the default level when the
     * mutation starts the unit).
     *
     * @throws StoreIOException          if the unit's record cannot be written (it is taken back), or the
     *                                   store has stopped
     * @throws StoreSyncFailedException  if the fsync failed: the unit may or may not be durable
     */
    <T> T run(Runnable guard, Supplier<T> action, Durability asked) {
        long seq = -1;
        boolean wait = false;
        boolean marked = false;
        T result;
        lock.lock();
        try {
            guard.run();
            ensureRunning();
            int mark = steps.size();
            if (depth == 0) {
                level = asked != null ? asked : byDefault;
            } else if (asked != null) {
                level = level.atLeast(asked);
            }
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
                RotorMarks.Plan plan = marks.plan(ops, level, journal.durableSeq());
                RotorMarks.insert(ops, plan.marks());
                wait = level == Durability.SYNC || plan.mustSync();
                seq = append(level == Durability.BUFFERED && !wait);
                if (!wait) {
                    journal.acknowledged(seq);
                }
                marked = marks.appended(ops, seq);
                if (level != Durability.SYNC) {
                    List<Integer> due = marks.extensionsDue(ops);
                    if (!due.isEmpty()) {
                        extend.accept(due);
                    }
                }
            }
        } finally {
            if (depth == 0) {
                steps.clear();
                ops.clear();
                settled.run();
            }
            lock.unlock();
        }
        if (wait) {
            try {
                journal.sync(seq);
                if (marked) {
                    journal.recordDurable(); // the head too holds evidence of the mark's record
                }
            } catch (IOException e) {
                throw syncFailed(seq, e);
            }
        }
        return result;
    }

    private StoreSyncFailedException syncFailed(long seq, IOException e) {
        stopped = true;
        return new StoreSyncFailedException("journal sync failed for " + dir + " at sequence " + seq
                + ": whether the operation is durable is unknown; the store has stopped accepting work and"
                + " must be reopened (recovery keeps exactly what reached the disk)", e);
    }

    /** Makes every unit appended so far durable (the store's {@code sync()}). */
    void syncAll() {
        ensureRunning();
        long seq = journal.appendedSeq();
        if (seq <= journal.durableSeq()) {
            return;
        }
        try {
            journal.sync(seq);
        } catch (IOException e) {
            throw syncFailed(seq, e);
        }
    }

    private void ensureRunning() {
        if (stopped) {
            throw new StoreIOException("store " + dir + " stopped after a journal failure; reopen it", null);
        }
    }

    private long append(boolean buffered) {
        byte[] payload = UnitCodec.encode(ops);
        if (payload.length > StoreFormat.MAX_PAYLOAD_BYTES) {
            IllegalArgumentException e = new IllegalArgumentException("unit of " + ops.size()
                    + " operations is too large for one journal record (" + payload.length + " bytes > "
                    + StoreFormat.MAX_PAYLOAD_BYTES + "); split the batch");
            revertFrom(0, e);
            throw e;
        }
        try {
            long seq = journal.append(payload, releasing(ops), buffered);
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
            boolean gives = op instanceof Op.Drop || op instanceof Op.Mark || op instanceof Op.Change c
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
        } finally {
            if (mark == 0) {
                ops.clear(); // with any mark planned for the unit
            } else {
                ops.subList(mark, ops.size()).clear();
            }
        }
    }
}

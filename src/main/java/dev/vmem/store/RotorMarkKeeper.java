package dev.vmem.store;

import dev.vmem.ArenaChange;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's rotor-mark work that no caller waits for: the background units that extend a mark once
 * {@link RotorMarks} finds it half used, and the journalling of the rotor moves recovery made up to the marks.
 *
 * <p>Thread-safe: {@link #extend} runs under the store's lock and only queues; the extensions run on one
 * daemon thread, each as a unit of its own at {@link Durability#SYNC}.
 */
final class RotorMarkKeeper implements AutoCloseable {
    /** The store's logger: a rotor that starts at its mark is the store's news. */
    private static final Logger LOG = LoggerFactory.getLogger(VmemStore.class);

    private final Path dir;
    private final RotorMarks marks;
    private final ReentrantLock lock;
    /** The rotor of an arena by id, or null once it is gone. */
    private final IntFunction<PersistentArena> arenaById;
    private final ExecutorService thread;
    private UnitOfWork unit;
    private Runnable guard;

    RotorMarkKeeper(Path dir, RotorMarks marks, ReentrantLock lock, IntFunction<PersistentArena> arenaById) {
        this.dir = dir;
        this.marks = marks;
        this.lock = lock;
        this.arenaById = arenaById;
        this.thread = Executors.newSingleThreadExecutor(DaemonThreads.named("vmem-rotor-marks " + dir.getFileName()));
    }

    /**
     * Starts extending through {@code unit}, after {@code guard} (the store's open check). The unit is built
     * after this keeper, since it needs {@link #extend}.
     */
    void start(UnitOfWork writePath, Runnable openCheck) {
        this.unit = writePath;
        this.guard = openCheck;
    }

    /**
     * Journals, and makes durable (in the head too), the rotor moves recovery made up to the marks; the
     * arenas already hold them, so a replay of the checkpoint and the journal reproduces the rotors as they are.
     * If that fails, the journal is closed (stopping its threads and closing its files): the open fails.
     */
    static void journalSkips(Path dir, Journal journal, RotorMarks marks, List<RecoveryReport.RotorSkip> skips)
            throws IOException {
        if (skips.isEmpty()) {
            return;
        }
        List<Op> ops = new ArrayList<>();
        for (RecoveryReport.RotorSkip skip : skips) {
            ops.add(new Op.Change(skip.arenaId(), new ArenaChange.CursorMoved(skip.from(), skip.to())));
            LOG.warn("store {}: the NEXT_FIT rotor of '{}' starts at its durable mark {}, not at {} where the journal"
                    + " left it: values in between may have been handed out by acknowledged work the crash took back,"
                    + " and are not handed out again until the rotor comes round", dir, skip.arena(), skip.to(),
                    skip.from());
        }
        try {
            long seq = journal.append(UnitCodec.encode(ops), false, false);
            marks.appended(ops, seq);
            journal.sync(seq);
            journal.recordDurable();
        } catch (IOException | RuntimeException e) {
            try {
                journal.close(false);
            } catch (IOException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /** Queues background units that journal further marks for {@code arenas} (called under the store's lock). */
    void extend(List<Integer> arenas) {
        try {
            thread.execute(() -> {
                for (int id : arenas) {
                    extendOne(id);
                }
            });
        } catch (RejectedExecutionException closing) {
            arenas.forEach(marks::extensionFailed);
        }
    }

    private void extendOne(int id) {
        try {
            unit.run(guard, () -> {
                PersistentArena arena = arenaById.apply(id);
                Op.Mark mark = arena == null ? null : marks.extension(id, arena.nextFitCursor());
                if (mark != null) {
                    unit.record(mark, () -> { });
                }
                return null;
            }, Durability.SYNC);
        } catch (RuntimeException e) {
            lock.lock();
            try {
                marks.extensionFailed(id);
            } finally {
                lock.unlock();
            }
            if (!thread.isShutdown()) {
                LOG.warn("store {}: a NEXT_FIT rotor mark could not be extended ahead of the callers (the next"
                        + " allocation past it waits for one): {}", dir, e.toString());
            }
        }
    }

    /** Stops the thread, letting an extension in progress end (up to 10 s). */
    @Override
    public void close() {
        if (!DaemonThreads.stop(thread, 10)) {
            LOG.warn("store {}: the rotor mark thread did not stop within 10 s", dir);
        }
    }
}

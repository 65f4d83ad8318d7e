package dev.vmem.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A crash-safe store of named arenas in one directory.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>An operation returns only once its journal record is on disk (fsync); concurrent operations
 *       share fsyncs. After a crash ({@code kill -9}, power loss of a disk that honours fsync), reopening
 *       shows every acknowledged operation and no part of an unacknowledged one, passes the invariant
 *       check, and restores each NEXT_FIT rotor.</li>
 *   <li>{@link #batch} makes several operations, across arenas, one unit; an import (the parent's
 *       allocation and the child's new span) is always one unit.</li>
 *   <li>A rejected operation changes nothing, in memory or on disk. If the journal write fails, the
 *       operation is taken back ({@link StoreIOException}: it did not happen). If the fsync fails, the
 *       outcome is unknown ({@link StoreSyncFailedException}): the operation stays applied in memory and
 *       may or may not be on disk, and the store stops accepting work because it cannot know what reached
 *       the disk: reopen it, and recovery shows what did.</li>
 *   <li>One opener at a time: another process or another open in this JVM gets
 *       {@link StoreLockedException}. Damaged files are refused with {@link StoreCorruptedException}
 *       naming the file and offset; nothing is repaired by guessing. A journal tail that was written but
 *       never acknowledged (a crash or power loss during its write) is cut off and reported at WARN and by
 *       {@link #recovery()}; a journal that lost acknowledged records is refused, as far as the record
 *       watermarks and the store head can prove (all but the last second of acknowledged work when the
 *       newest segment's tail vanishes). {@link StoreRepair} accepts a loss only when asked.</li>
 *   <li>A full file system refuses operations that need space with {@link StoreDiskFullException} (they
 *       did not happen); frees keep working from a reserve, and work resumes when space returns. A closed
 *       store holds its two checkpoints, its head and a journal segment without a record.</li>
 * </ul>
 *
 * <h2>Thread safety</h2>
 * Assumptions: none. Guarantees: every method is thread-safe; mutations are applied one at a time under
 * one store-wide lock (microseconds) and wait for their fsync outside it.
 */
public final class VmemStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VmemStore.class);

    private final Path dir;
    private final DirectoryLock lock;
    /** The store-wide lock: held by every mutation, and by every read of the registry. */
    private final ReentrantLock mutation = new ReentrantLock();
    private final ArenaRegistry registry;
    private final StoreVerifier verifier;
    private final ArenaJmx jmx;
    private final Journal journal;
    private final Checkpointer checkpointer;
    private final UnitOfWork unit;
    private final RecoveryReport recovery;
    private volatile boolean closed;

    private VmemStore(Path dir, StoreOptions options, StoreHooks hooks, DirectoryLock lock,
            Recovery.Result recovered, int version) throws IOException {
        this.dir = dir;
        this.lock = lock;
        this.registry = new ArenaRegistry(this, dir, this::record);
        this.verifier = new StoreVerifier(dir, registry);
        this.jmx = new ArenaJmx(dir);
        // Rebuild and check the arenas before the journal opens: opening it cuts the journal's tail.
        registry.restore(recovered.image());
        List<String> problems = verifier.checkArenas();
        if (!problems.isEmpty()) {
            throw new StoreCorruptedException(dir, -1, "recovered state fails the invariant check: " + problems);
        }
        JournalReader.Scan scan = recovered.scan();
        StoreHead head = recovered.head() != null ? StoreHead.open(hooks.files(), dir, recovered.head())
                : StoreHead.create(hooks.files(), dir, new StoreHead.State(1, 0, 0, recovered.checkpointSeq(), 0));
        this.journal = new Journal(dir.resolve(StoreFormat.JOURNAL_DIR), hooks.files(),
                options.journalSegmentBytes(), scan, head);
        this.recovery = new RecoveryReport(recovered.checkpointSeq(), recovered.replayed(), scan.nextSeq() - 1,
                Optional.ofNullable(scan.cut()), version < StoreFormat.VERSION ? version : 0, head.state().repairs());
        this.checkpointer = new Checkpointer(dir, recovered.generationSeqs(), recovered.epoch(), recovered.image(),
                journal, options, hooks, this::snapshot);
        this.unit = new UnitOfWork(dir, mutation, journal, checkpointer::written, this::settled);
        jmx.sync(registry, true);
    }

    /**
     * Opens (or, with {@link StoreOptions#createIfMissing()}, creates) the store in
     * {@code options.directory()}, recovering from the newest verified checkpoint and the journal.
     *
     * @throws StoreLockedException     if the store is open elsewhere
     * @throws NotAStoreException       if the directory is not a store, or of an unknown format version
     * @throws StoreCorruptedException  if recovery finds damage it must not guess about
     * @throws StoreIOException         if the files cannot be read or written
     */
    public static VmemStore open(StoreOptions options) {
        return open(options, StoreHooks.DEFAULT);
    }

    /** Opens the store in {@code directory} with default options. */
    public static VmemStore open(Path directory) {
        return open(StoreOptions.of(directory));
    }

    /** As {@link #open(StoreOptions)}, with the journal's files and the checkpoint writer of {@code hooks}. */
    static VmemStore open(StoreOptions options, StoreHooks hooks) {
        Path dir = options.directory();
        long started = System.nanoTime();
        try {
            StoreDirectory.prepare(hooks.files(), dir, options.createIfMissing());
            DirectoryLock lock = DirectoryLock.acquire(dir);
            try {
                StoreRepair.finishInterrupted(hooks.files(), dir);
                if (!StoreDirectory.exists(dir) && options.createIfMissing()) {
                    StoreDirectory.create(hooks.files(), dir);
                }
                int version = StoreDirectory.checkFormat(dir);
                Recovery.Result recovered = Recovery.recover(dir, version);
                VmemStore store = new VmemStore(dir, options, hooks, lock, recovered, version);
                if (version < StoreFormat.VERSION) {
                    // The head exists and the journal writes a new-format segment: the store is now of this version.
                    try {
                        StoreDirectory.writeFormat(hooks.files(), dir);
                    } catch (IOException | RuntimeException e) {
                        store.closeWithoutCheckpoint(); // stops its threads; the lock is released below
                        throw e;
                    }
                    LOG.info("store {}: upgraded from format {} to {}", dir, version, StoreFormat.VERSION);
                }
                store.recovery.cut().ifPresent(cut -> LOG.warn("store {}: cut off a journal tail that was never"
                        + " acknowledged as durable: {} record(s), sequence {} to {}, {} bytes from offset {} of {}",
                        dir, cut.units(), cut.fromSeq(), cut.toSeq(), cut.bytes(), cut.offset(), cut.file()));
                LOG.info("opened store {}: {} arenas, {} journal records replayed after checkpoint sequence {}, in {} ms",
                        dir, recovered.image().arenas.size(), recovered.replayed(),
                        recovered.image().seq - recovered.replayed(), (System.nanoTime() - started) / 1_000_000);
                if (recovered.rebuildCheckpoint()) {
                    LOG.warn("store {}: rebuilding a damaged checkpoint from the other generation and the journal", dir);
                    store.checkpointer.requestSoon();
                }
                return store;
            } catch (IOException | RuntimeException e) {
                try {
                    lock.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        } catch (IOException e) {
            throw new StoreIOException("cannot open store " + dir + ": " + e, e);
        }
    }

    public Path directory() {
        return dir;
    }

    /** What opening this store recovered: where it started, what it replayed, and any tail it cut off. */
    public RecoveryReport recovery() {
        return recovery;
    }

    /**
     * Creates an arena, durably.
     *
     * @throws IllegalArgumentException if the name is taken, the source is unknown, or the definition is
     *         invalid (the message names the value)
     */
    public PersistentArena createArena(ArenaDefinition definition) {
        return mutate(() -> registry.create(definition));
    }

    /**
     * The arena named {@code name}.
     *
     * @throws IllegalArgumentException if there is none
     */
    public PersistentArena arena(String name) {
        return read(() -> registry.arena(name));
    }

    /** Every arena, in order of creation. */
    public List<PersistentArena> arenas() {
        return read(registry::arenas);
    }

    String sourceNameOf(PersistentArena arena) {
        mutation.lock();
        try {
            return registry.sourceNameOf(arena);
        } finally {
            mutation.unlock();
        }
    }

    /**
     * Drops an arena, durably: its imported spans go back to its source and its contents are discarded.
     *
     * @throws IllegalArgumentException if there is no such arena, or another arena imports from it
     */
    public void dropArena(String name) {
        mutate(() -> {
            registry.drop(name);
            return null;
        });
    }

    /**
     * Runs {@code work} as one unit: every change made by the arenas of this store inside it is
     * journalled in one record and acknowledged when this method returns. If {@code work} throws,
     * every change it made is taken back and the exception propagates. Batches may nest (the outermost
     * one is the unit). Keep a batch short: the store applies no other mutation while it runs.
     */
    public <T> T batch(Supplier<T> work) {
        return mutate(work);
    }

    /** As {@link #batch(Supplier)}, for work without a result. */
    public void batch(Runnable work) {
        mutate(() -> {
            work.run();
            return null;
        });
    }

    /** Runs an operation of {@code arena}, which must still belong to this store. */
    <T> T mutate(PersistentArena arena, Supplier<T> action) {
        return mutate(() -> {
            registry.checkMember(arena);
            return action.get();
        });
    }

    private <T> T mutate(Supplier<T> action) {
        return unit.run(this::ensureOpen, action);
    }

    /**
     * Where the arenas and the registry hand their operations: the unit being built. (The registry exists
     * before the unit, which needs the journal, which opens only once the recovered arenas are checked.)
     */
    private void record(Op op, Runnable undo) {
        unit.record(op, undo);
    }

    /** Runs whenever a unit ends: JMX follows the arenas it created and dropped. */
    private void settled() {
        jmx.sync(registry, registry.settle());
    }

    private <T> T read(Supplier<T> query) {
        mutation.lock();
        try {
            ensureOpen();
            return query.get();
        } finally {
            mutation.unlock();
        }
    }

    /** Brings the checkpoint up to date now. Returns whether it succeeded (failures are also logged). */
    public boolean checkpoint() {
        ensureOpen();
        return checkpointer.checkpoint();
    }

    private StoreImage snapshot() {
        return read(() -> registry.image(journal.writtenSeq()));
    }

    /**
     * The full check: every arena's invariants, every imported span matched by an allocation of the
     * same range in its source, both checkpoint generations readable, and the newest checkpoint plus the
     * journal reproducing exactly the state in memory.
     *
     * @return a description of each problem; empty when the store is sound
     */
    public List<String> verify() {
        return verify((done, total) -> { });
    }

    /** Reports how far {@link #verify(Progress)} has got, in segments checked out of a total. */
    @FunctionalInterface
    public interface Progress {
        void checked(long done, long total);
    }

    /** As {@link #verify()}, reporting progress (for a progress bar on a big store). */
    public List<String> verify(Progress progress) {
        ensureOpen();
        return checkpointer.paused(() -> read(
                () -> verifier.verify(progress, checkpointer.generationSeqs(), journal.writtenSeq())));
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("store " + dir + " is closed");
        }
    }

    /** Writes a final checkpoint (unless the store stopped after a failure), closes the files, unlocks. */
    @Override
    public void close() {
        mutation.lock();
        try {
            if (closed) {
                return;
            }
        } finally {
            mutation.unlock();
        }
        checkpointer.close();
        if (!unit.stopped() && checkpointer.checkpoint()) {
            checkpointer.mirror();
        }
        release(true, (what, e) -> LOG.warn("store {}: {} failed: {}", dir, what, e.toString()));
        LOG.info("closed store {}", dir);
    }

    /**
     * Closes without the final checkpoint, leaving the checkpoints as a process that dies leaves them;
     * the journal keeps every record it wrote, and the files and the lock are released so that this JVM
     * can open the store again. The crash tests' way to stop a store.
     *
     * @throws StoreIOException if a file cannot be released
     */
    void closeWithoutCheckpoint() {
        checkpointer.close();
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
                journal.close(clean);
            } catch (IOException e) {
                onFailure.failed("closing the journal", e);
            }
            try {
                lock.close();
            } catch (IOException e) {
                onFailure.failed("releasing the lock", e);
            }
            jmx.unregisterAll();
        } finally {
            mutation.unlock();
        }
    }
}

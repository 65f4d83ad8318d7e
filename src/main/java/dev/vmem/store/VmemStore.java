package dev.vmem.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A crash-safe store of named arenas in one directory.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>At {@link Durability#SYNC} (the default) an operation returns only once its journal record is on
 *       disk (fsync); concurrent operations share fsyncs. After a crash ({@code kill -9}, power loss of a
 *       disk that honours fsync), reopening shows every acknowledged operation and no part of an
 *       unacknowledged one, passes the invariant check, and restores each NEXT_FIT rotor exactly.</li>
 *   <li>At {@link Durability#WRITE} and {@link Durability#BUFFERED} an operation returns before its fsync,
 *       and a crash may take back what was acknowledged in the last {@link StoreOptions#flushInterval()}
 *       (WRITE: only a power loss or an operating-system crash; BUFFERED: any crash). Recovery then yields a
 *       prefix of the acknowledged history (no holes, no reordering, batches whole or absent). No value a
 *       NEXT_FIT allocation returned is handed out again before the rotor comes round: recovery starts the
 *       rotor at its last durable mark, skipping at most {@link StoreOptions#rotorReserve()} values never
 *       handed out, and reports it ({@link RecoveryReport#rotorSkips()}). {@link #sync()} makes everything
 *       acknowledged before it durable.</li>
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
 * Assumptions: none. Guarantees: every method is thread-safe; mutations are applied one at a time under one
 * store-wide lock (microseconds) and wait for their fsync outside it; an interrupt fails no call, and stays set.
 */
public final class VmemStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VmemStore.class);

    private final Path dir;
    /** The store-wide lock: held by every mutation, and by every read of the registry. */
    private final ReentrantLock mutation = new ReentrantLock();
    private final ArenaRegistry registry;
    private final StoreVerifier verifier;
    private final StoreJmx jmx;
    private final StoreCounters counters;
    private final Journal journal;
    private final Checkpointer checkpointer;
    private final UnitOfWork unit;
    private final RecoveryReport recovery;
    private final RotorMarks marks;
    private final StoreClosing closing;

    VmemStore(Path dir, StoreOptions options, StoreHooks hooks, DirectoryLock lock,
            Recovery.Result recovered, int version, StoreCounters counters) throws IOException {
        this.dir = dir;
        this.registry = new ArenaRegistry(this, dir, this::record);
        this.verifier = new StoreVerifier(dir, registry);
        this.jmx = new StoreJmx(dir, options.jmx());
        this.counters = counters;
        // Rebuild and check the arenas before the journal opens: opening it cuts the journal's tail.
        List<RecoveryReport.RotorSkip> skips = restore(recovered);
        JournalReader.Scan scan = recovered.scan();
        StoreHead head = recovered.head() != null ? StoreHead.open(hooks.files(), dir, recovered.head())
                : StoreHead.create(hooks.files(), dir, new StoreHead.State(1, 0, 0, recovered.checkpointSeq(), 0));
        this.journal = new Journal(dir.resolve(StoreFormat.JOURNAL_DIR), hooks.files(),
                options.journalSegmentBytes(), scan, head, Math.max(1, options.flushInterval().toMillis()), counters);
        this.recovery = recovered.report(version, skips);
        this.marks = new RotorMarks(options.rotorReserve(), System::nanoTime);
        for (StoreImage.ArenaImage a : recovered.image().arenas.values()) {
            marks.track(a.definition.arena(), a.definition.quantum());
        }
        RotorMarkKeeper.journalSkips(dir, journal, marks, skips);
        this.checkpointer = new Checkpointer(dir, recovered.generationSeqs(), recovered.epoch(), recovered.image(),
                journal, options, hooks, this::snapshot, counters);
        // Journals rotor marks ahead of the callers.
        RotorMarkKeeper keeper = new RotorMarkKeeper(dir, marks, mutation, registry::arenaById);
        this.unit = new UnitOfWork(dir, mutation, journal, checkpointer::written, this::settled, marks,
                keeper::extend, options.durability());
        this.closing = new StoreClosing(dir, mutation, jmx, new StoreClosing.Parts(lock, journal, checkpointer, unit,
                marks, keeper));
        keeper.start(unit, closing::ensureTakingWork);
        jmx.open(this, registry);
    }

    /** A read-only store (see {@link ReadOnlyOpening}): the arenas {@code recovered} holds, and nothing to write with. */
    VmemStore(Path dir, Recovery.Result recovered, int version) {
        this.dir = dir;
        this.registry = new ArenaRegistry(this, dir, this::record);
        this.verifier = new StoreVerifier(dir, registry);
        this.jmx = new StoreJmx(dir, false); // a writer of the same directory in this JVM has the beans' names
        this.counters = new StoreCounters(dir);
        this.recovery = recovered.report(version, restore(recovered));
        this.marks = new RotorMarks(1, System::nanoTime);
        this.journal = null;
        this.checkpointer = null;
        this.unit = null;
        this.closing = new StoreClosing(dir, mutation, jmx, null);
    }

    /** Rebuilds the arenas of {@code recovered} and checks them; returns the rotors moved up to their marks. */
    private List<RecoveryReport.RotorSkip> restore(Recovery.Result recovered) {
        List<RecoveryReport.RotorSkip> skips = Recovery.skipToMarks(recovered.image());
        registry.restore(recovered.image());
        List<String> problems = verifier.checkArenas();
        if (!problems.isEmpty()) {
            throw new StoreCorruptedException(dir, -1, "recovered state fails the invariant check: " + problems);
        }
        return skips;
    }

    /**
     * Opens (or, with {@link StoreOptions#createIfMissing()}, creates) the store in {@code options.directory()},
     * recovering from the newest verified checkpoint and the journal.
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

    /**
     * Opens the store in {@code directory} read-only: recovers it into memory and writes nothing (no lock file,
     * checkpoint or journal repair). Another process may have the store open and go on writing: the view is then
     * what recovery would show had that process been killed during this call, which holds every unit it
     * acknowledged at {@link Durability#SYNC} or {@link Durability#WRITE} before the call; see
     * {@link ReadOnlyOpening}. Every mutation, of the store or its arenas, throws {@link ReadOnlyStoreException}.
     *
     * @throws NotAStoreException      if the directory is not a store, or of an unknown format version
     * @throws StoreCorruptedException if recovery finds damage it must not guess about, or the writer changed the
     *                                 files under every attempt to read them
     * @throws StoreIOException        if the files cannot be read
     */
    public static VmemStore openReadOnly(Path directory) {
        return ReadOnlyOpening.open(directory);
    }

    /** Whether this store was opened with {@link #openReadOnly(Path)}. */
    public boolean isReadOnly() {
        return unit == null;
    }

    /** As {@link #open(StoreOptions)}, with the journal's files and the checkpoint writer of {@code hooks}. */
    static VmemStore open(StoreOptions options, StoreHooks hooks) {
        return StoreOpening.open(options, hooks);
    }

    /** After a recovery that passed over a damaged checkpoint generation: rebuild it soon. */
    void rebuildCheckpointSoon() {
        checkpointer.requestSoon();
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

    /** Binds arena {@code name}, defined {@link ArenaDefinition#withOutsideSource}, to {@code source} until close. */
    public PersistentArena attachSource(String name, dev.vmem.Source source) {
        return read(() -> registry.attach(name, Objects.requireNonNull(source, "source")));
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
     * Runs {@code work} as one unit: every change made by the arenas of this store inside it is journalled in one
     * record and acknowledged when this method returns, at the store's {@link StoreOptions#durability()}. If
     * {@code work} throws, every change it made is taken back and the exception propagates. Batches may nest (the
     * outermost one is the unit). Keep a batch short: the store applies no other mutation while it runs.
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

    /**
     * As {@link #batch(Supplier)}, acknowledged at {@code durability} instead of the store's default. A batch
     * nested in another is acknowledged with the outermost one, at the strongest level any of them asked for.
     *
     * @throws NullPointerException if {@code durability} is null
     */
    public <T> T batch(Durability durability, Supplier<T> work) {
        Objects.requireNonNull(durability, "durability");
        ensureWritable();
        return unit.run(closing::ensureTakingWork, work, durability);
    }

    /** As {@link #batch(Durability, Supplier)}, for work without a result. */
    public void batch(Durability durability, Runnable work) {
        batch(durability, () -> {
            work.run();
            return null;
        });
    }

    /**
     * Makes everything acknowledged before this call durable (written and fsynced), whatever its level: a
     * storage engine's commit point. Cheap when there is nothing to do.
     *
     * @throws StoreIOException         if the store stopped after a journal failure
     * @throws StoreSyncFailedException if the fsync failed: the store stops, as after a failed operation
     * @throws IllegalStateException    if the store is closed
     */
    public void sync() {
        closing.ensureOpen();
        if (!isReadOnly()) { // a read-only store acknowledges nothing
            unit.syncAll();
        }
    }

    /**
     * What the store has done since it opened: for monitoring (what {@link StoreMXBean} shows), and for the
     * durability trade-off. Takes no lock; reads the journal directory's listing for the journal's size.
     */
    public StoreStats stats() {
        return isReadOnly() ? counters.stats(recovery.lastSeq(), recovery.lastSeq(), 0, 0)
                : counters.stats(journal.appendedSeq(), journal.durableSeq(), marks.moves(), marks.waits());
    }

    /** Runs an operation of {@code arena}, which must still belong to this store. */
    <T> T mutate(PersistentArena arena, Supplier<T> action) {
        return mutate(() -> {
            registry.checkMember(arena);
            return action.get();
        });
    }

    /** A mutation at the level of the unit it joins, or at the store's default when it starts one. */
    private <T> T mutate(Supplier<T> action) {
        ensureWritable();
        return unit.run(closing::ensureTakingWork, action, null);
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
            closing.ensureOpen();
            return query.get();
        } finally {
            mutation.unlock();
        }
    }

    /**
     * Brings the checkpoint up to date now. Returns whether it succeeded (failures are also logged).
     *
     * @throws IllegalStateException if the store is closed, or if called inside a batch (the batch's changes
     *         are not journalled yet, and a checkpoint must hold only what the journal does)
     * @throws ReadOnlyStoreException if the store is read-only
     */
    public boolean checkpoint() {
        ensureWritable();
        ensureOutsideBatch("checkpoint()");
        return Interrupts.deferred(checkpointer::checkpoint);
    }

    /**
     * Writes a copy of this store into {@code target} while it goes on serving: a store holding every unit
     * acknowledged before this call. Writers wait only while the state is copied in memory, as for a checkpoint.
     * {@code target} must be missing or an empty directory, outside the store. A read-only store writes the state
     * it recovered. See {@link StoreBackup}.
     *
     * @throws IllegalArgumentException if {@code target} exists and is not an empty directory, lies inside the
     *         store, or its directory is missing or not writable (the message names it)
     * @throws StoreIOException         if writing the copy fails (a full disk included); nothing is left at the target
     * @throws IllegalStateException    if the store is closed, or if called inside a batch
     */
    public void backup(Path target) {
        closing.ensureOpen();
        ensureOutsideBatch("backup()");
        if (isReadOnly()) {
            StoreBackup.write(StoreFiles.DEFAULT, dir, target, recovery.repairs(),
                    () -> read(() -> registry.image(recovery.lastSeq())));
        } else {
            StoreBackup.write(checkpointer.files(), dir, target, recovery.repairs(), () -> checkpointer.durable(snapshot()));
        }
    }

    /** Refuses {@code what} on a thread that is inside a batch: it would see the batch's unjournalled changes. */
    private void ensureOutsideBatch(String what) {
        if (mutation.isHeldByCurrentThread()) {
            throw new IllegalStateException(what + " inside a batch of store " + dir + ": call it after the batch");
        }
    }

    private StoreImage snapshot() {
        return read(() -> {
            StoreImage image = registry.image(journal.appendedSeq());
            image.arenas.forEach((id, a) -> a.mark = marks.logged(id));
            return image;
        });
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
        closing.ensureOpen();
        ensureOutsideBatch("verify()");
        if (isReadOnly()) {
            return read(verifier::checkArenas); // the open checked the files, which another process may be changing
        }
        return Interrupts.deferred(() -> checkpointer.paused(() -> read(() -> {
            try {
                journal.flush(); // the replay reads the files: buffered records must be in them
            } catch (IOException e) {
                return List.of("the journal's buffered records cannot be written for the check: " + e);
            }
            return verifier.verify(progress, checkpointer.generationSeqs(), journal.appendedSeq());
        })));
    }

    private void ensureWritable() {
        closing.ensureOpen();
        if (isReadOnly()) {
            throw new ReadOnlyStoreException("store " + dir + " was opened read-only: it changes nothing (open it with"
                    + " VmemStore.open to change it)");
        }
    }

    /**
     * Writes a last checkpoint (unless the store stopped after a failure, or {@link Checkpointer#neededAtClose()}
     * finds the journal short), closes the files, unlocks. Once begun, changes get an {@link IllegalStateException}
     * (its last checkpoint holds them all; reads work on), and so does a close inside a batch; a second close
     * returns once the first has ended. The files are released whatever fails.
     *
     * @throws StoreIOException if the journal could not be written while acknowledged work was neither fsynced
     *         nor in a last checkpoint
     */
    @Override
    public void close() {
        closing.close();
    }

    /**
     * Closes without the final checkpoint, leaving the checkpoints as a process that dies leaves them;
     * the journal keeps every record it wrote, and the files and the lock are released so that this JVM
     * can open the store again. The crash tests' way to stop a store.
     *
     * @throws StoreIOException if a file cannot be released
     */
    void closeWithoutCheckpoint() {
        closing.closeWithoutCheckpoint();
    }
}

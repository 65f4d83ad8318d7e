package dev.vmem.store;

import dev.vmem.Arena;
import dev.vmem.ArenaChange;
import dev.vmem.ArenaState;
import dev.vmem.ArenaStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
 *       naming the file and offset; nothing is repaired by guessing.</li>
 * </ul>
 *
 * <h2>Thread safety</h2>
 * Assumptions: none. Guarantees: every method is thread-safe; mutations are applied one at a time under
 * one store-wide lock (microseconds) and wait for their fsync outside it.
 */
public final class VmemStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VmemStore.class);

    /** A live arena of the store. */
    private record Entry(int id, Op.Create definition, PersistentArena arena) {
    }

    private final Path dir;
    private final StoreOptions options;
    private final DirectoryLock lock;
    private final Journal journal;
    private final Checkpointer checkpointer;

    private final ReentrantLock mutation = new ReentrantLock();
    private final List<Op> pending = new ArrayList<>();
    private int depth;
    private final Map<String, Entry> byName = new LinkedHashMap<>();
    private final TreeMap<Integer, Entry> byId = new TreeMap<>();
    /** Arenas dropped by the unit being built, kept so that the drop can be taken back. */
    private final Map<Integer, Entry> dropped = new java.util.HashMap<>();
    /** Arena names registered with JMX. */
    private final java.util.Set<String> jmxNames = new java.util.HashSet<>();
    private int nextId;
    private volatile boolean stopped;
    private volatile boolean closed;

    private VmemStore(Path dir, StoreOptions options, StoreHooks hooks, DirectoryLock lock,
            Recovery.Result recovered) throws IOException {
        this.dir = dir;
        this.options = options;
        this.lock = lock;
        for (Map.Entry<Integer, StoreImage.ArenaImage> e : recovered.image().arenas.entrySet()) {
            try {
                register(e.getValue().definition, e.getValue().state());
            } catch (IllegalArgumentException invalid) {
                throw new StoreCorruptedException(dir, -1, "recovered arena " + e.getValue().definition
                        + " cannot be rebuilt: " + invalid.getMessage(), invalid);
            }
            nextId = Math.max(nextId, e.getKey() + 1);
        }
        List<String> problems = verifyArenas();
        if (!problems.isEmpty()) {
            throw new StoreCorruptedException(dir, -1, "recovered state fails the invariant check: " + problems);
        }
        JournalReader.Scan scan = recovered.scan();
        this.journal = new Journal(dir.resolve(StoreFormat.JOURNAL_DIR), hooks.journalFiles(),
                options.journalSegmentBytes(), scan.segments(), scan.nextSeq(), scan.tailSize());
        this.checkpointer = new Checkpointer(dir, recovered.generationSeqs(), recovered.epoch(), recovered.image(),
                journal, options, hooks.checkpointWriter(), this::snapshot);
        syncJmx();
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

    /** As {@link #open(StoreOptions)}, with the journal's files and the checkpoint writer of {@code hooks}. */
    static VmemStore open(StoreOptions options, StoreHooks hooks) {
        Path dir = options.directory();
        long started = System.nanoTime();
        try {
            StoreDirectory.prepare(dir, options.createIfMissing());
            DirectoryLock lock = DirectoryLock.acquire(dir);
            try {
                StoreDirectory.checkFormat(dir);
                Files.createDirectories(dir.resolve(StoreFormat.JOURNAL_DIR));
                Recovery.Result recovered = Recovery.recover(dir);
                VmemStore store = new VmemStore(dir, options, hooks, lock, recovered);
                LOG.info("opened store {}: {} arenas, {} journal records replayed after checkpoint sequence {}, in {} ms",
                        dir, store.byId.size(), recovered.replayed(), recovered.image().seq - recovered.replayed(),
                        (System.nanoTime() - started) / 1_000_000);
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

    /** Opens the store in {@code directory} with default options. */
    public static VmemStore open(Path directory) {
        return open(StoreOptions.of(directory));
    }

    public Path directory() {
        return dir;
    }

    // ---------------------------------------------------------------- arenas

    private PersistentArena register(Op.Create d, ArenaState state) {
        Entry source = d.source() == -1 ? null : byId.get(d.source());
        Arena.Builder b = Arena.builder(d.name()).quantum(d.quantum()).importQuantum(d.importQuantum())
                .observer((arena, change) -> record(d.arena(), change));
        if (source != null) {
            b.source(source.arena().inner());
        }
        if (state != null) {
            b.restore(state);
        }
        Arena inner = b.build();
        Arena.checkQcacheMax(d.name(), d.quantum(), d.qcacheMax()); // kept, not used: see PersistentArena
        PersistentArena arena = new PersistentArena(this, inner, d.arena(), d.qcacheMax());
        Entry e = new Entry(d.arena(), d, arena);
        byName.put(d.name(), e);
        byId.put(d.arena(), e);
        return arena;
    }

    /** Brings JMX in line with the arenas now registered: called once a unit is settled. */
    private void syncJmx() {
        for (Entry e : byId.values()) {
            ArenaJmx.register(dir, e.arena());
        }
        for (String name : new ArrayList<>(jmxNames)) {
            if (!byName.containsKey(name)) {
                ArenaJmx.unregister(dir, name);
                jmxNames.remove(name);
            }
        }
        jmxNames.addAll(byName.keySet());
    }

    private void record(int arena, ArenaChange change) {
        assert mutation.isHeldByCurrentThread() : "arena changed outside the store's lock";
        pending.add(new Op.Change(arena, change));
    }

    /**
     * Creates an arena, durably.
     *
     * @throws IllegalArgumentException if the name is taken, the source is unknown, or the definition is
     *         invalid (the message names the value)
     */
    public PersistentArena createArena(ArenaDefinition definition) {
        return mutate(() -> {
            if (byName.containsKey(definition.name())) {
                throw new IllegalArgumentException("arena '" + definition.name() + "' exists already in " + dir);
            }
            int source = -1;
            if (definition.source() != null) {
                Entry s = byName.get(definition.source());
                if (s == null) {
                    throw new IllegalArgumentException("source arena '" + definition.source() + "' does not exist in "
                            + dir);
                }
                source = s.id();
            }
            Op.Create op = new Op.Create(nextId, definition.name(), definition.quantum(),
                    definition.importQuantum() == 0 ? definition.quantum() : definition.importQuantum(),
                    definition.qcacheMax(), source);
            PersistentArena arena = register(op, null); // validates the definition before anything is recorded
            nextId++;
            pending.add(op);
            return arena;
        });
    }

    /**
     * The arena named {@code name}.
     *
     * @throws IllegalArgumentException if there is none
     */
    public PersistentArena arena(String name) {
        mutation.lock();
        try {
            ensureOpen();
            Entry e = byName.get(name);
            if (e == null) {
                throw new IllegalArgumentException("arena '" + name + "' does not exist in " + dir);
            }
            return e.arena();
        } finally {
            mutation.unlock();
        }
    }

    /** Every arena, in order of creation. */
    public List<PersistentArena> arenas() {
        mutation.lock();
        try {
            ensureOpen();
            List<PersistentArena> out = new ArrayList<>(byId.size());
            for (Entry e : byId.values()) {
                out.add(e.arena());
            }
            return out;
        } finally {
            mutation.unlock();
        }
    }

    String sourceNameOf(PersistentArena arena) {
        mutation.lock();
        try {
            Entry e = byId.get(arena.id());
            if (e == null || e.definition().source() == -1) {
                return null;
            }
            Entry s = byId.get(e.definition().source());
            return s == null ? null : s.definition().name();
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
            Entry e = byName.get(name);
            if (e == null) {
                throw new IllegalArgumentException("arena '" + name + "' does not exist in " + dir);
            }
            for (Entry other : byId.values()) {
                if (other.definition().source() == e.id()) {
                    throw new IllegalArgumentException("arena '" + name + "' is the source of arena '"
                            + other.definition().name() + "'; drop that first");
                }
            }
            // Give the imported spans back through the source's own (journalled, revertible) frees; the
            // dropped arena itself is left untouched, so taking the drop back is re-registering it.
            if (e.definition().source() != -1) {
                Arena parent = byId.get(e.definition().source()).arena().inner();
                for (var span : e.arena().inner().exportState().spans()) {
                    if (span.kind() == dev.vmem.Segment.Kind.IMPORTED_SPAN) {
                        parent.releaseSpan(span.base(), span.size());
                    }
                }
            }
            pending.add(new Op.Drop(e.id()));
            dropped.put(e.id(), e);
            byName.remove(name);
            byId.remove(e.id());
            return null;
        });
    }

    // ---------------------------------------------------------------- mutation

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
            Entry e = byId.get(arena.id());
            if (e == null || e.arena() != arena) {
                throw new IllegalStateException("arena '" + arena.name() + "' was dropped from " + dir);
            }
            return action.get();
        });
    }

    <T> T mutate(Supplier<T> action) {
        long seq = -1;
        T result;
        mutation.lock();
        try {
            ensureOpen();
            ensureRunning();
            int mark = pending.size();
            depth++;
            try {
                result = action.get();
            } catch (RuntimeException | Error e) {
                revertFrom(mark, e);
                throw e;
            } finally {
                depth--;
            }
            if (depth == 0 && !pending.isEmpty()) {
                seq = appendPending();
            }
        } finally {
            if (depth == 0) {
                boolean changedArenas = !dropped.isEmpty() || byName.size() != jmxNames.size();
                pending.clear();
                dropped.clear();
                if (changedArenas) {
                    syncJmx();
                }
            }
            mutation.unlock();
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

    private long appendPending() {
        byte[] payload = UnitCodec.encode(pending);
        if (payload.length > StoreFormat.MAX_PAYLOAD_BYTES) {
            IllegalArgumentException e = new IllegalArgumentException("unit of " + pending.size()
                    + " operations is too large for one journal record (" + payload.length + " bytes > "
                    + StoreFormat.MAX_PAYLOAD_BYTES + "); split the batch");
            revertFrom(0, e);
            throw e;
        }
        try {
            long seq = journal.append(payload);
            checkpointer.written(payload.length + StoreFormat.RECORD_HEADER_BYTES);
            return seq;
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

    /** Takes back pending changes from {@code mark} on, newest first. */
    private void revertFrom(int mark, Throwable cause) {
        try {
            for (int i = pending.size() - 1; i >= mark; i--) {
                Op op = pending.get(i);
                if (op instanceof Op.Change c) {
                    Entry e = byId.get(c.arena());
                    e.arena().inner().revert(c.change());
                } else if (op instanceof Op.Create c) {
                    byName.remove(c.name());
                    byId.remove(c.arena());
                } else {
                    Entry e = dropped.remove(((Op.Drop) op).arena());
                    byName.put(e.definition().name(), e);
                    byId.put(e.id(), e);
                }
                pending.remove(i);
            }
        } catch (RuntimeException e) {
            // Memory no longer matches the journal: stop, so that only a reopen (which trusts the disk) goes on.
            stopped = true;
            cause.addSuppressed(e);
            LOG.error("store {}: could not take back a failed operation; the store has stopped", dir, e);
        }
    }

    // ---------------------------------------------------------------- checkpoints and checks

    /** Brings the checkpoint up to date now. Returns whether it succeeded (failures are also logged). */
    public boolean checkpoint() {
        ensureOpen();
        return checkpointer.checkpoint();
    }

    private StoreImage snapshot() {
        mutation.lock();
        try {
            ensureOpen();
            StoreImage image = new StoreImage(journal.writtenSeq());
            for (Entry e : byId.values()) {
                image.arenas.put(e.id(), new StoreImage.ArenaImage(e.definition(), e.arena().inner().exportState()));
            }
            return image;
        } finally {
            mutation.unlock();
        }
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
        return checkpointer.paused(() -> {
            mutation.lock();
            try {
                ensureOpen();
                long total = 0;
                for (Entry e : byId.values()) {
                    total += e.arena().stats().segments();
                }
                // Three passes over the segments: invariants, replaying the disk, comparing.
                long all = 3 * total;
                List<String> problems = verifyArenas();
                progress.checked(total, all);
                verifyAgainstDisk(problems);
                progress.checked(all, all);
                return problems;
            } finally {
                mutation.unlock();
            }
        });
    }

    private List<String> verifyArenas() {
        List<String> problems = new ArrayList<>();
        for (Entry e : byId.values()) {
            Arena a = e.arena().inner();
            for (String p : a.checkInvariants()) {
                problems.add("arena '" + a.label() + "': " + p);
            }
            if (e.definition().source() == -1) {
                for (var span : a.exportState().spans()) {
                    if (span.kind() == dev.vmem.Segment.Kind.IMPORTED_SPAN) {
                        problems.add("arena '" + a.label() + "': imported span [" + span.base() + ", " + span.end()
                                + ") in an arena without a source");
                    }
                }
            } else {
                Arena parent = byId.get(e.definition().source()).arena().inner();
                Map<Long, Long> live = liveAllocations(parent.exportState());
                for (var span : a.exportState().spans()) {
                    if (span.kind() == dev.vmem.Segment.Kind.IMPORTED_SPAN
                            && !Long.valueOf(span.size()).equals(live.get(span.base()))) {
                        problems.add("arena '" + a.label() + "': imported span [" + span.base() + ", " + span.end()
                                + ") is not an allocation of its source '" + parent.label() + "'");
                    }
                }
            }
        }
        return problems;
    }

    private static Map<Long, Long> liveAllocations(ArenaState s) {
        Map<Long, Long> out = new java.util.HashMap<>();
        long[] a = s.allocations();
        for (int i = 0; i < a.length; i += 2) {
            out.put(a[i], a[i + 1]);
        }
        return out;
    }

    private void verifyAgainstDisk(List<String> problems) {
        long[] gens = checkpointer.generationSeqs();
        for (int g = 0; g < 2; g++) {
            if (gens[g] >= 0) {
                try {
                    Checkpoint.read(dir.resolve(StoreFormat.checkpointName(g)));
                } catch (StoreCorruptedException e) {
                    problems.add("checkpoint " + g + ": " + e.getMessage());
                }
            }
        }
        Recovery.Result replay;
        try {
            replay = Recovery.recover(dir);
        } catch (IOException | StoreException e) {
            problems.add("checkpoint and journal do not recover: " + e.getMessage());
            return;
        }
        StoreImage image = replay.image();
        if (image.seq != journal.writtenSeq()) {
            problems.add("journal replays to sequence " + image.seq + " but " + journal.writtenSeq() + " were written");
        }
        if (!image.arenas.keySet().equals(byId.keySet())) {
            problems.add("checkpoint and journal hold arenas " + image.arenas.keySet() + ", memory holds "
                    + byId.keySet());
            return;
        }
        for (Entry e : byId.values()) {
            ArenaState disk = image.arenas.get(e.id()).state();
            ArenaState memory = e.arena().inner().exportState();
            if (!disk.spans().equals(memory.spans()) || !Arrays.equals(disk.allocations(), memory.allocations())
                    || disk.cursor() != memory.cursor() || !sameCounters(disk.counters(), memory.counters())) {
                problems.add("arena '" + e.definition().name() + "': checkpoint and journal recover " + disk
                        + " but memory holds " + memory);
            }
        }
    }

    private static boolean sameCounters(ArenaStats a, ArenaStats b) {
        return a.allocations() == b.allocations() && a.frees() == b.frees() && a.imports() == b.imports()
                && a.releases() == b.releases();
    }

    // ---------------------------------------------------------------- lifecycle

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("store " + dir + " is closed");
        }
    }

    private void ensureRunning() {
        if (stopped) {
            throw new StoreIOException("store " + dir + " stopped after a journal failure; reopen it", null);
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
        if (!stopped) {
            checkpointer.checkpoint();
        }
        release((what, e) -> LOG.warn("store {}: {} failed: {}", dir, what, e.toString()));
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
        release((what, e) -> {
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
    private void release(ReleaseFailure onFailure) {
        mutation.lock();
        try {
            closed = true;
            try {
                journal.close();
            } catch (IOException e) {
                onFailure.failed("closing the journal", e);
            }
            try {
                lock.close();
            } catch (IOException e) {
                onFailure.failed("releasing the lock", e);
            }
            for (String name : jmxNames) {
                ArenaJmx.unregister(dir, name);
            }
            jmxNames.clear();
        } finally {
            mutation.unlock();
        }
    }
}

package dev.vmem.store;

import dev.vmem.Allocation;
import dev.vmem.Arena;
import dev.vmem.ArenaStats;
import dev.vmem.Constraints;
import dev.vmem.Policy;
import dev.vmem.Quarantine;
import dev.vmem.ReconcileReport;
import dev.vmem.Segment;
import dev.vmem.VmemArena;
import java.util.List;

/**
 * An arena of a {@link VmemStore}: behaves exactly like an in-memory {@link Arena}, and every change
 * it makes is durable before the call returns (or, inside {@link VmemStore#batch}, before the batch
 * returns). Failures are those of {@link Arena}, plus {@link StoreIOException} when the journal
 * cannot be written (the operation did not happen) or the store has stopped, and its subclass
 * {@link StoreSyncFailedException} when the fsync fails after the record was written: then the outcome
 * is unknown (the operation stays applied in memory and may be durable), and the store stops.
 *
 * <p>Thread-safe: mutations of all arenas of a store are applied one at a time and share fsyncs; reads
 * take only the arena's own lock.
 */
public final class PersistentArena implements VmemArena {
    private final VmemStore store;
    private final Arena arena;
    private final int id;
    private final long qcacheMax;

    PersistentArena(VmemStore store, Arena arena, int id, long qcacheMax) {
        this.qcacheMax = qcacheMax;
        this.store = store;
        this.arena = arena;
        this.id = id;
    }

    int id() {
        return id;
    }

    public String name() {
        return arena.label();
    }

    @Override
    public String label() {
        return arena.label();
    }

    @Override
    public long quantum() {
        return arena.quantum();
    }

    public long importQuantum() {
        return arena.importQuantum();
    }

    /**
     * The quantum-cache limit recorded in the arena's definition. A persistent arena serves every
     * request from its segment list all the same: each operation is journalled and forced to disk, so
     * a cache would save nanoseconds of an operation that costs tens of microseconds, and the journal
     * and checkpoints hold exactly the callers' allocations, so no cached block can be persisted as
     * allocated or be leaked by a crash. The limit is kept as part of the definition as given.
     */
    public long qcacheMax() {
        return qcacheMax;
    }

    /** The store this arena belongs to. */
    public VmemStore store() {
        return store;
    }

    /** The name of the arena this one imports from, or null. */
    public String sourceName() {
        return store.sourceNameOf(this);
    }

    @Override
    public void addSpan(long base, long size) {
        store.mutate(this, () -> {
            arena.addSpan(base, size);
            return null;
        });
    }

    @Override
    public long alloc(long size, Policy policy) {
        return store.mutate(this, () -> arena.alloc(size, policy));
    }

    @Override
    public long tryAlloc(long size, Policy policy) {
        return store.mutate(this, () -> arena.tryAlloc(size, policy));
    }

    @Override
    public long xalloc(Constraints constraints, Policy policy) {
        return store.mutate(this, () -> arena.xalloc(constraints, policy));
    }

    @Override
    public long tryXalloc(Constraints constraints, Policy policy) {
        return store.mutate(this, () -> arena.tryXalloc(constraints, policy));
    }

    @Override
    public void free(long base) {
        store.mutate(this, () -> {
            arena.free(base);
            return null;
        });
    }

    @Override
    public void free(long base, long size) {
        store.mutate(this, () -> {
            arena.free(base, size);
            return null;
        });
    }

    /** {@inheritDoc} Journalled as an ordinary allocation. */
    @Override
    public void claim(long base, long size) {
        store.mutate(this, () -> {
            arena.claim(base, size);
            return null;
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>The frees and claims (and any span given back) are one journal unit: after a crash the arena
     * holds its allocations from before the call or from after it, never a mix. A unit holds at most 4 MiB
     * of operations, 21 bytes per free or claim: about 199,000 of them; a difference larger than that is
     * refused with an {@link IllegalArgumentException} and nothing changes: reconcile part of the arena
     * first (claim or free some of the difference, each call its own unit), then the whole.
     */
    @Override
    public ReconcileReport reconcile(Iterable<Allocation> live) {
        return store.mutate(this, () -> arena.reconcile(live));
    }

    /** The arena's reuse quarantine, {@link Quarantine#NONE} for none (see {@link ArenaDefinition#quarantine()}). */
    public Quarantine quarantine() {
        return arena.quarantine();
    }

    /**
     * Releases the quarantined blocks due now, oldest first, and returns how many ({@link Arena#reapQuarantine()}).
     * A release is not journalled, except that a span it leaves wholly free goes back to the source, which is.
     * After a restart, a block freed before the last checkpoint is due at the time it was due before (but no
     * later than the whole delay from the open), and one freed after it is held for the whole delay from the open.
     */
    public long reapQuarantine() {
        return store.mutate(this, arena::reapQuarantine);
    }

    @Override
    public boolean contains(long value) {
        return arena.contains(value);
    }

    @Override
    public ArenaStats stats() {
        return arena.stats();
    }

    @Override
    public long nextFitCursor() {
        return arena.nextFitCursor();
    }

    @Override
    public List<Segment> segments() {
        return arena.segments();
    }

    @Override
    public String dump() {
        return arena.dump();
    }

    @Override
    public List<String> checkInvariants() {
        return arena.checkInvariants();
    }

    @Override
    public String toString() {
        return "PersistentArena[" + arena.label() + " in " + store.directory() + "]";
    }
}

package dev.vmem.store;

import dev.vmem.Arena;
import dev.vmem.ArenaStats;
import dev.vmem.Constraints;
import dev.vmem.Policy;
import dev.vmem.Segment;
import java.util.List;

/**
 * An arena of a {@link VmemStore}: behaves exactly like an in-memory {@link Arena}, and every change
 * it makes is durable before the call returns (or, inside {@link VmemStore#batch}, before the batch
 * returns). Failures are those of {@link Arena}, plus {@link StoreIOException} when the journal
 * cannot be written (the operation did not happen).
 *
 * <p>Thread-safe: mutations of all arenas of a store are applied one at a time and share fsyncs; reads
 * take only the arena's own lock.
 */
public final class PersistentArena {
    private final VmemStore store;
    private final Arena arena;
    private final int id;

    PersistentArena(VmemStore store, Arena arena, int id) {
        this.store = store;
        this.arena = arena;
        this.id = id;
    }

    Arena inner() {
        return arena;
    }

    int id() {
        return id;
    }

    public String name() {
        return arena.label();
    }

    public long quantum() {
        return arena.quantum();
    }

    public long importQuantum() {
        return arena.importQuantum();
    }

    public long qcacheMax() {
        return arena.qcacheMax();
    }

    /** The store this arena belongs to. */
    public VmemStore store() {
        return store;
    }

    /** The name of the arena this one imports from, or null. */
    public String sourceName() {
        return store.sourceNameOf(this);
    }

    /** @see Arena#addSpan */
    public void addSpan(long base, long size) {
        store.mutate(() -> {
            arena.addSpan(base, size);
            return null;
        });
    }

    /** @see Arena#alloc */
    public long alloc(long size, Policy policy) {
        return store.mutate(() -> arena.alloc(size, policy));
    }

    /** @see Arena#tryAlloc */
    public long tryAlloc(long size, Policy policy) {
        return store.mutate(() -> arena.tryAlloc(size, policy));
    }

    /** @see Arena#xalloc */
    public long xalloc(Constraints constraints, Policy policy) {
        return store.mutate(() -> arena.xalloc(constraints, policy));
    }

    /** @see Arena#tryXalloc */
    public long tryXalloc(Constraints constraints, Policy policy) {
        return store.mutate(() -> arena.tryXalloc(constraints, policy));
    }

    /** @see Arena#free(long) */
    public void free(long base) {
        store.mutate(() -> {
            arena.free(base);
            return null;
        });
    }

    /** @see Arena#free(long, long) */
    public void free(long base, long size) {
        store.mutate(() -> {
            arena.free(base, size);
            return null;
        });
    }

    public boolean contains(long value) {
        return arena.contains(value);
    }

    public ArenaStats stats() {
        return arena.stats();
    }

    public long nextFitCursor() {
        return arena.nextFitCursor();
    }

    public List<Segment> segments() {
        return arena.segments();
    }

    public String dump() {
        return arena.dump();
    }

    public List<String> checkInvariants() {
        return arena.checkInvariants();
    }

    @Override
    public String toString() {
        return "PersistentArena[" + arena.label() + " in " + store.directory() + "]";
    }
}

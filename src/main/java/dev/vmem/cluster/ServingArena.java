package dev.vmem.cluster;

import dev.vmem.Allocation;
import dev.vmem.ArenaStats;
import dev.vmem.Constraints;
import dev.vmem.Policy;
import dev.vmem.ReconcileReport;
import dev.vmem.Segment;
import dev.vmem.VmemArena;
import java.util.List;

/**
 * A node's arena as its callers see it: every call that hands out values (allocations, claims, a reconcile) first
 * asks the node's {@link SessionGuard} whether the node may serve; frees and reads go straight through, since
 * giving values back or looking never hands one out twice.
 */
final class ServingArena implements VmemArena {
    private final VmemArena arena;
    private final SessionGuard guard;

    ServingArena(VmemArena arena, SessionGuard guard) {
        this.arena = arena;
        this.guard = guard;
    }

    @Override
    public String label() {
        return arena.label();
    }

    @Override
    public long quantum() {
        return arena.quantum();
    }

    @Override
    public void addSpan(long base, long size) {
        arena.addSpan(base, size);
    }

    @Override
    public long alloc(long size, Policy policy) {
        guard.check();
        return arena.alloc(size, policy);
    }

    @Override
    public long tryAlloc(long size, Policy policy) {
        guard.check();
        return arena.tryAlloc(size, policy);
    }

    @Override
    public long xalloc(Constraints constraints, Policy policy) {
        guard.check();
        return arena.xalloc(constraints, policy);
    }

    @Override
    public long tryXalloc(Constraints constraints, Policy policy) {
        guard.check();
        return arena.tryXalloc(constraints, policy);
    }

    @Override
    public void free(long base) {
        arena.free(base);
    }

    @Override
    public void free(long base, long size) {
        arena.free(base, size);
    }

    @Override
    public void claim(long base, long size) {
        guard.check();
        arena.claim(base, size);
    }

    @Override
    public ReconcileReport reconcile(Iterable<Allocation> live) {
        guard.check();
        return arena.reconcile(live);
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
        return arena.toString();
    }
}

package dev.vmem.cluster;

import dev.vmem.Constraints;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The leases a node holds, cut into chunks of the space's lease size: which chunks its arena has imported and
 * which are free to import. A lease whose chunks are all free can go back to the cluster.
 *
 * <p>Assumptions: the caller synchronises.
 */
final class LeasePool {
    private static final class Held {
        final Lease lease;
        final long chunk;
        final BitSet out = new BitSet();

        Held(Lease lease, long chunk) {
            this.lease = lease;
            this.chunk = chunk;
        }

        int chunks() {
            return (int) (lease.size() / chunk);
        }
    }

    private final long chunk;
    private final TreeMap<Long, Held> held = new TreeMap<>();
    private long freeValues;
    private long heldValues;

    LeasePool(long chunk) {
        this.chunk = chunk;
    }

    /** Adds a lease, every chunk free; a lease that is not a multiple of the chunk is one chunk. */
    void add(Lease lease) {
        held.put(lease.base(), new Held(lease, lease.size() % chunk == 0 ? chunk : lease.size()));
        freeValues += lease.size();
        heldValues += lease.size();
    }

    /** The base of free chunks that hold {@code request} at their base, now out; or -1. */
    long take(Constraints request) {
        for (Held h : held.values()) {
            if (request.size() % h.chunk != 0 || request.size() > h.lease.size()) {
                continue;
            }
            int k = (int) (request.size() / h.chunk);
            for (int i = h.out.nextClearBit(0); i + k <= h.chunks(); i = h.out.nextClearBit(i + 1)) {
                long base = h.lease.base() + i * h.chunk;
                int taken = h.out.nextSetBit(i);
                if ((taken < 0 || taken >= i + k) && request.admits(base)) {
                    h.out.set(i, i + k);
                    freeValues -= request.size();
                    return base;
                }
            }
        }
        return -1;
    }

    /** Marks {@code [base, base + size)} out (an arena holds it since before a restart); false if no lease has it. */
    boolean markOut(long base, long size) {
        int[] range = new int[2];
        Held h = holding(base, size, range);
        if (h == null) {
            return false;
        }
        int already = h.out.nextSetBit(range[0]);
        if (already >= 0 && already < range[1]) {
            return false;
        }
        h.out.set(range[0], range[1]);
        freeValues -= size;
        return true;
    }

    /** Takes back chunks {@link #take} gave; false if no lease holds them out. */
    boolean give(long base, long size) {
        int[] range = new int[2];
        Held h = holding(base, size, range);
        if (h == null || h.out.get(range[0], range[1]).cardinality() != range[1] - range[0]) {
            return false;
        }
        h.out.clear(range[0], range[1]);
        freeValues += size;
        return true;
    }

    /** The lease holding {@code [base, base + size)} as whole chunks, with their indexes in {@code range}; or null. */
    private Held holding(long base, long size, int[] range) {
        Map.Entry<Long, Held> e = held.floorEntry(base);
        if (e == null || base + size > e.getValue().lease.end()) {
            return null;
        }
        Held h = e.getValue();
        long off = base - h.lease.base();
        if (off % h.chunk != 0 || size % h.chunk != 0) {
            return null;
        }
        range[0] = (int) (off / h.chunk);
        range[1] = range[0] + (int) (size / h.chunk);
        return h;
    }

    /**
     * Removes and returns a lease none of whose chunks is out, if the free values left afterwards are still at
     * least {@code keep}; or null.
     */
    Lease removeWhollyFree(long keep) {
        for (Held h : held.values()) {
            if (h.out.isEmpty() && freeValues - h.lease.size() >= keep) {
                held.remove(h.lease.base());
                freeValues -= h.lease.size();
                heldValues -= h.lease.size();
                return h.lease;
            }
        }
        return null;
    }

    long freeValues() {
        return freeValues;
    }

    long heldValues() {
        return heldValues;
    }
}

package dev.vmem.bench.peers;

import java.util.BitSet;

/**
 * The usual Java PID allocator: a {@link BitSet} of used IDs searched from a cursor that moves past
 * each ID handed out and wraps (Linux's {@code last_pid} scheme), under one lock.
 */
public final class NextFitBitSetPool {
    private final BitSet used;
    private final int lo;
    private final int hi;
    private int cursor;

    /** IDs {@code [lo, hi)}. */
    public NextFitBitSetPool(int lo, int hi) {
        this.lo = lo;
        this.hi = hi;
        this.used = new BitSet(hi);
        this.cursor = lo;
    }

    /** The first free ID at or after the cursor, wrapping; -1 when all are used. */
    public synchronized long alloc() {
        int id = used.nextClearBit(cursor);
        if (id >= hi) {
            id = used.nextClearBit(lo);
            if (id >= hi) {
                return -1;
            }
        }
        used.set(id);
        cursor = id + 1 == hi ? lo : id + 1;
        return id;
    }

    public synchronized void free(long id) {
        used.clear((int) id);
    }
}

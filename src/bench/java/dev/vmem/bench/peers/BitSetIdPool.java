package dev.vmem.bench.peers;

import java.util.BitSet;

/**
 * The usual Java ID pool: a {@link BitSet} of used IDs and {@code nextClearBit}, either from 0 (the
 * lowest free ID) or from a cursor just past the last ID handed out, wrapping round (the faster of the
 * two while the pool is not nearly full). Not thread-safe.
 */
public final class BitSetIdPool {
    private final BitSet used;
    private final int size;
    private final boolean fromCursor;
    private int cursor;

    public BitSetIdPool(int size, boolean fromCursor) {
        this.size = size;
        this.used = new BitSet(size);
        this.fromCursor = fromCursor;
    }

    /** A free ID; -1 when all are used. */
    public long alloc() {
        int id = used.nextClearBit(cursor);
        if (id >= size) {
            id = cursor == 0 ? size : used.nextClearBit(0);
            if (id >= size) {
                return -1;
            }
        }
        used.set(id);
        if (fromCursor) {
            cursor = id + 1 == size ? 0 : id + 1;
        }
        return id;
    }

    public void free(long id) {
        used.clear((int) id);
    }
}

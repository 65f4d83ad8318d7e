package dev.vmem.bench.peers;

import java.util.BitSet;

/** The usual Java ID pool: a {@link BitSet} of used IDs and {@code nextClearBit} from the lowest. */
public final class BitSetIdPool {
    private final BitSet used;
    private final int size;

    public BitSetIdPool(int size) {
        this.size = size;
        this.used = new BitSet(size);
    }

    /** The lowest free ID; -1 when all are used. */
    public long alloc() {
        int id = used.nextClearBit(0);
        if (id >= size) {
            return -1;
        }
        used.set(id);
        return id;
    }

    public void free(long id) {
        used.clear((int) id);
    }
}

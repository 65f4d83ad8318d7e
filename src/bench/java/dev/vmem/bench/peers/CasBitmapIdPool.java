package dev.vmem.bench.peers;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.LongAdder;

/**
 * A thread-safe ID pool over IDs {@code [0, ids)} with no lock: a bitmap of used IDs whose words change by
 * compare-and-set, searched from a cursor just past the last ID handed out, wrapping round. A free of an ID that
 * is not used is refused. With {@code counted}, it also counts allocations and frees exactly, in a
 * {@link LongAdder} each, as an allocator's statistics need.
 *
 * <p>Why it is here: it is about the least a lock-free pool of single IDs can do (one compare-and-set per
 * operation, nothing else shared), so it shows what a lock-free path in the arena could reach against the locked
 * cursor {@code BitSet}, with and without the two counts every allocator that reports its figures keeps.
 */
public final class CasBitmapIdPool {
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] words;
    private final int ids;
    private final LongAdder allocs;
    private final LongAdder frees;
    /** Where the next search starts; a hint, read and written without ordering. */
    private int cursor;

    public CasBitmapIdPool(int ids, boolean counted) {
        this.ids = ids;
        this.words = new long[(ids + 63) >>> 6];
        this.allocs = counted ? new LongAdder() : null;
        this.frees = counted ? new LongAdder() : null;
    }

    /** A free ID; -1 when all are used. */
    public long alloc() {
        int from = cursor;
        for (int w = from >>> 6, seen = 0; seen <= words.length; w = w + 1 == words.length ? 0 : w + 1, seen++) {
            long mask = seen == 0 ? -1L << from : -1L; // the cursor's own word from the cursor first
            for (long x = (long) WORDS.getVolatile(words, w); (~x & mask) != 0;
                    x = (long) WORDS.getVolatile(words, w)) {
                int bit = Long.numberOfTrailingZeros(~x & mask);
                int id = (w << 6) + bit;
                if (id >= ids) {
                    break;
                }
                if (WORDS.compareAndSet(words, w, x, x | 1L << bit)) {
                    cursor = id + 1 == ids ? 0 : id + 1;
                    if (allocs != null) {
                        allocs.increment();
                    }
                    return id;
                }
            }
        }
        return -1;
    }

    /** Frees {@code id}; refuses an ID that is not used. */
    public void free(long id) {
        int w = (int) (id >>> 6);
        long bit = 1L << id;
        for (long x = (long) WORDS.getVolatile(words, w); ; x = (long) WORDS.getVolatile(words, w)) {
            if ((x & bit) == 0) {
                throw new IllegalStateException("free(" + id + "): not in use");
            }
            if (WORDS.compareAndSet(words, w, x, x & ~bit)) {
                if (frees != null) {
                    frees.increment();
                }
                return;
            }
        }
    }

    /** Allocations minus frees, as counted; -1 if not counted. */
    public long live() {
        return allocs == null ? -1 : allocs.sum() - frees.sum();
    }
}

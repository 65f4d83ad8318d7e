package dev.vmem;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * Entries by a long key: an open-addressing table with linear probing whose reads take no lock. Writes
 * happen under the arena's lock. A reader that races writes may miss them: entries put or removed since it
 * read the slots, or since a rehash it did not see. Callers allow for that: a removed cache slab, or a
 * dropped leaf of words, reads retired, and a late reader then takes the locked path.
 * Holds the live slabs of an arena's quantum caches by base, and each cache's {@link SlabIndex} leaves.
 *
 * @param <T> the entries; no two in the table have the same key
 */
final class ReadMostlyTable<T> {
    private static final Object TOMBSTONE = new Object();

    private final ToLongFunction<T> keyOf;
    private volatile AtomicReferenceArray<Object> slots = new AtomicReferenceArray<>(64);
    /** Slots that are not null: live entries and tombstones. Guarded by the arena's lock. */
    private int used;
    private int live;

    ReadMostlyTable(ToLongFunction<T> keyOf) {
        this.keyOf = keyOf;
    }

    private static int home(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 32) & mask;
    }

    /** The entry whose key is {@code key}, or null. Lock-free. */
    @SuppressWarnings("unchecked")
    T get(long key) {
        AtomicReferenceArray<Object> s = slots;
        int mask = s.length() - 1;
        for (int i = home(key, mask); ; i = (i + 1) & mask) {
            Object x = s.getAcquire(i);
            if (x == null) {
                return null;
            }
            if (x != TOMBSTONE && keyOf.applyAsLong((T) x) == key) {
                return (T) x;
            }
        }
    }

    /** Adds an entry whose key is not in the table. */
    void put(T entry) {
        if (2 * (used + 1) > slots.length()) {
            rehash(Math.max(64, Integer.highestOneBit(Math.max(1, live + 1)) * 4));
        }
        AtomicReferenceArray<Object> s = slots;
        int mask = s.length() - 1;
        int i = home(keyOf.applyAsLong(entry), mask);
        while (s.get(i) != null && s.get(i) != TOMBSTONE) {
            i = (i + 1) & mask;
        }
        if (s.get(i) == null) {
            used++;
        }
        s.setRelease(i, entry);
        live++;
    }

    /** Removes {@code entry}, which is in the table. */
    void remove(T entry) {
        AtomicReferenceArray<Object> s = slots;
        int mask = s.length() - 1;
        int i = home(keyOf.applyAsLong(entry), mask);
        while (s.get(i) != entry) {
            i = (i + 1) & mask;
        }
        s.setRelease(i, TOMBSTONE);
        live--;
    }

    int size() {
        return live;
    }

    /** Passes every entry to {@code action}; the lock is held. */
    @SuppressWarnings("unchecked")
    void forEach(Consumer<T> action) {
        AtomicReferenceArray<Object> s = slots;
        for (int i = 0; i < s.length(); i++) {
            Object x = s.get(i);
            if (x != null && x != TOMBSTONE) {
                action.accept((T) x);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private void rehash(int capacity) {
        AtomicReferenceArray<Object> old = slots;
        AtomicReferenceArray<Object> s = new AtomicReferenceArray<>(capacity);
        int mask = capacity - 1;
        for (int j = 0; j < old.length(); j++) {
            Object x = old.get(j);
            if (x != null && x != TOMBSTONE) {
                int i = home(keyOf.applyAsLong((T) x), mask);
                while (s.get(i) != null) {
                    i = (i + 1) & mask;
                }
                s.set(i, x);
            }
        }
        used = live;
        slots = s; // publishes the filled table
    }
}

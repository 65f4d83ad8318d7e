package dev.vmem;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The live slabs of an arena's quantum caches by base: an open-addressing table with linear probing
 * whose reads take no lock. Writes happen under the arena's lock. A reader that races a write may see
 * the table as it was just before the write; callers allow for that (a removed slab is retired first,
 * so a late reader sees it retired).
 */
final class SlabTable {
    private static final QuantumCache.Slab TOMBSTONE = new QuantumCache.Slab(null, -1);

    private volatile AtomicReferenceArray<QuantumCache.Slab> slots = new AtomicReferenceArray<>(64);
    /** Slots that are not null: live slabs and tombstones. Guarded by the arena's lock. */
    private int used;
    private int live;

    private static int home(long base, int mask) {
        long h = base * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 32) & mask;
    }

    /** The slab whose base is {@code base}, or null. Lock-free. */
    QuantumCache.Slab get(long base) {
        AtomicReferenceArray<QuantumCache.Slab> s = slots;
        int mask = s.length() - 1;
        for (int i = home(base, mask); ; i = (i + 1) & mask) {
            QuantumCache.Slab x = s.getAcquire(i);
            if (x == null) {
                return null;
            }
            if (x.base == base && x != TOMBSTONE) {
                return x;
            }
        }
    }

    /** Adds a slab whose base is not in the table. */
    void put(QuantumCache.Slab slab) {
        if (2 * (used + 1) > slots.length()) {
            rehash(Math.max(64, Integer.highestOneBit(Math.max(1, live + 1)) * 4));
        }
        AtomicReferenceArray<QuantumCache.Slab> s = slots;
        int mask = s.length() - 1;
        int i = home(slab.base, mask);
        while (s.get(i) != null && s.get(i) != TOMBSTONE) {
            i = (i + 1) & mask;
        }
        if (s.get(i) == null) {
            used++;
        }
        s.setRelease(i, slab);
        live++;
    }

    /** Removes {@code slab}, which is in the table. */
    void remove(QuantumCache.Slab slab) {
        AtomicReferenceArray<QuantumCache.Slab> s = slots;
        int mask = s.length() - 1;
        int i = home(slab.base, mask);
        while (s.get(i) != slab) {
            i = (i + 1) & mask;
        }
        s.setRelease(i, TOMBSTONE);
        live--;
    }

    int size() {
        return live;
    }

    private void rehash(int capacity) {
        AtomicReferenceArray<QuantumCache.Slab> old = slots;
        AtomicReferenceArray<QuantumCache.Slab> s = new AtomicReferenceArray<>(capacity);
        int mask = capacity - 1;
        for (int j = 0; j < old.length(); j++) {
            QuantumCache.Slab x = old.get(j);
            if (x != null && x != TOMBSTONE) {
                int i = home(x.base, mask);
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

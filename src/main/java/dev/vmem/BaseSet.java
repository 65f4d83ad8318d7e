package dev.vmem;

import java.util.Arrays;

/**
 * A set of non-negative {@code long}s: open addressing with linear probing and backward-shift deletion,
 * so membership, insertion and removal are O(1) expected without boxing or garbage. Holds the bases of
 * the quarantined blocks, which a free must look up before it can call a value live or a double free.
 * Not thread-safe: the arena's lock guards it.
 */
final class BaseSet {
    private static final long EMPTY = -1;

    private long[] slots = newSlots(16);
    private int size;

    int size() {
        return size;
    }

    boolean contains(long value) {
        int mask = slots.length - 1;
        for (int i = slot(value, mask); ; i = (i + 1) & mask) {
            long s = slots[i];
            if (s == value) {
                return true;
            }
            if (s == EMPTY) {
                return false;
            }
        }
    }

    /** Makes room for one more value before anything changes, so that {@link #add} cannot fail. */
    void reserveOne() {
        if (2 * (size + 1) > slots.length) {
            long[] old = slots;
            slots = newSlots(old.length * 2);
            for (long v : old) {
                if (v != EMPTY) {
                    put(v);
                }
            }
        }
    }

    /** Adds {@code value}, absent, after {@link #reserveOne}. */
    void add(long value) {
        assert value >= 0 && !contains(value) && 2 * (size + 1) <= slots.length : value;
        put(value);
        size++;
    }

    private void put(long value) {
        int mask = slots.length - 1;
        int i = slot(value, mask);
        while (slots[i] != EMPTY) {
            i = (i + 1) & mask;
        }
        slots[i] = value;
    }

    /** Removes {@code value}, present. */
    void remove(long value) {
        int mask = slots.length - 1;
        int i = slot(value, mask);
        while (slots[i] != value) {
            assert slots[i] != EMPTY : value;
            i = (i + 1) & mask;
        }
        // Backward shift: move later members of the probe run into the hole, so no tombstone is needed.
        for (int j = (i + 1) & mask; slots[j] != EMPTY; j = (j + 1) & mask) {
            int home = slot(slots[j], mask);
            if (((j - home) & mask) >= ((j - i) & mask)) {
                slots[i] = slots[j];
                i = j;
            }
        }
        slots[i] = EMPTY;
        size--;
    }

    void clear() {
        slots = newSlots(16);
        size = 0;
    }

    private static int slot(long value, int mask) {
        long h = value * 0x9E3779B97F4A7C15L; // Fibonacci hashing: bases are multiples of the quantum
        return (int) (h >>> 32) & mask;
    }

    private static long[] newSlots(int n) {
        long[] s = new long[n];
        Arrays.fill(s, EMPTY);
        return s;
    }
}

package dev.vmem;

/**
 * Live allocations by base: a chained hash table that doubles when it holds more than one tag per
 * bucket, so {@code free(base)} is O(1) whatever the quantum. The hash drops the quantum's zero bits
 * and spreads the rest with a Fibonacci multiplier, so bases that are all multiples of 4096 (or of any
 * power of two) still fill every bucket.
 */
final class AllocationTable {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final int INITIAL_BITS = 4;

    private final int shift;
    private Tag[] buckets = new Tag[1 << INITIAL_BITS];
    private int bits = INITIAL_BITS;
    private int size;

    AllocationTable(long quantum) {
        this.shift = Long.numberOfTrailingZeros(quantum);
    }

    int size() {
        return size;
    }

    /** The number of buckets, a power of two. */
    int bucketCount() {
        return buckets.length;
    }

    private int indexOf(long base) {
        return (int) (((base >>> shift) * GOLDEN) >>> (64 - bits));
    }

    Tag find(long base) {
        for (Tag t = buckets[indexOf(base)]; t != null; t = t.lnext) {
            if (t.base == base) {
                return t;
            }
        }
        return null;
    }

    /**
     * Makes room for one more entry. Called before an allocation changes anything, so that running out
     * of memory while growing leaves the arena as it was.
     */
    void reserveOne() {
        if (size + 1 > buckets.length && bits < 30) {
            rehash(bits + 1);
        }
    }

    /** Makes room for {@code n} entries at once; for bulk loading. */
    void reserve(long n) {
        int want = bits;
        while (want < 30 && (1L << want) < n) {
            want++;
        }
        if (want > bits) {
            rehash(want);
        }
    }

    /**
     * Shrinks the buckets to twice the entries (at least the initial size) if they are over four times as
     * many: after a span's allocations leave for the dense form, the buckets they needed would otherwise
     * stay, 4 to 8 bytes per allocation that left.
     */
    void trim() {
        if ((long) size * 4 >= buckets.length || bits == INITIAL_BITS) {
            return;
        }
        int want = INITIAL_BITS;
        while ((1L << want) < 2L * size) {
            want++;
        }
        rehash(want);
    }

    void insert(Tag t) {
        assert t.type == Tag.ALLOCATED && find(t.base) == null : t;
        int i = indexOf(t.base);
        t.lnext = buckets[i];
        buckets[i] = t;
        size++;
    }

    void remove(Tag t) {
        int i = indexOf(t.base);
        Tag prev = null;
        for (Tag c = buckets[i]; c != null; prev = c, c = c.lnext) {
            if (c == t) {
                if (prev == null) {
                    buckets[i] = c.lnext;
                } else {
                    prev.lnext = c.lnext;
                }
                t.lnext = null;
                size--;
                return;
            }
        }
        throw new AssertionError("tag not in allocation table: " + t);
    }

    private void rehash(int newBits) {
        Tag[] old = buckets;
        Tag[] fresh = new Tag[1 << newBits];
        bits = newBits;
        for (Tag head : old) {
            for (Tag t = head; t != null; ) {
                Tag next = t.lnext;
                int i = indexOf(t.base);
                t.lnext = fresh[i];
                fresh[i] = t;
                t = next;
            }
        }
        buckets = fresh;
    }

    /** Visits every entry; for the invariant check. */
    void forEach(java.util.function.BiConsumer<Integer, Tag> visitor) {
        for (int i = 0; i < buckets.length; i++) {
            for (Tag t = buckets[i]; t != null; t = t.lnext) {
                visitor.accept(i, t);
            }
        }
    }

    boolean inRightBucket(int bucket, Tag t) {
        return indexOf(t.base) == bucket;
    }
}

package dev.vmem;

/**
 * What lies at an address, whichever form its span has: the live allocation starting there, or whether a
 * range is free. For the caches' check and for taking back reported changes; the hot
 * paths ({@link ArenaEngine#free}) ask the forms directly. Runs with the arena's lock held.
 */
final class Addresses {
    private Addresses() {
    }

    /** Whether all of {@code [base, base + size)} lies in one free segment. O(segments of the span). */
    static boolean isFree(ArenaEngine e, long base, long size) {
        if (size <= 0 || base < 0 || size > Long.MAX_VALUE - base) {
            return false;
        }
        DenseTag d = e.forms.holding(base);
        if (d == null) {
            return freeTagHolding(e, base, size) != null;
        }
        DenseSpan b = d.bits;
        return size <= d.end() - base && b.value(b.nextUsed(b.index(base))) >= base + size;
    }

    /** The size of the live allocation at {@code base}, or -1. */
    static long liveSize(ArenaEngine e, long base) {
        DenseTag d = e.forms.holding(base);
        if (d != null) {
            return d.bits.sizeAt(base);
        }
        Tag t = e.table.find(base);
        return t == null ? -1 : t.size;
    }

    /** The free tag that holds all of {@code [base, base + size)}, or null. O(segments of the span). */
    static Tag freeTagHolding(ArenaEngine e, long base, long size) {
        Tag marker = e.list.spanContaining(base);
        if (marker == null) {
            return null;
        }
        for (Tag t = marker.next; t != e.list.sentinel && !t.isSpan(); t = t.next) {
            if (t.end() > base) {
                return t.type == Tag.FREE && t.base <= base && t.end() >= base + size ? t : null;
            }
        }
        return null;
    }
}

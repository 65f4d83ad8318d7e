package dev.vmem;

/**
 * What lies at an address, whichever form its span has: the live allocation starting there, or whether a
 * range is free. For the caches' check and for taking back reported changes; the hot
 * paths ({@link ArenaEngine#free}) ask the forms directly. Runs with the arena's lock held.
 */
final class Addresses {
    private Addresses() {
    }

    /** Whether all of {@code [base, base + size)} lies in one free segment; see {@link AddressIndex} for the cost. */
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

    /**
     * The free tag that holds all of {@code [base, base + size)} of a list-form span, or null. O(log n)
     * plus a short walk ({@link AddressIndex}).
     */
    static Tag freeTagHolding(ArenaEngine e, long base, long size) {
        Tag marker = e.list.spanContaining(base);
        if (marker == null || marker.next.type == Tag.DENSE) {
            return null;
        }
        Tag t = e.index.holding(marker, base, e.tagSegments);
        return t.type == Tag.FREE && t.end() - base >= size ? t : null;
    }
}

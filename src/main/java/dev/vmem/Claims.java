package dev.vmem;

/**
 * Claiming a given range of the segment list (list or dense form): the argument rules, what stands in
 * the way, and the claim itself, reported as an ordinary allocation. No walk: the span comes from the
 * span index and the segment from {@link AddressIndex} or the dense bitmaps. Runs with the arena's lock
 * held; the arena's caches are {@link CacheClaims}'s concern.
 */
final class Claims {
    private Claims() {
    }

    /**
     * Checks a claim's arguments on their own and against the quantum.
     *
     * @throws IllegalArgumentException naming the values when the range is empty, negative, overflows or
     *         is not aligned to the quantum
     */
    static void checkArguments(ArenaEngine e, String what, long base, long size) {
        String why = size <= 0 ? "size must be positive"
                : base < 0 ? "base is negative"
                : size > Long.MAX_VALUE - base ? "the range runs past Long.MAX_VALUE"
                : ((base | size) & (e.quantum - 1)) != 0 ? "base and size must be multiples of quantum=" + e.quantum
                : null;
        if (why != null) {
            throw new IllegalArgumentException(what + "(base=" + base + ", size=" + size + ") in arena '" + e.label
                    + "': " + why);
        }
    }

    /**
     * The span marker holding all of {@code [base, base + size)}.
     *
     * @throws IllegalArgumentException naming the range if it lies outside every span or leaves its span
     */
    static Tag spanOf(ArenaEngine e, String what, long base, long size) {
        Tag marker = e.list.spanContaining(base);
        if (marker == null || size > marker.end() - base) {
            throw new IllegalArgumentException(what + "(base=" + base + ", size=" + size + ") in arena '" + e.label
                    + "': [" + base + ", " + (base + size) + ") " + (marker == null ? "lies outside every span"
                            : "runs past the end of span [" + marker.base + ", " + marker.end() + ")"));
        }
        return marker;
    }

    /**
     * The lowest live allocation of the segment list overlapping {@code [base, base + size)}, which lies in
     * the span of {@code marker}; null if the range is free. O(log n) plus the short walk of
     * {@link AddressIndex}, or for a dense span a few bitmap searches.
     */
    static Allocation firstOverlap(ArenaEngine e, Tag marker, long base, long size) {
        long end = base + size;
        if (marker.next.type == Tag.DENSE) {
            DenseSpan b = ((DenseTag) marker.next).bits;
            long i = b.index(base);
            long j = b.isUsed(i) ? i : b.nextUsed(i);
            if (j >= b.index(end)) {
                return null;
            }
            long start = j;
            while (!b.isStart(start)) { // used at base: the allocation began below it
                start--;
            }
            long at = b.value(start);
            return new Allocation(at, b.sizeAt(at));
        }
        for (Tag t = e.index.holding(marker, base, e.tagSegments); !t.isSpan() && t != e.list.sentinel && t.base < end;
                t = t.next) {
            if (t.type == Tag.ALLOCATED) {
                return new Allocation(t.base, t.size);
            }
        }
        return null;
    }

    /** The exception for a claim of {@code [base, base + size)} that overlaps {@code held}. */
    static RangeInUseException inUse(ArenaEngine e, String what, long base, long size, Allocation held, String kind) {
        boolean quarantined = e.quarantine != null && e.quarantine.holds(held.base());
        return new RangeInUseException(what + "(base=" + base + ", size=" + size + ") in arena '" + e.label + "': ["
                + base + ", " + (base + size) + ") overlaps " + (quarantined ? "the quarantined block " + held
                        + " (freed, and held back from reuse until its quarantine is over: a claim cannot take it)"
                        : "the live " + kind + " " + held), held);
    }

    /**
     * Allocates {@code [base, base + size)}, which {@link #firstOverlap} found free, and reports it as an
     * allocation. The NEXT_FIT rotor does not move: a claim is no placement.
     */
    static void claimFree(ArenaEngine e, long base, long size) {
        DenseTag d = e.forms.holding(base);
        e.claim(base, size);
        e.emit(new ArenaChange.Allocated(base, size));
        e.forms.allocated(d);
    }

    /**
     * Claims {@code [base, base + size)} in an arena without caches.
     *
     * @throws IllegalArgumentException if the arguments are bad or the range is not inside one span
     * @throws RangeInUseException      if part of it is allocated
     */
    static void claim(ArenaEngine e, long base, long size) {
        checkArguments(e, "claim", base, size);
        Tag marker = spanOf(e, "claim", base, size);
        if (marker.next.type != Tag.DENSE) { // one lookup serves the check and the carve
            Tag t = e.index.holding(marker, base, e.tagSegments);
            if (t.type == Tag.FREE && t.end() - base >= size) {
                e.carve(t, base, size);
                e.emit(new ArenaChange.Allocated(base, size));
                e.forms.allocated(null);
                return;
            }
        }
        Allocation held = firstOverlap(e, marker, base, size);
        if (held != null) {
            throw inUse(e, "claim", base, size, held, "allocation");
        }
        claimFree(e, base, size);
    }
}

package dev.vmem;

import java.util.function.Consumer;

/**
 * The arena's structure and the operations that change it: spans, carving a block out of a free
 * segment, coalescing a freed one, the NEXT_FIT rotor and the counters. The facade ({@link Arena})
 * holds the lock and validates arguments; everything here runs with the lock held.
 *
 * <p>Placement is split from mutation: {@link #find} only reads and leaves the chosen free tag in
 * {@link #found}; {@link #carve} then preallocates every object it needs before touching a link. With
 * the source called before any mutation when a span is given back, every rejected call leaves the
 * structure as it was. (The one-quantum NEXT_FIT path finds and takes in one step: a bit in a dense span,
 * where nothing can fail between the two.)
 *
 * <p>Tags never move to a higher base (carve keeps the free tag as the lower piece; coalescing keeps the
 * lower tag). That is what lets {@link #rotorHint} (a tag at or below the rotor) stay valid with one check
 * where a tag leaves the list.
 */
final class ArenaEngine {
    static final long NONE = Arena.NONE;

    final String label;
    final long quantum;
    final SegmentList list = new SegmentList();
    final FreeLists freeLists = new FreeLists();
    final AllocationTable table;
    /** Finds the segment holding a value, for claims; alloc and free never touch it. */
    final AddressIndex index = new AddressIndex();
    /** The spans in dense form; see {@link SpanForms}. */
    final SpanForms forms;
    private final Placement placement;
    /** Where reported changes go; null for an arena nobody observes. */
    final Consumer<ArenaChange> changes;
    /** Imports and releases spans; null for an arena without a source. */
    Importer importer;
    /** Freed blocks held back from reuse; null for an arena without a quarantine. */
    QuarantineQueue quarantine;

    /** NEXT_FIT: the end of the previous next-fit allocation. */
    long rotor;
    /** A tag in the list whose base is at or below {@link #rotor}, or the sentinel. */
    Tag rotorHint;
    /** Output of {@link #find}: the free tag holding the block it placed. */
    private Tag found;
    /** See {@link #plainRequest}. */
    private final Request[] lastPlain = new Request[Policy.values().length];
    /** The plain NEXT_FIT request for one quantum: an ID pool's, which {@link #place} serves in a dense span whole. */
    private final Request oneNextFit;

    long total;
    long allocated;
    long imported;
    /** Segments held as tags, a dense span's counting as one: its bitmaps count the rest ({@link #segments()}). */
    long tagSegments;
    long allocations;
    long frees;
    long failures;
    long imports;
    long releases;

    ArenaEngine(String label, long quantum, Consumer<ArenaChange> changes) {
        this.label = label;
        this.quantum = quantum;
        this.changes = changes;
        this.table = new AllocationTable(quantum);
        this.forms = new SpanForms(this, DenseRule.DEFAULT);
        this.placement = new Placement(list, freeLists, forms, quantum);
        this.rotorHint = list.sentinel;
        this.oneNextFit = Request.plain(quantum, quantum, Policy.NEXT_FIT);
    }

    void emit(ArenaChange change) {
        if (changes != null) {
            changes.accept(change);
        }
    }

    /**
     * Checks a span against the arena: positive, in range, aligned to the quantum, clear of every span.
     *
     * @throws IllegalArgumentException naming the values when it is not
     */
    void checkSpan(long base, long size) {
        if (size <= 0) {
            throw new IllegalArgumentException("span size=" + size + " must be positive (arena '" + label + "')");
        }
        if (base < 0) {
            throw new IllegalArgumentException("span base=" + base + " is negative (arena '" + label + "')");
        }
        if (size > Long.MAX_VALUE - base) {
            throw new IllegalArgumentException("span base=" + base + " size=" + size
                    + " runs past Long.MAX_VALUE (arena '" + label + "')");
        }
        if ((base & (quantum - 1)) != 0 || (size & (quantum - 1)) != 0) {
            throw new IllegalArgumentException("span base=" + base + " size=" + size
                    + " is not aligned to quantum=" + quantum + " (arena '" + label + "')");
        }
        Tag other = list.overlappingSpan(base, size);
        if (other != null) {
            throw new IllegalArgumentException("span [" + base + ", " + (base + size) + ") overlaps span ["
                    + other.base + ", " + other.end() + ") of arena '" + label + "'");
        }
    }

    /** Adds a checked span, wholly free. */
    void insertSpan(long base, long size, byte type) {
        Tag marker = new Tag(type, base, size);
        Tag free = new Tag(Tag.FREE, base, size);
        list.insertSpan(marker, free);
        freeLists.insert(free);
        total += size;
        tagSegments++;
        if (type == Tag.IMPORTED_SPAN) {
            imported += size;
        }
    }

    /** Removes a wholly free span from the structure (the caller deals with the source and counters). */
    void removeFreeSpan(Tag marker) {
        Tag only = marker.next;
        if (only.type == Tag.DENSE) {
            forms.forget((DenseTag) only);
        } else {
            freeLists.remove(only);
        }
        if (rotorHint == marker || rotorHint == only) {
            rotorHint = marker.prev;
        }
        list.removeSpan(marker);
        total -= marker.size;
        if (marker.type == Tag.IMPORTED_SPAN) {
            imported -= marker.size;
        }
        tagSegments--;
    }

    /**
     * An unconstrained request for {@code rounded} values under {@code policy}: the last one made for
     * that policy if it has that size. Callers ask for one size again and again (IDs, pages), and a
     * request escapes into the import path, so reusing it keeps the locked path free of garbage
     * (measured: 64 bytes per ID allocation otherwise). Called without the lock: a request is immutable,
     * so a racing thread sees at worst a whole one of another size, and makes its own.
     */
    Request plainRequest(long rounded, Policy policy) {
        if (rounded == quantum && policy == Policy.NEXT_FIT) {
            return oneNextFit;
        }
        Request r = lastPlain[policy.ordinal()];
        if (r == null || r.size() != rounded) {
            r = Request.plain(rounded, quantum, policy);
            lastPlain[policy.ordinal()] = r;
        }
        return r;
    }

    /**
     * Places and carves a caller's block; returns its base or {@link #NONE}, without counting a failure. A
     * plain one-quantum NEXT_FIT request (the one {@link #plainRequest} makes) whose rotor hint is a dense span
     * takes that span's lowest free quantum at or after the rotor, if it has one: what the walk would find,
     * in one search of the span's words. Otherwise (a hint on a span marker after the span turned dense, or the
     * sentinel after a restore; an equal {@code xalloc}) the walk finds the same block, slower.
     */
    long place(Request r) {
        Tag block = rotorHint;
        long start = r == oneNextFit && block.type == Tag.DENSE ? forms.takeOne((DenseTag) block, rotor) : NONE;
        if (start == NONE) {
            start = search(r);
            if (start == NONE) {
                return NONE;
            }
            block = found.type == Tag.DENSE ? forms.allocate((DenseTag) found, start, r.size())
                    : carve(found, start, r.size());
            found = null;
        }
        if (block.type == Tag.DENSE) { // carve counts its own
            allocated += r.size();
            allocations++;
        }
        if (changes != null) { // not emit(new ...): the change would be allocated even for nobody
            changes.accept(new ArenaChange.Allocated(start, r.size()));
        }
        if (r.policy() == Policy.NEXT_FIT) {
            long from = rotor;
            rotor = start + r.size();
            rotorHint = block;
            if (changes != null) {
                changes.accept(new ArenaChange.CursorMoved(from, rotor));
            }
        }
        forms.allocated(block.type == Tag.DENSE ? (DenseTag) block : null);
        return start;
    }

    /** {@link #find}, importing a span or releasing what quarantine has due if that is what it takes. */
    private long search(Request r) {
        long start = find(r);
        if (start == NONE && importer != null) {
            start = importer.importAndFind(r);
        }
        if (start == NONE && quarantine != null && quarantine.reap() > 0) {
            return search(r); // what was due is free now: once more, as if it had been all along
        }
        return start;
    }

    /**
     * Finds where the block goes without changing anything: returns its start and leaves the free tag
     * holding it in {@link #found}, or returns {@link #NONE}.
     */
    long find(Request r) {
        long start = placement.find(r, rotor, rotorHint);
        found = placement.found;
        placement.found = null;
        return start;
    }

    /** Allocates {@code [base, base + size)}, which {@link #isFree} confirmed, as {@link #carve} does. */
    void claim(long base, long size) {
        DenseTag d = forms.holding(base);
        if (d == null) {
            carve(Addresses.freeTagHolding(this, base, size), base, size);
        } else {
            forms.allocate(d, base, size);
            allocated += size;
            allocations++;
        }
    }

    /** Turns {@code [start, start + size)} of free tag {@code t} into an allocated segment. */
    Tag carve(Tag t, long start, long size) {
        assert t.type == Tag.FREE && start >= t.base && start + size <= t.end() : t + " " + start + "+" + size;
        long left = start - t.base;
        long right = t.end() - (start + size);
        // Everything that can fail (allocation) happens before the first link changes.
        Tag block = left > 0 ? new Tag(Tag.ALLOCATED, start, size) : t;
        Tag rest = right > 0 ? new Tag(Tag.FREE, start + size, right) : null;
        table.reserveOne();

        freeLists.remove(t);
        if (left > 0) {
            t.size = left;
            freeLists.insert(t);
            SegmentList.insertAfter(block, t);
            tagSegments++;
        } else {
            t.type = Tag.ALLOCATED;
            t.size = size;
        }
        if (rest != null) {
            SegmentList.insertAfter(rest, block);
            freeLists.insert(rest);
            tagSegments++;
        }
        table.insert(block);
        allocated += size;
        allocations++;
        return block;
    }

    /**
     * Frees the live allocation at {@code base}, checking its size unless {@code size} is {@link #NONE};
     * with a quarantine, the block is queued there instead (and stays an allocated segment).
     *
     * @throws InvalidFreeException naming the values if there is none, or its size differs
     */
    void free(long base, long size) {
        DenseTag d = forms.holding(base);
        if (d != null && quarantine == null && (size == NONE || size <= quantum)
                && spanFreedBy(d) == null && forms.freeOne(d, base)) {
            allocated -= quantum; // a one-quantum free IdPath left here (rule due, another span), still whole
            countFree(base, quantum);
            forms.settle(d);
            return;
        }
        Tag t = d == null ? table.find(base) : null;
        if (quarantine != null && (t != null ? t.quarantined : d != null && quarantine.holdsDense(base))) {
            throw new InvalidFreeException("free(base=" + base + (size == NONE ? "" : ", size=" + size) + ") in arena '"
                    + label + "': the value is in quarantine since its free (double free)");
        }
        long live = d == null ? (t == null ? NONE : t.size) : d.bits.sizeAt(base);
        checkLive(base, size, live);
        if (quarantine != null) {
            quarantine.admit(base, live, t); // may throw: nothing of this free has happened
            countFree(base, live);
            return;
        }
        release(base, live, d, t, true);
    }

    /** Frees the quarantined block {@code [base, base + size)}, tag {@code t} (null: in a dense span), for good. */
    void releaseQuarantined(long base, long size, Tag t) {
        release(base, size, t == null ? forms.holding(base) : null, t, false);
    }

    /**
     * Turns the allocation {@code [base, base + live)} (tag {@code t}, or in dense span {@code d}) into free
     * space, giving its span back if that leaves an imported span wholly free; a caller's free is counted
     * and reported, a release from quarantine (counted and reported at its free) is not.
     */
    private void release(long base, long live, DenseTag d, Tag t, boolean callersFree) {
        Tag marker = d == null ? wholeSpanFreedBy(t) : spanFreedBy(d);
        if (marker != null) {
            importer.giveBack(marker); // may throw: nothing has changed yet
        }
        if (d == null) {
            unallocate(t);
        } else {
            forms.free(d, base, live);
            allocated -= live;
        }
        if (callersFree) {
            countFree(base, live);
        }
        if (marker != null) {
            removeFreeSpan(marker);
            releases++;
            emit(new ArenaChange.SpanRemoved(marker.base, marker.size));
        } else if (d != null) {
            forms.settle(d);
        }
    }

    /** Counts and reports a caller's free of {@code [base, base + live)}. */
    private void countFree(long base, long live) {
        frees++;
        if (changes != null) { // not emit(new ...): the change would be allocated even for nobody
            changes.accept(new ArenaChange.Freed(base, live));
        }
    }

    /** Throws unless {@code live}, the size of the allocation at {@code base}, is a live one of {@code size}. */
    private void checkLive(long base, long size, long live) {
        if (live == NONE) {
            String where = list.spanContaining(base) == null ? "is in no span" : "is not the base of a live allocation";
            throw new InvalidFreeException("free(base=" + base + (size == NONE ? "" : ", size=" + size) + ") in arena '"
                    + label + "': the value " + where + " (double free, or never allocated here)");
        }
        if (size != NONE && Fit.roundUp(size, quantum) != live) {
            throw new InvalidFreeException("free(base=" + base + ", size=" + size + ") in arena '" + label
                    + "': the allocation at base=" + base + " has size=" + live);
        }
    }

    /** Frees the allocation at {@code base} (a retired cache slab), as {@link #free} does. */
    void releaseAt(long base) {
        free(base, NONE);
    }

    /** Frees the allocation at {@code base} (a slab of a closing arena) without the source: it stays imported. */
    void discardAt(long base) {
        DenseTag d = forms.holding(base);
        if (d != null) {
            long size = d.bits.sizeAt(base);
            forms.free(d, base, size);
            allocated -= size;
        } else {
            unallocate(table.find(base));
        }
        frees++;
    }

    /** The imported span that freeing one allocation of dense span {@code d} leaves wholly free, or null. */
    private static Tag spanFreedBy(DenseTag d) {
        return d.imported && d.bits.allocations == 1 ? d.prev : null;
    }

    /** The imported span that freeing {@code t} leaves wholly free, or null. */
    private Tag wholeSpanFreedBy(Tag t) {
        Tag prev = t.prev;
        Tag next = t.next;
        long freeBase = prev.type == Tag.FREE ? prev.base : t.base;
        long freeEnd = next.type == Tag.FREE ? next.end() : t.end();
        Tag marker = prev.type == Tag.FREE ? prev.prev : prev;
        return marker.type == Tag.IMPORTED_SPAN && freeBase == marker.base && freeEnd == marker.end() ? marker : null;
    }

    /** Turns allocated tag {@code t} into free space, coalescing with its free neighbours. */
    void unallocate(Tag t) {
        Tag prev = t.prev;
        Tag next = t.next;
        table.remove(t);
        allocated -= t.size;
        t.type = Tag.FREE;
        if (next.type == Tag.FREE) {
            freeLists.remove(next);
            t.size += next.size;
            unlink(next);
        }
        if (prev.type == Tag.FREE) {
            freeLists.remove(prev);
            prev.size += t.size;
            unlink(t);
            t = prev;
        }
        freeLists.insert(t);
    }

    private void unlink(Tag t) {
        if (rotorHint == t) {
            rotorHint = t.prev;
        }
        SegmentList.unlink(t);
        tagSegments--;
    }

    /** Removes an imported span and everything in it; live allocations in it count as freed. */
    void discardImportedSpan(Tag marker) {
        for (Tag t = marker.next; t != list.sentinel && !t.isSpan(); ) {
            Tag next = t.next;
            if (t.type == Tag.DENSE) {
                DenseSpan b = ((DenseTag) t).bits;
                forms.forget((DenseTag) t);
                allocated -= b.usedQuanta() * quantum;
                frees += b.allocations;
            } else if (t.type == Tag.ALLOCATED) {
                table.remove(t);
                allocated -= t.size;
                frees++;
            } else {
                freeLists.remove(t);
            }
            unlink(t);
            t = next;
        }
        if (rotorHint == marker) {
            rotorHint = marker.prev;
        }
        list.removeMarker(marker);
        total -= marker.size;
        imported -= marker.size;
    }

    /** Every segment: allocations and free runs, in tags and in dense spans. */
    long segments() {
        return tagSegments + forms.segments();
    }

    /**
     * The figures of the segment list itself, each cache slab counted as one allocation; quarantined blocks
     * (allocated segments) count as quarantined, not allocated.
     */
    ArenaStats stats() {
        long held = quarantine == null ? 0 : quarantine.values;
        long heldBlocks = quarantine == null ? 0 : quarantine.count();
        return new ArenaStats(total, allocated - held, total - allocated, imported, list.spanCount(), segments(),
                table.size() + forms.allocations() - heldBlocks, allocations, frees, failures, imports, releases, 0,
                held);
    }
}

package dev.vmem;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A vmem arena: allocates ranges of integers, multiples of its quantum, from the spans it is given or
 * imports. See the {@linkplain dev.vmem package documentation} for the model and its invariants.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Values are {@code long}s in {@code [0, 2^63)}; a span's end {@code base + size} never exceeds
 *       {@code Long.MAX_VALUE}. {@code 0} is a valid value; {@link #NONE} (-1) never is.</li>
 *   <li>Sizes are rounded up to the quantum; every base handed out is a multiple of it.</li>
 *   <li>Bad arguments throw {@link IllegalArgumentException} naming the values; running out of space
 *       throws {@link ArenaExhaustedException} (or returns {@link #NONE} from the {@code try} forms); a
 *       free that names no live allocation throws {@link InvalidFreeException}.</li>
 *   <li>Strong exception guarantee: a call that throws leaves the arena exactly as it was (only the
 *       {@code failures} counter records a failed allocation). With quantum caches, an allocation that
 *       finds no room first gives wholly idle slabs back (as {@link #reapCaches()} does) and keeps that
 *       even if it then fails: no caller's allocation changes, but idle cached space becomes free and
 *       an imported span it leaves wholly free goes back to the source.</li>
 * </ul>
 *
 * <h2>Thread safety</h2>
 * Assumptions: none; any thread may call any method. Guarantees: every public method is atomic with
 * respect to every other (one lock per arena), except that allocations and frees served by quantum
 * caches take no lock: each is atomic on its own, and {@link #stats()} may be off by those in flight.
 * An arena holds its lock while it imports from or releases to its source, so locks are always taken
 * child before parent; a hierarchy cannot deadlock because a source never calls back into its
 * importer.
 */
public final class Arena implements VmemArena, Source, AutoCloseable {
    /** Returned by the {@code try} methods when the request cannot be satisfied. Never a valid value. */
    public static final long NONE = -1;

    /** The largest quantum-cache limit, in quanta: caches serve allocations of 1 to 64 quanta. */
    public static final int MAX_QCACHE_QUANTA = 64;

    /** The largest quantum-cache limit in values, whatever the quantum: a slab must fit below 2^62. */
    public static final long MAX_QCACHE_VALUES = 1L << 55;

    private static final Logger LOG = LoggerFactory.getLogger(Arena.class);

    /*
     * Design notes.
     *
     * Placement is split from mutation: find() only reads and leaves the chosen free tag in `found`;
     * carve() then preallocates every object it needs before touching a link. With the source called
     * before any mutation in free(), every rejected call leaves the structure as it was.
     *
     * Tags never move to a higher base (carve keeps the free tag as the lower piece; coalescing keeps
     * the lower tag). That is what lets `rotorHint` (a tag at or below the NEXT_FIT rotor) stay valid
     * with one check where a tag leaves the list.
     */

    private final String label;
    private final long quantum;
    private final int quantumShift;
    private final Source source;
    private final long importQuantum;
    private final long qcacheMax;
    private final ArenaObserver observer;

    private final ReentrantLock lock = new ReentrantLock();
    final SegmentList list = new SegmentList();
    final FreeLists freeLists = new FreeLists();
    final AllocationTable table;
    private final Placement placement;

    /** NEXT_FIT: the end of the previous next-fit allocation. */
    long rotor;
    /** A tag in the list whose base is at or below {@link #rotor}, or the sentinel. */
    Tag rotorHint;
    /** Output of {@link #find}: the free tag holding the block it placed. */
    private Tag found;

    long total;
    long allocated;
    long imported;
    long segments;
    private long allocations;
    private long frees;
    private long failures;
    private long imports;
    private long releases;
    private volatile boolean closed;

    /** The quantum caches by size in quanta ({@code caches[n - 1]} serves n quanta); null without caches. */
    private final QuantumCache[] caches;
    /** Live slabs by base; null without caches. */
    final SlabTable slabTable;
    /** The distinct slab alignments of the caches, to find the slab holding a value. */
    private final long[] slabAligns;
    /** Slabs made and given back, each one allocation or free of the segment list; guarded by the lock. */
    private long slabsMade;
    private long slabsRetired;

    private Arena(Builder b, long importQuantum) {
        this.label = b.label;
        this.quantum = b.quantum;
        this.quantumShift = Long.numberOfTrailingZeros(b.quantum);
        this.source = b.source;
        this.importQuantum = importQuantum;
        this.qcacheMax = b.qcacheMax;
        this.observer = b.observer;
        this.table = new AllocationTable(quantum);
        this.placement = new Placement(list, freeLists, quantum);
        this.rotorHint = list.sentinel;
        int n = (int) (qcacheMax / quantum);
        if (n == 0) {
            caches = null;
            slabTable = null;
            slabAligns = null;
        } else {
            int stripes = Integer.highestOneBit(Math.min(64, 2 * Runtime.getRuntime().availableProcessors() - 1)) * 2;
            caches = new QuantumCache[n];
            TreeSet<Long> aligns = new TreeSet<>();
            for (int i = 0; i < n; i++) {
                caches[i] = new QuantumCache(this, i + 1, stripes);
                aligns.add(caches[i].slabAlign);
            }
            slabTable = new SlabTable();
            slabAligns = aligns.stream().mapToLong(Long::longValue).toArray();
        }
    }

    private void emit(ArenaChange change) {
        if (observer != null) {
            observer.changed(this, change);
        }
    }

    /** Starts the definition of an arena named {@code label}. */
    public static Builder builder(String label) {
        return new Builder(label);
    }

    @Override
    public String label() {
        return label;
    }

    @Override
    public long quantum() {
        return quantum;
    }

    /** The source this arena imports from, or null. */
    public Source source() {
        return source;
    }

    /** The least an import asks the source for. */
    public long importQuantum() {
        return importQuantum;
    }

    /** The largest allocation size served by quantum caches; 0 for none. */
    public long qcacheMax() {
        return qcacheMax;
    }

    // ---------------------------------------------------------------- spans

    /**
     * Gives the arena the range {@code [base, base + size)}.
     *
     * @throws IllegalArgumentException if the span is empty, negative, not aligned to the quantum,
     *         runs past {@code Long.MAX_VALUE}, or overlaps a span the arena already has
     */
    @Override
    public void addSpan(long base, long size) {
        lock.lock();
        try {
            ensureOpen();
            checkSpan(base, size);
            insertSpan(base, size, Tag.SPAN);
            emit(new ArenaChange.SpanAdded(base, size, false));
        } finally {
            lock.unlock();
        }
    }

    private void checkSpan(long base, long size) {
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

    private void insertSpan(long base, long size, byte type) {
        Tag marker = new Tag(type, base, size);
        Tag free = new Tag(Tag.FREE, base, size);
        list.insertSpan(marker, free);
        freeLists.insert(free);
        total += size;
        segments++;
        if (type == Tag.IMPORTED_SPAN) {
            imported += size;
        }
    }

    /** Removes a wholly free span from the structure (the caller deals with the source and counters). */
    private void removeFreeSpan(Tag marker) {
        Tag only = marker.next;
        freeLists.remove(only);
        if (rotorHint == marker || rotorHint == only) {
            rotorHint = marker.prev;
        }
        list.removeSpan(marker);
        total -= marker.size;
        if (marker.type == Tag.IMPORTED_SPAN) {
            imported -= marker.size;
        }
        segments--;
    }

    /** Whether {@code value} lies in one of the arena's spans. */
    @Override
    public boolean contains(long value) {
        lock.lock();
        try {
            return list.spanContaining(value) != null;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- allocation

    /**
     * Allocates {@code size} values (rounded up to the quantum) under {@code policy}.
     *
     * @return the base of the block
     * @throws IllegalArgumentException if {@code size} is not positive or overflows when rounded
     * @throws ArenaExhaustedException if neither the arena nor its source has room
     */
    @Override
    public long alloc(long size, Policy policy) {
        return allocOrFail(size, policy, true);
    }

    /** As {@link #alloc}, but returns {@link #NONE} instead of throwing when space runs out. */
    @Override
    public long tryAlloc(long size, Policy policy) {
        return allocOrFail(size, policy, false);
    }

    private long allocOrFail(long size, Policy policy, boolean throwing) {
        Objects.requireNonNull(policy, "policy");
        if (size <= 0) {
            throw new IllegalArgumentException("size=" + size + " must be positive (arena '" + label + "')");
        }
        long rounded = roundedSize(size);
        if (rounded <= qcacheMax && policy != Policy.NEXT_FIT) {
            ensureOpen();
            long base = caches[(int) (rounded >>> quantumShift) - 1].alloc();
            if (base != NONE) {
                return base;
            }
        }
        lock.lock();
        try {
            ensureOpen();
            long base = allocate(rounded, quantum, 0, 0, 0, maxRounded(Constraints.NO_MAX), policy);
            if (base == NONE && throwing) {
                throw exhausted(Constraints.of(size), policy);
            }
            return base;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Allocates a block that satisfies {@code constraints} under {@code policy}. The arena rounds the
     * request to its quantum first: the size up, {@code align} up to at least the quantum, {@code min}
     * up and {@code max} down to multiples of it; {@code phase} must be a multiple of the quantum.
     *
     * @throws IllegalArgumentException if the rounded request is malformed or over-constrained
     * @throws ArenaExhaustedException if neither the arena nor its source has a fitting range
     */
    @Override
    public long xalloc(Constraints constraints, Policy policy) {
        return xallocOrFail(constraints, policy, true);
    }

    /** As {@link #xalloc}, but returns {@link #NONE} instead of throwing when space runs out. */
    @Override
    public long tryXalloc(Constraints c, Policy policy) {
        return xallocOrFail(c, policy, false);
    }

    private long xallocOrFail(Constraints c, Policy policy, boolean throwing) {
        Objects.requireNonNull(c, "constraints");
        Objects.requireNonNull(policy, "policy");
        long size = roundedSize(c.size());
        if ((c.phase() & (quantum - 1)) != 0) {
            throw new IllegalArgumentException("phase=" + c.phase() + " is not a multiple of quantum=" + quantum
                    + " (arena '" + label + "')");
        }
        long align = Math.max(c.align(), quantum);
        long min = Fit.roundUp(c.min(), quantum);
        long max = maxRounded(c.max());
        if (min == Fit.NONE || !Constraints.feasible(size, align, c.phase(), c.nocross(), min, max)) {
            throw new IllegalArgumentException("over-constrained for quantum=" + quantum + " of arena '" + label
                    + "': " + c);
        }
        lock.lock();
        try {
            ensureOpen();
            long base = allocate(size, align, c.phase(), c.nocross(), min, max, policy);
            if (base == NONE && throwing) {
                throw exhausted(c, policy);
            }
            return base;
        } finally {
            lock.unlock();
        }
    }

    private long roundedSize(long size) {
        long rounded = Fit.roundUp(size, quantum);
        if (rounded == Fit.NONE) {
            throw new IllegalArgumentException("size=" + size + " overflows when rounded up to quantum=" + quantum
                    + " (arena '" + label + "')");
        }
        return rounded;
    }

    private long maxRounded(long max) {
        return Fit.roundDown(max, quantum);
    }

    /** Called with the lock held, so the figures are those the allocation failed against. */
    private ArenaExhaustedException exhausted(Constraints c, Policy policy) {
        ArenaStats s = statsLocked();
        return new ArenaExhaustedException("arena '" + label + "' has no room for " + c + " under " + policy
                + " (total=" + total + ", free=" + s.free() + (caches == null ? "" : " of which cached=" + s.cached())
                + (source == null ? "" : ", and its source supplied no span that holds it") + ")");
    }

    /**
     * Places and carves a caller's block, giving wholly idle cache slabs back first if that is what it
     * takes; the lock is held. Returns the base or {@link #NONE}, counting the failure.
     */
    private long allocate(long size, long align, long phase, long nocross, long min, long max, Policy policy) {
        long start = place(size, align, phase, nocross, min, max, policy);
        if (start == NONE && caches != null && reapLocked()) {
            start = place(size, align, phase, nocross, min, max, policy);
        }
        if (start == NONE) {
            failures++;
        }
        return start;
    }

    /** Places and carves a block; the lock is held. Returns the base or {@link #NONE}. */
    private long place(long size, long align, long phase, long nocross, long min, long max, Policy policy) {
        long start = find(size, align, phase, nocross, min, max, policy);
        if (start == NONE && source != null) {
            start = importAndFind(size, align, phase, nocross, min, max, policy);
        }
        if (start == NONE) {
            return NONE;
        }
        Tag block = carve(found, start, size);
        found = null;
        emit(new ArenaChange.Allocated(start, size));
        if (policy == Policy.NEXT_FIT) {
            long from = rotor;
            rotor = start + size;
            rotorHint = block;
            emit(new ArenaChange.CursorMoved(from, rotor));
        }
        return start;
    }

    /**
     * Finds where the block goes without changing anything: returns its start and leaves the free tag
     * holding it in {@link #found}, or returns {@link #NONE}.
     */
    private long find(long size, long align, long phase, long nocross, long min, long max, Policy policy) {
        long start = placement.find(size, align, phase, nocross, min, max, policy, rotor, rotorHint);
        found = placement.found;
        placement.found = null;
        return start;
    }

    /**
     * Imports a span that can hold the request and places the block in it, trying the requests of
     * {@link ImportPlan} in turn (at most four calls to the source, none of them recursive into this
     * arena). A span that still cannot hold the block is given back. Returns the start or {@link #NONE}.
     */
    private long importAndFind(long size, long align, long phase, long nocross, long min, long max, Policy policy) {
        for (Constraints request : ImportPlan.requests(quantum, source.quantum(), importQuantum,
                size, align, phase, nocross, min, max)) {
            long base;
            try {
                base = source.importSpan(request);
            } catch (ArenaExhaustedException e) {
                continue;
            }
            long span = request.size();
            if (!request.admits(base) || (base & (quantum - 1)) != 0 || list.overlappingSpan(base, span) != null) {
                IllegalStateException bad = new IllegalStateException("source of arena '" + label + "' returned base="
                        + base + " for " + request + ", which is misaligned, outside the request or overlaps a span");
                try {
                    source.releaseSpan(base, span);
                } catch (RuntimeException e) {
                    bad.addSuppressed(e);
                }
                throw bad;
            }
            insertSpan(base, span, Tag.IMPORTED_SPAN);
            long start = find(size, align, phase, nocross, min, max, policy);
            if (start != NONE) {
                imports++;
                emit(new ArenaChange.SpanAdded(base, span, true));
                return start;
            }
            // A futile import leaves no trace in this arena: no counter, no reported change.
            removeFreeSpan(list.spanAt(base));
            source.releaseSpan(base, span);
        }
        return NONE;
    }

    /** Turns {@code [start, start + size)} of free tag {@code t} into an allocated segment. */
    private Tag carve(Tag t, long start, long size) {
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
            segments++;
        } else {
            t.type = Tag.ALLOCATED;
            t.size = size;
        }
        if (rest != null) {
            SegmentList.insertAfter(rest, block);
            freeLists.insert(rest);
            segments++;
        }
        table.insert(block);
        allocated += size;
        allocations++;
        return block;
    }

    // ---------------------------------------------------------------- free

    /**
     * Frees the live allocation that starts at {@code base}.
     *
     * @throws InvalidFreeException if no live allocation starts at {@code base}
     */
    @Override
    public void free(long base) {
        freeBlock(base, NONE);
    }

    /**
     * Frees the live allocation that starts at {@code base}, checking that it was allocated with
     * {@code size} (compared after rounding up to the quantum).
     *
     * @throws InvalidFreeException if no live allocation starts at {@code base} or its size differs
     */
    @Override
    public void free(long base, long size) {
        if (size <= 0) {
            throw new IllegalArgumentException("size=" + size + " must be positive (arena '" + label + "')");
        }
        freeBlock(base, size);
    }

    /** Frees {@code base}, checking {@code size} unless it is {@link #NONE}: from its cache, else under the lock. */
    private void freeBlock(long base, long size) {
        if (caches != null && freeCached(base, size)) {
            return;
        }
        lock.lock();
        try {
            ensureOpen();
            // A slab made since the lock-free look can hide a cached block only at the slab's base: any
            // other value inside a slab is in no allocation table, and lookup refuses it.
            if (caches != null && slabTable.get(base) != null && freeCached(base, size)) {
                return;
            }
            release(lookup(base, size));
        } finally {
            lock.unlock();
        }
    }

    /** Releases a span back to this arena; for arenas that import from this one. */
    @Override
    public void releaseSpan(long base, long size) {
        free(base, size);
    }

    /** Imports a span for an arena that uses this one as its source: an {@link Policy#INSTANT_FIT} xalloc. */
    @Override
    public long importSpan(Constraints request) {
        return xalloc(request, Policy.INSTANT_FIT);
    }

    /**
     * Frees {@code base} into its quantum cache if it is a block of a live slab; without a lock.
     *
     * @return false if it is not (the arena's own path then frees it or says why not)
     * @throws InvalidFreeException if it is a block of a slab but not held, or {@code size} differs
     */
    private boolean freeCached(long base, long size) {
        ensureOpen();
        if (base < 0 || (base & (quantum - 1)) != 0) {
            return false;
        }
        QuantumCache.Slab s = slabHolding(base, size);
        if (s == null) {
            return false;
        }
        if (size != NONE && Fit.roundUp(size, quantum) != s.cache.blockSize) {
            throw new InvalidFreeException("free(base=" + base + ", size=" + size + ") in arena '" + label
                    + "': the allocation at base=" + base + " has size=" + s.cache.blockSize);
        }
        return s.cache.free(s, base);
    }

    /** The live slab with a block at {@code base}, or null; {@code size} (or NONE) says where to look first. */
    private QuantumCache.Slab slabHolding(long base, long size) {
        if (size != NONE && size <= qcacheMax) {
            QuantumCache c = caches[(int) ((Fit.roundUp(size, quantum) >>> quantumShift) - 1)];
            QuantumCache.Slab s = slabTable.get(base & -c.slabAlign);
            if (s != null && s.cache.blockIndex(s, base) >= 0) {
                return s;
            }
        }
        for (long align : slabAligns) {
            QuantumCache.Slab s = slabTable.get(base & -align);
            if (s != null && s.cache.blockIndex(s, base) >= 0) {
                return s;
            }
        }
        return null;
    }

    /** A new slab for cache {@code c}, or null if the arena (and its source) has no room for one. */
    QuantumCache.Slab newSlab(QuantumCache c) {
        lock.lock();
        try {
            ensureOpen();
            long base = place(c.slabSize, c.slabAlign, 0, 0, 0, maxRounded(Constraints.NO_MAX), Policy.INSTANT_FIT);
            if (base == NONE) {
                return null;
            }
            QuantumCache.Slab s = new QuantumCache.Slab(c, base);
            slabTable.put(s);
            c.slabs.add(s);
            slabsMade++;
            return s;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Gives every wholly idle quantum-cache slab back to the segment list (and an imported span that
     * leaves wholly free back to the source). An allocation that finds no room does this by itself
     * before it fails; call it to return idle cached space sooner. No-op without caches.
     */
    public void reapCaches() {
        if (caches == null) {
            return;
        }
        lock.lock();
        try {
            ensureOpen();
            reapLocked();
        } finally {
            lock.unlock();
        }
    }

    /** Gives every wholly idle slab back to the arena; the lock is held. Returns whether any went back. */
    private boolean reapLocked() {
        boolean any = false;
        for (QuantumCache c : caches) {
            List<QuantumCache.Slab> idle = c.retireIdle();
            for (QuantumCache.Slab s : idle) {
                try {
                    release(table.find(s.base));
                } catch (RuntimeException e) {
                    if (!s.refused) { // once per slab: every failing allocation tries again
                        s.refused = true;
                        LOG.warn("arena '{}' could not give idle cache slab [{}, {}) back: {}", label, s.base, s.end(),
                                e.toString());
                    }
                    c.reinstate(s);
                    continue;
                }
                forgetSlab(s);
                any = true;
            }
            if (!idle.isEmpty()) {
                c.slabs.removeIf(s -> s.word < 0);
            }
        }
        return any;
    }

    private Tag lookup(long base, long size) {
        Tag t = table.find(base);
        if (t == null) {
            String where = list.spanContaining(base) == null ? "is in no span" : "is not the base of a live allocation";
            throw new InvalidFreeException("free(base=" + base + (size == NONE ? "" : ", size=" + size) + ") in arena '"
                    + label + "': the value " + where + " (double free, or never allocated here)");
        }
        if (size != NONE && Fit.roundUp(size, quantum) != t.size) {
            throw new InvalidFreeException("free(base=" + base + ", size=" + size + ") in arena '" + label
                    + "': the allocation at base=" + base + " has size=" + t.size);
        }
        return t;
    }

    /** Frees allocated tag {@code t}, coalescing and giving a wholly free imported span back. */
    private void release(Tag t) {
        Tag marker = wholeSpanFreedBy(t);
        if (marker != null) {
            source.releaseSpan(marker.base, marker.size); // may throw: nothing has changed yet
        }
        long base = t.base;
        long size = t.size;
        unallocate(t);
        frees++;
        emit(new ArenaChange.Freed(base, size));
        if (marker != null) {
            removeFreeSpan(marker);
            releases++;
            emit(new ArenaChange.SpanRemoved(marker.base, marker.size));
        }
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
    private void unallocate(Tag t) {
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
        segments--;
    }

    // ---------------------------------------------------------------- changes

    /**
     * Undoes one change this arena reported to its observer, counters included, without calling the
     * source (the source's own changes are undone on the source) and without reporting anything.
     * Changes must be reverted newest first; each is checked against the arena, and one that does not
     * match its state is rejected with nothing changed. A store uses this to take back an operation
     * whose journal record could not be written, or a batch that failed part-way.
     *
     * @throws IllegalArgumentException if the change does not match the arena's state
     */
    public void revert(ArenaChange change) {
        Objects.requireNonNull(change, "change");
        lock.lock();
        try {
            ensureOpen();
            if (caches != null) {
                throw new IllegalStateException("arena '" + label + "' has quantum caches (qcacheMax=" + qcacheMax
                        + "); it has no observer, so it reports no changes to revert");
            }
            if (change instanceof ArenaChange.Allocated a) {
                Tag t = table.find(a.base());
                if (t == null || t.size != a.size()) {
                    throw cannotRevert(change, "no live allocation of that size");
                }
                unallocate(t);
                allocations--;
            } else if (change instanceof ArenaChange.Freed f) {
                Tag t = ((f.base() | f.size()) & (quantum - 1)) != 0 || frees == 0 ? null
                        : freeTagHolding(f.base(), f.size());
                if (t == null) {
                    throw cannotRevert(change, "the range is not free");
                }
                carve(t, f.base(), f.size());
                allocations--;
                frees--;
            } else if (change instanceof ArenaChange.SpanAdded a) {
                Tag marker = list.spanAt(a.base());
                if (marker == null || marker.size != a.size() || (marker.type == Tag.IMPORTED_SPAN) != a.imported()
                        || marker.next.type != Tag.FREE || marker.next.size != marker.size) {
                    throw cannotRevert(change, "no wholly free span of that size and kind");
                }
                removeFreeSpan(marker);
                if (a.imported()) {
                    imports--;
                }
            } else if (change instanceof ArenaChange.SpanRemoved r) {
                if (r.size() <= 0 || r.base() < 0 || r.size() > Long.MAX_VALUE - r.base()
                        || ((r.base() | r.size()) & (quantum - 1)) != 0 || source == null
                        || list.overlappingSpan(r.base(), r.size()) != null) {
                    throw cannotRevert(change, "the span is invalid, unaligned, overlaps another, or the arena has "
                            + "no source");
                }
                insertSpan(r.base(), r.size(), Tag.IMPORTED_SPAN);
                releases--;
            } else if (change instanceof ArenaChange.CursorMoved c) {
                if (rotor != c.to() || c.from() < 0 || (c.from() & (quantum - 1)) != 0) {
                    throw cannotRevert(change, "the rotor is at " + rotor);
                }
                rotor = c.from();
                rotorHint = list.sentinel;
            }
        } finally {
            lock.unlock();
        }
    }

    private IllegalArgumentException cannotRevert(ArenaChange change, String why) {
        return new IllegalArgumentException("cannot revert " + change + " in arena '" + label + "': " + why);
    }

    /** The free tag that holds all of {@code [base, base + size)}, or null. O(segments of the span). */
    private Tag freeTagHolding(long base, long size) {
        if (size <= 0 || base < 0 || size > Long.MAX_VALUE - base) {
            return null;
        }
        Tag marker = list.spanContaining(base);
        if (marker == null) {
            return null;
        }
        for (Tag t = marker.next; t != list.sentinel && !t.isSpan(); t = t.next) {
            if (t.end() > base) {
                return t.type == Tag.FREE && t.base <= base && t.end() >= base + size ? t : null;
            }
        }
        return null;
    }

    /**
     * The arena's spans, live allocations, rotor and counters: what {@link Builder#restore} needs to
     * rebuild it. O(n).
     */
    public ArenaState exportState() {
        lock.lock();
        try {
            ensureOpen();
            if (caches != null) {
                throw new IllegalStateException("arena '" + label + "' has quantum caches (qcacheMax=" + qcacheMax
                        + "), whose blocks are not allocations of the segment list; export works without them");
            }
            List<Segment> spans = new ArrayList<>(list.spanCount());
            long[] allocations = new long[2 * table.size()];
            int i = 0;
            for (Tag t = list.first(); t != list.sentinel; t = t.next) {
                if (t.isSpan()) {
                    spans.add(new Segment(t.base, t.size, t.kind()));
                } else if (t.type == Tag.ALLOCATED) {
                    allocations[i++] = t.base;
                    allocations[i++] = t.size;
                }
            }
            return new ArenaState(spans, allocations, rotor, statsLocked());
        } finally {
            lock.unlock();
        }
    }

    /** Rebuilds this (new, empty) arena from {@code state} in one pass; see {@link Builder#restore}. */
    private void load(ArenaState state) {
        Segment previous = null;
        for (Segment span : state.spans()) {
            if (!span.kind().isSpan()) {
                throw new IllegalArgumentException("restore: " + span + " is not a span");
            }
            if (span.kind() == Segment.Kind.IMPORTED_SPAN && source == null) {
                throw new IllegalArgumentException("restore: imported span " + span + " in an arena without a source");
            }
            checkSpan(span.base(), span.size());
            if (previous != null && span.base() < previous.end()) {
                throw new IllegalArgumentException("restore: spans out of order at " + span);
            }
            previous = span;
        }
        long[] a = state.allocations();
        table.reserve(a.length / 2);
        int next = 0;
        for (Segment span : state.spans()) {
            Tag marker = new Tag(span.kind() == Segment.Kind.IMPORTED_SPAN ? Tag.IMPORTED_SPAN : Tag.SPAN,
                    span.base(), span.size());
            list.appendSpan(marker);
            long cursor = span.base();
            for (; next < a.length && a[next] < span.end(); next += 2) {
                long base = a[next];
                long size = a[next + 1];
                if (base < cursor || size <= 0 || size > span.end() - base || ((base | size) & (quantum - 1)) != 0) {
                    throw new IllegalArgumentException("restore: allocation base=" + base + " size=" + size
                            + " is unaligned, overlaps another or lies outside span " + span);
                }
                if (base > cursor) {
                    appendFree(cursor, base - cursor);
                }
                Tag t = new Tag(Tag.ALLOCATED, base, size);
                SegmentList.insertBefore(t, list.sentinel);
                table.insert(t);
                segments++;
                allocated += size;
                cursor = base + size;
            }
            if (cursor < span.end()) {
                appendFree(cursor, span.end() - cursor);
            }
            total += span.size();
            if (marker.type == Tag.IMPORTED_SPAN) {
                imported += span.size();
            }
        }
        if (next < a.length) {
            throw new IllegalArgumentException("restore: allocation base=" + a[next] + " lies in no span");
        }
        if (state.cursor() < 0 || (state.cursor() & (quantum - 1)) != 0) {
            throw new IllegalArgumentException("restore: cursor=" + state.cursor()
                    + " is negative or not a multiple of quantum=" + quantum);
        }
        rotor = state.cursor();
        ArenaStats c = state.counters();
        if (c.allocations() - c.frees() != table.size() || c.failures() < 0 || c.frees() < 0 || c.releases() < 0
                || c.imports() - c.releases() != importedSpanCount()) {
            throw new IllegalArgumentException("restore: counters " + c + " do not match " + table.size()
                    + " live allocations and " + importedSpanCount() + " imported spans");
        }
        allocations = c.allocations();
        frees = c.frees();
        failures = c.failures();
        imports = c.imports();
        releases = c.releases();
    }

    private int importedSpanCount() {
        int n = 0;
        for (Tag marker : list.spanMarkers()) {
            if (marker.type == Tag.IMPORTED_SPAN) {
                n++;
            }
        }
        return n;
    }

    private void appendFree(long base, long size) {
        Tag free = new Tag(Tag.FREE, base, size);
        SegmentList.insertBefore(free, list.sentinel);
        freeLists.insert(free);
        segments++;
    }

    // ---------------------------------------------------------------- inspection

    /** Space figures and counters, read in O(1). */
    @Override
    public ArenaStats stats() {
        lock.lock();
        try {
            return statsLocked();
        } finally {
            lock.unlock();
        }
    }

    private ArenaStats statsLocked() {
        if (caches == null) {
            return engineStats();
        }
        long held = 0;
        long heldValues = 0;
        long cachedAllocs = 0;
        long cachedFrees = 0;
        long slabValues = 0;
        for (QuantumCache c : caches) {
            slabValues += c.slabs.size() * c.slabSize;
            long f = c.frees.sum(); // frees first, so that a racing pair can never make held negative
            long a = c.allocs.sum();
            cachedAllocs += a;
            cachedFrees += f;
            held += a - f;
            heldValues += (a - f) * c.blockSize;
        }
        long callers = allocated - slabValues + heldValues;
        return new ArenaStats(total, callers, total - callers, imported, list.spanCount(), segments,
                table.size() - slabTable.size() + held, allocations - slabsMade + cachedAllocs,
                frees - slabsRetired + cachedFrees, failures, imports, releases, slabValues - heldValues);
    }

    /** The figures of the segment list itself, each slab counted as one allocation; the lock is held. */
    ArenaStats engineStats() {
        return new ArenaStats(total, allocated, total - allocated, imported, list.spanCount(), segments,
                table.size(), allocations, frees, failures, imports, releases, 0);
    }

    /** The NEXT_FIT rotor: the end of the previous next-fit allocation (0 before the first). */
    @Override
    public long nextFitCursor() {
        lock.lock();
        try {
            return rotor;
        } finally {
            lock.unlock();
        }
    }

    /** Every span marker and segment in address order; each span marker precedes the segments tiling it. */
    @Override
    public List<Segment> segments() {
        lock.lock();
        try {
            List<Segment> out = new ArrayList<>(list.spanCount() + (int) Math.min(segments, Integer.MAX_VALUE - 8));
            walk(out);
            return out;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A readable picture of the arena's state: its definition, space figures, rotor, and every span and
     * segment in address order. Two dumps are equal exactly when the arenas' states are.
     */
    @Override
    public String dump() {
        lock.lock();
        try {
            // The callers' figures, as stats() gives them: a slab is not one allocation but its blocks.
            ArenaStats s = statsLocked();
            StringBuilder sb = new StringBuilder();
            sb.append("arena '").append(label).append("' quantum=").append(quantum)
                    .append(" total=").append(total).append(" allocated=").append(s.allocated())
                    .append(" free=").append(s.free()).append(caches == null ? "" : " cached=" + s.cached())
                    .append(" imported=").append(imported)
                    .append(" cursor=").append(rotor).append(closed ? " closed" : "").append('\n');
            List<Segment> walked = new ArrayList<>();
            walk(walked);
            for (Segment t : walked) {
                sb.append(t.kind().isSpan() ? "  " : "    ")
                        .append(String.format("%-13s [0x%x, 0x%x) size=0x%x%n",
                                t.kind().name().toLowerCase(java.util.Locale.ROOT), t.base(), t.end(), t.size()));
            }
            return sb.toString();
        } finally {
            lock.unlock();
        }
    }

    /** Appends the walk to {@code out}: each slab as its held blocks and its runs of idle ones; the lock is held. */
    private void walk(List<Segment> out) {
        for (Tag t = list.first(); t != list.sentinel; t = t.next) {
            QuantumCache.Slab slab = t.type == Tag.ALLOCATED && caches != null ? slabTable.get(t.base) : null;
            if (slab == null) {
                out.add(new Segment(t.base, t.size, t.kind()));
                continue;
            }
            long w = slab.word;
            long block = slab.cache.blockSize;
            for (int i = 0; i < QuantumCache.BLOCKS; ) {
                if (w >= 0 && (w & 1L << i) != 0) {
                    out.add(new Segment(t.base + i * block, block, Segment.Kind.ALLOCATED));
                    i++;
                    continue;
                }
                int j = i + 1;
                while (j < QuantumCache.BLOCKS && (w < 0 || (w & 1L << j) == 0)) {
                    j++;
                }
                out.add(new Segment(t.base + i * block, (j - i) * block, Segment.Kind.CACHED));
                i = j;
            }
        }
    }

    /**
     * Runs the full invariant check of the package documentation.
     *
     * @return a description of each violation; empty when the arena is sound
     */
    @Override
    public List<String> checkInvariants() {
        lock.lock();
        try {
            return ArenaCheck.run(this);
        } finally {
            lock.unlock();
        }
    }

    /** The quantum caches' part of the invariant check; the lock is held. */
    void checkCaches(List<String> problems) {
        if (caches == null) {
            return;
        }
        long slabCount = 0;
        for (QuantumCache c : caches) {
            for (QuantumCache.Slab s : c.slabs) {
                slabCount++;
                Tag t = table.find(s.base);
                if (t == null || t.size != c.slabSize) {
                    problems.add("cache slab [" + s.base + ", " + s.end() + ") is not an allocated segment " + t);
                }
                if ((s.base & (c.slabAlign - 1)) != 0) {
                    problems.add("cache slab at " + s.base + " is not aligned to " + c.slabAlign);
                }
                if (s.word < 0) {
                    problems.add("cache slab at " + s.base + " is retired but still listed");
                }
                if (slabTable.get(s.base) != s) {
                    problems.add("cache slab at " + s.base + " is missing from the slab table");
                }
            }
        }
        if (slabCount != slabTable.size() || slabCount != slabsMade - slabsRetired) {
            problems.add("caches list " + slabCount + " slabs, the slab table " + slabTable.size() + ", made-retired "
                    + (slabsMade - slabsRetired));
        }
    }

    @Override
    public String toString() {
        return "Arena[" + label + ", quantum=" + quantum + "]";
    }

    // ---------------------------------------------------------------- lifecycle

    /**
     * Gives every imported span back to the source and makes the arena unusable. Live allocations at
     * this point are leaks: their count and size are logged at WARN; those inside imported spans go back
     * with their spans, and cached blocks with their slabs (both counted as frees). Afterwards the
     * read-only views ({@link #stats()}, {@link #segments()}, {@link #dump()}, {@link #checkInvariants()},
     * {@link #contains}, {@link #nextFitCursor()}) describe what the arena still holds; every mutation,
     * {@link #exportState()} and {@link #revert} throw {@link IllegalStateException}. If the source
     * refuses a span, close throws its exception after trying the others, and calling close again
     * retries the refused ones.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (!closed) {
                ArenaStats s = statsLocked();
                if (s.liveAllocations() > 0) {
                    LOG.warn("arena '{}' closed with {} live allocations ({} values) leaked", label,
                            s.liveAllocations(), s.allocated());
                }
                closed = true;
                if (caches != null) {
                    retireSlabs();
                }
            }
            List<Tag> spans = source == null ? List.of() : importedSpans();
            if (spans.isEmpty()) {
                return;
            }
            RuntimeException failure = null;
            for (Tag marker : spans) {
                try {
                    source.releaseSpan(marker.base, marker.size);
                } catch (RuntimeException e) {
                    if (failure == null) {
                        failure = new IllegalStateException("arena '" + label + "' could not give span [" + marker.base
                                + ", " + marker.end() + ") back to its source", e);
                    } else {
                        failure.addSuppressed(e);
                    }
                    continue;
                }
                discardImportedSpan(marker);
                releases++;
            }
            if (failure != null) {
                throw failure;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Gives every slab back to the segment list as free space when the arena closes; blocks callers
     * still held count as freed, like the other leaks. Lock held.
     */
    private void retireSlabs() {
        for (QuantumCache c : caches) {
            c.retireAll();
            for (QuantumCache.Slab s : c.slabs) {
                Tag t = table.find(s.base);
                unallocate(t);
                frees++;
                forgetSlab(s);
            }
            c.slabs.clear();
        }
    }

    /** Drops a slab whose range the segment list has taken back; its cache drops it from its list. */
    private void forgetSlab(QuantumCache.Slab s) {
        slabTable.remove(s);
        slabsRetired++;
    }

    /** Removes an imported span and everything in it; live allocations in it count as freed. */
    private void discardImportedSpan(Tag marker) {
        for (Tag t = marker.next; t != list.sentinel && !t.isSpan(); ) {
            Tag next = t.next;
            if (t.type == Tag.ALLOCATED) {
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

    private List<Tag> importedSpans() {
        List<Tag> out = new ArrayList<>();
        for (Tag marker : list.spanMarkers()) {
            if (marker.type == Tag.IMPORTED_SPAN) {
                out.add(marker);
            }
        }
        return out;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("arena '" + label + "' is closed");
        }
    }

    /**
     * Checks a quantum-cache limit against a (valid) quantum, as {@link Builder#build()} does: a multiple
     * of the quantum, at most {@link #MAX_QCACHE_QUANTA} quanta and at most {@link #MAX_QCACHE_VALUES}.
     *
     * @throws IllegalArgumentException naming the value when it is not
     */
    public static void checkQcacheMax(String label, long quantum, long qcacheMax) {
        if (qcacheMax < 0 || (qcacheMax & (quantum - 1)) != 0 || qcacheMax / quantum > MAX_QCACHE_QUANTA) {
            throw new IllegalArgumentException("qcacheMax=" + qcacheMax + " must be a multiple of quantum="
                    + quantum + " between 0 and " + MAX_QCACHE_QUANTA + " quanta (arena '" + label + "')");
        }
        if (qcacheMax > MAX_QCACHE_VALUES) {
            throw new IllegalArgumentException("qcacheMax=" + qcacheMax + " exceeds " + MAX_QCACHE_VALUES
                    + ": a cache slab of 63 such blocks must fit below 2^62 (arena '" + label + "')");
        }
    }

    /** Defines an arena; {@link #build()} validates the whole definition. */
    public static final class Builder {
        private final String label;
        private long quantum = 1;
        private Source source;
        private long importQuantum;
        private long qcacheMax;
        private ArenaObserver observer;
        private ArenaState state;
        private final List<long[]> spans = new ArrayList<>();

        private Builder(String label) {
            this.label = Objects.requireNonNull(label, "label");
        }

        /** The granularity of every allocation, a power of two. Default 1. */
        public Builder quantum(long quantum) {
            this.quantum = quantum;
            return this;
        }

        /** Where the arena imports from when it runs out. Default none. */
        public Builder source(Source source) {
            this.source = source;
            return this;
        }

        /** The least an import asks for, a multiple of the quantum. Default: the quantum. */
        public Builder importQuantum(long importQuantum) {
            this.importQuantum = importQuantum;
            return this;
        }

        /** The largest size served by quantum caches, a multiple of the quantum; 0 (default) for none. */
        public Builder qcacheMax(long qcacheMax) {
            this.qcacheMax = qcacheMax;
            return this;
        }

        /** Receives every change the arena makes; see {@link ArenaObserver}. Default none. */
        public Builder observer(ArenaObserver observer) {
            this.observer = observer;
            return this;
        }

        /**
         * Builds the arena with the spans, allocations, rotor and counters of {@code state} (from
         * {@link Arena#exportState()}) instead of empty. Imported spans are taken as already imported:
         * the source is not called. Nothing is reported to the observer. O(n).
         *
         * @throws IllegalArgumentException from {@link #build()} if the state is inconsistent
         */
        public Builder restore(ArenaState state) {
            this.state = Objects.requireNonNull(state, "state");
            return this;
        }

        /** A span to add at creation; may be called more than once. */
        public Builder span(long base, long size) {
            spans.add(new long[] {base, size});
            return this;
        }

        /** @throws IllegalArgumentException naming the value when the definition is invalid */
        public Arena build() {
            if (label.isBlank()) {
                throw new IllegalArgumentException("label '" + label + "' must not be blank");
            }
            if (!Fit.isPowerOfTwo(quantum)) {
                throw new IllegalArgumentException("quantum=" + quantum + " is not a power of two (arena '"
                        + label + "')");
            }
            long importQuantum = this.importQuantum == 0 ? quantum : this.importQuantum;
            if (importQuantum < 0 || (importQuantum & (quantum - 1)) != 0) {
                throw new IllegalArgumentException("importQuantum=" + importQuantum
                        + " is not a positive multiple of quantum=" + quantum + " (arena '" + label + "')");
            }
            if (source != null && !Fit.isPowerOfTwo(source.quantum())) {
                throw new IllegalArgumentException("source quantum=" + source.quantum()
                        + " is not a power of two (arena '" + label + "')");
            }
            checkQcacheMax(label, quantum, qcacheMax);
            if (qcacheMax > 0 && observer != null) {
                throw new IllegalArgumentException("qcacheMax=" + qcacheMax + " with an observer (arena '" + label
                        + "'): blocks served by quantum caches are not changes of the arena, so an observed arena "
                        + "cannot have caches");
            }
            Arena arena = new Arena(this, importQuantum);
            if (state != null) {
                arena.load(state);
            }
            for (long[] span : spans) {
                arena.addSpan(span[0], span[1]);
            }
            return arena;
        }
    }
}

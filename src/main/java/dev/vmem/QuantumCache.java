package dev.vmem;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The quantum cache of one size class: blocks of {@code quanta} quanta carved from slabs, each slab one
 * allocation of 63 blocks from the arena. A slab's word has bit {@code i} set while block {@code i} is
 * held by a caller; the top bit marks a slab being given back. Allocating and freeing a block is one
 * compare-and-set on that word, with no lock: that is the common path.
 *
 * <p>Each thread works on the current slab of its stripe (threads are spread over a few stripes by
 * id), so threads rarely share a word. A slab that runs full is left behind; the first free into a full
 * slab makes the freeing thread's stripe adopt it, or queues it on that stripe's partial queue (or leaves
 * it to that stripe if it is its current slab still: whoever replaces a current slab checks it for room),
 * so every idle block stays reachable. A stripe whose slab is full takes a slab from its own queue, else a new
 * one from the arena, and only when the arena has no room one queued by or current in another stripe:
 * slabs stay with the threads that use them, since threads that share a slab contend for its word
 * (measured: two threads on one arena went from 15.7 to 26 operations per microsecond). The price is
 * idle blocks held back in other stripes until the arena runs short.
 *
 * <p>Why not Bonwick's magazines: a magazine hands out whatever was pushed into it, so it cannot tell a
 * double free from a free, and rounds held by one thread cannot be taken back by another without a lock
 * on the common path. The slab word keeps the held/idle state of every cached block, which gives both:
 * a double free or a wrong size is refused like any other bad free, and wholly idle slabs can be given
 * back (reaped) at any time without stopping anyone.
 */
final class QuantumCache {
    static final int BLOCKS = 63;
    static final long FULL = (1L << BLOCKS) - 1;
    static final long RETIRED = Long.MIN_VALUE;

    /** A slab: 63 blocks of its cache's size, held by the cache as one allocation of the arena. */
    static final class Slab {
        final QuantumCache cache;
        final long base;
        /** Where the slab's word is: bit i, block i is held by a caller; top bit, retired. */
        final SlabIndex.Leaf leaf;
        final int slot;
        /** Whether the source refused the span this slab's return would have released (logged once). */
        boolean refused;
        /** Whether the slab sits in its cache's partial queue (may be stale the other way). */
        volatile boolean queued;

        Slab(QuantumCache cache, long base, SlabIndex.Leaf leaf, int slot) {
            this.cache = cache;
            this.base = base;
            this.leaf = leaf;
            this.slot = slot;
        }

        long word() {
            return SlabIndex.word(leaf.words, slot);
        }

        boolean cas(long expected, long next) {
            return SlabIndex.cas(leaf.words, slot, expected, next);
        }

        boolean hasRoom() {
            long w = word();
            return w >= 0 && w != FULL;
        }

        long end() {
            return base + BLOCKS * cache.blockSize;
        }
    }

    private final SlabSupply supply;
    /** The words of this cache's slabs. */
    final SlabIndex index;
    private final String label;
    final int quanta;
    final long blockSize;
    private final int quantumShift;
    /** ceil(2^32 / quanta): an offset in quanta times this, shifted down 32, is the block index. */
    private final long reciprocal;
    final long slabSize;
    final long slabAlign;

    /**
     * The numbers ({@link SlabIndex#number}) of the stripes' current slabs, or {@link #NO_SLAB}; one per 64-byte
     * line ({@link #PAD} slots apart) so stripes share no line. Numbers, not slabs: a free that makes a full
     * slab current, and the allocation that takes from it, read the slab's word and never the slab.
     */
    private final AtomicLongArray current;
    private final int stripeMask;
    private static final int PAD = 8;
    private static final long NO_SLAB = -1;
    /**
     * Each stripe's last leaf of its current slab ({@code 2 * k} for stripe slot k, so that stripes share no
     * line), that an allocation need not look the leaf up while its slab stays current. Read and written
     * without order: a reader checks the leaf's number, and a leaf whose number matches but was dropped reads
     * retired, after which the allocation forgets it.
     */
    private final SlabIndex.Leaf[] stripeLeaves;
    /** Each stripe's queue of slabs that got room while no stripe took them; made on first use. */
    private final AtomicReferenceArray<ConcurrentLinkedQueue<Slab>> partial;
    final ReentrantLock refill = new ReentrantLock();
    /** Every live slab. Guarded by the arena's lock. */
    private final List<Slab> slabs = new ArrayList<>();

    final LongAdder allocs = new LongAdder();
    final LongAdder frees = new LongAdder();

    QuantumCache(SlabSupply supply, String label, long quantum, int quanta, int stripes) {
        this.supply = supply;
        this.label = label;
        this.quanta = quanta;
        this.blockSize = quanta * quantum;
        this.quantumShift = Long.numberOfTrailingZeros(quantum);
        this.reciprocal = (1L << 32) / quanta + 1;
        this.slabSize = BLOCKS * blockSize;
        this.slabAlign = Long.highestOneBit(slabSize) << 1;
        this.index = new SlabIndex(slabAlign);
        this.current = new AtomicLongArray(stripes * PAD);
        for (int k = 0; k < current.length(); k += PAD) {
            current.set(k, NO_SLAB);
        }
        this.stripeLeaves = new SlabIndex.Leaf[2 * stripes * PAD];
        this.partial = new AtomicReferenceArray<>(stripes);
        this.stripeMask = stripes - 1;
    }

    /**
     * The calling thread's slot in {@link #current}. Thread ids are handed out in sequence, so threads
     * started together land on different stripes.
     */
    @SuppressWarnings("deprecation") // Thread.threadId() replaces getId() only from Java 19
    private int stripe() {
        return ((int) Thread.currentThread().getId() & stripeMask) * PAD;
    }

    /** A held block, or {@link Arena#NONE} if no slab has room and the arena has none for a new slab. */
    long alloc() {
        int k = stripe();
        long n = current.get(k);
        if (n >= 0) {
            SlabIndex.Leaf leaf = currentLeaf(k, n);
            long base = leaf == null ? Arena.NONE : take(leaf, SlabIndex.slot(n), index.base(n));
            if (base != Arena.NONE) {
                return base;
            }
            stripeLeaves[2 * k] = null; // full, retired, or a dropped leaf: look again next time
        }
        return allocSlow(k);
    }

    /** The leaf of slab {@code n}, current in stripe slot {@code k}: the stripe's last if it matches, else looked up. */
    private SlabIndex.Leaf currentLeaf(int k, long n) {
        SlabIndex.Leaf leaf = stripeLeaves[2 * k];
        if (leaf == null || leaf.number != SlabIndex.leafNumber(n)) {
            leaf = index.leaf(n);
            stripeLeaves[2 * k] = leaf;
        }
        return leaf;
    }

    private long take(Slab s) {
        return take(s.leaf, s.slot, s.base);
    }

    /** A block of the slab at {@code slabBase} whose word is at {@code slot} of {@code leaf}, or NONE if it is full or retired. */
    private long take(SlabIndex.Leaf leaf, int slot, long slabBase) {
        for (long w = SlabIndex.word(leaf.words, slot); w >= 0 && w != FULL; w = SlabIndex.word(leaf.words, slot)) {
            int i = Long.numberOfTrailingZeros(~w);
            if (SlabIndex.cas(leaf.words, slot, w, w | 1L << i)) {
                allocs.increment();
                return slabBase + i * blockSize;
            }
        }
        return Arena.NONE;
    }

    /**
     * The stripe's slab is full: take a slab from the stripe's queue, else a new one, else (the arena has
     * no room) one queued by or current in another stripe, and make it current.
     */
    private long allocSlow(int k) {
        while (true) {
            long n = current.get(k);
            Slab s = n < 0 ? null : index.slab(n);
            if (s != null && s.hasRoom()) {
                long base = take(s);
                if (base != Arena.NONE) {
                    return base;
                }
                continue;
            }
            Slab next = queuedWithRoom(k / PAD);
            if (next == null) {
                next = newSlab(k / PAD);
            }
            for (int j = 1; next == null && j < partial.length(); j++) {
                next = queuedWithRoom((k / PAD + j) % partial.length());
            }
            if (next == null) {
                next = roomInAnotherStripe(k);
            }
            if (next == null) {
                return Arena.NONE;
            }
            if (!current.compareAndSet(k, n, index.number(next.base))) {
                enqueue(next); // a free made another slab this stripe's current meanwhile
            } else if (n >= 0 && hasRoom(index.leaf(n), n)) {
                // A free raced the replacement; or slab n was given back and made again while this thread waited
                // for the refill, and a free into it trusted this stripe to have it current. By number, not s.
                enqueue(n);
            }
        }
    }

    /** A slab with room from {@code stripe}'s queue, or null. */
    private Slab queuedWithRoom(int stripe) {
        ConcurrentLinkedQueue<Slab> queue = partial.get(stripe);
        for (Slab q = queue == null ? null : queue.poll(); q != null; q = queue.poll()) {
            q.queued = false;
            if (q.hasRoom()) {
                return q;
            }
        }
        return null;
    }

    /**
     * A new slab, or null if the arena has no room for one. Made under the refill lock, after looking at
     * the queue again, so that a slab queued meanwhile is used first.
     */
    private Slab newSlab(int stripe) {
        refill.lock();
        try {
            Slab s = queuedWithRoom(stripe);
            return s != null ? s : supply.newSlab(this);
        } finally {
            refill.unlock();
        }
    }

    /**
     * The current slab of another stripe, if one has room: a slab a thread made, or one a freeing thread
     * adopted, stays current until an allocation on that stripe finds it full, and no thread of that
     * stripe may come back. Looked at last, when the arena has no room for a new slab.
     */
    private Slab roomInAnotherStripe(int k) {
        for (int j = 0; j < current.length(); j += PAD) {
            long n = current.get(j);
            Slab o = n < 0 ? null : index.slab(n);
            if (j != k && o != null && o.hasRoom()) {
                return o;
            }
        }
        return null;
    }

    void enqueue(Slab s) {
        if (!s.queued) {
            s.queued = true;
            int k = stripe() / PAD;
            ConcurrentLinkedQueue<Slab> queue = partial.get(k);
            if (queue == null) {
                partial.compareAndSet(k, null, new ConcurrentLinkedQueue<>());
                queue = partial.get(k);
            }
            queue.offer(s);
        }
    }

    /**
     * Frees {@code base} if a live slab of this cache has a block there, finding the slab's word through the
     * index alone: the lock-free free of a block whose size the caller named.
     *
     * @return false if no live slab of this cache has a block at {@code base} ({@code base >= 0})
     * @throws InvalidFreeException if one has and the block is not held (a double free)
     */
    boolean freeIfCached(long base) {
        long n = index.number(base);
        SlabIndex.Leaf leaf = index.leaf(n);
        int i = leaf == null ? -1 : blockIndex(index.base(n), base);
        return i >= 0 && release(leaf, n, base, i);
    }

    /**
     * Frees block {@code base} of slab {@code s}.
     *
     * @return false if the slab has been retired (the range belongs to the arena again)
     * @throws InvalidFreeException if the block is not held (a double free)
     */
    boolean free(Slab s, long base) {
        return release(s.leaf, index.number(s.base), base, blockIndex(s, base));
    }

    /** Clears block {@code i}, at {@code base}, of slab {@code n}, whose word is in {@code leaf}; as {@link #free}. */
    private boolean release(SlabIndex.Leaf leaf, long n, long base, int i) {
        int slot = SlabIndex.slot(n);
        long bit = 1L << i;
        for (long w = SlabIndex.word(leaf.words, slot); ; w = SlabIndex.word(leaf.words, slot)) {
            if (w < 0) {
                return false;
            }
            if ((w & bit) == 0) {
                throw new InvalidFreeException("free(base=" + base + ") in arena '" + label
                        + "': the value is not the base of a live allocation (double free, or never allocated here)");
            }
            if (SlabIndex.cas(leaf.words, slot, w, w & ~bit)) {
                frees.increment();
                if (w == FULL) {
                    becamePartial(n, leaf);
                }
                return true;
            }
        }
    }

    /**
     * Full slab {@code n}, whose word is in {@code leaf}, got room: the freeing thread's stripe adopts it if its
     * own slab is full, else it is queued.
     */
    private void becamePartial(long n, SlabIndex.Leaf leaf) {
        int k = stripe();
        long c = current.get(k);
        if (c == n) {
            return; // reachable: whoever replaces number n in the stripe checks that slab for room
        }
        if (c >= 0 && hasRoom(currentLeaf(k, c), c) || !current.compareAndSet(k, c, n)) {
            enqueue(n);
            return;
        }
        stripeLeaves[2 * k] = leaf;
        if (c >= 0 && hasRoom(index.leaf(c), c)) {
            enqueue(c);
        }
    }

    /** Whether slab {@code n}, whose word is in {@code leaf} if it is live, is live and not full. */
    private static boolean hasRoom(SlabIndex.Leaf leaf, long n) {
        long w = leaf == null ? RETIRED : SlabIndex.word(leaf.words, SlabIndex.slot(n));
        return w >= 0 && w != FULL;
    }

    /** Queues slab {@code n} if it is still registered (a close may have given it back since). */
    private void enqueue(long n) {
        Slab s = index.slab(n);
        if (s != null) {
            enqueue(s);
        }
    }

    /**
     * The index of the block of slab {@code s} that starts at {@code base}, a multiple of the quantum;
     * -1 if none does.
     */
    int blockIndex(Slab s, long base) {
        return blockIndex(s.base, base);
    }

    /**
     * The index of the block that starts at {@code base} in a slab of this cache at {@code slabBase}; -1 if
     * none does. Exact without a division: offsets are below 63 * 64 quanta.
     */
    private int blockIndex(long slabBase, long base) {
        long offset = base - slabBase;
        if (offset < 0 || offset >= slabSize) {
            return -1;
        }
        int quantaIn = (int) (offset >>> quantumShift);
        int i = (int) (quantaIn * reciprocal >>> 32);
        return i * quanta == quantaIn ? i : -1;
    }

    /**
     * A new slab at {@code base}, carved by the arena for this cache; the arena's lock is held. {@code record}
     * gets it before its word goes live in the index: from then on a stripe whose current number is the slab's
     * (left from a slab given back at the same base) can take its blocks, and a free of one must find the slab
     * wherever it looks.
     */
    Slab adopt(long base, Consumer<Slab> record) {
        Slab s = new Slab(this, base, index.leafFor(base), SlabIndex.slot(index.number(base)));
        slabs.add(s);
        record.accept(s);
        index.add(s);
        return s;
    }

    /** Takes slab {@code s}, retired, out of the index, for good; the arena's lock is held. */
    void unregister(Slab s) {
        index.remove(s);
    }

    /** The index's part of the invariant check; the lock is held. */
    void checkIndex(List<String> problems) {
        index.check("cache of " + blockSize, slabs, problems);
    }

    /** The live slabs; the arena's lock is held. */
    List<Slab> slabs() {
        return slabs;
    }

    /** Drops the slabs retired by {@link #retireIdle} that stayed retired; the arena's lock is held. */
    void dropRetired() {
        slabs.removeIf(s -> s.word() < 0);
    }

    /** Drops every slab, after {@link #retireAll} and the arena took their ranges back. */
    void forgetAll() {
        slabs.clear();
    }

    /** Marks the wholly idle slabs retired and returns them; the arena then gives their ranges back. */
    List<Slab> retireIdle() {
        List<Slab> out = new ArrayList<>();
        for (Slab s : slabs) {
            if (s.word() == 0 && s.cas(0, RETIRED)) {
                out.add(s);
            }
        }
        return out;
    }

    /** Puts back a slab retired by {@link #retireIdle} that the arena could not take back. */
    void reinstate(Slab s) {
        SlabIndex.set(s.leaf.words, s.slot, 0);
        enqueue(s);
    }

    /**
     * Retires every slab, held blocks included, for a closing arena; returns the blocks that were held
     * (they count as freed). Operations racing the close find the slabs retired and fail.
     */
    long retireAll() {
        long held = 0;
        for (Slab s : slabs) {
            long w;
            do {
                w = s.word();
            } while (!s.cas(w, RETIRED));
            held += Long.bitCount(w & FULL);
        }
        frees.add(held);
        return held;
    }
}

package dev.vmem;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The words of one quantum cache's live slabs, found from a block's base without touching its slab: the
 * slab number, {@code base >>> log2(slabAlign)} (a slab's base is a multiple of its cache's slab
 * alignment, and a block lies below the next multiple), picks a leaf of 64 words and a word in it. A
 * slab's word lives here, not in the slab.
 *
 * <p>Why: a free that names its size finds its word through a window of leaves (an array by leaf number,
 * small and often read) and then reads one word of a leaf. Through the arena's table of slabs it read a
 * table slot and then the slab, two dependent misses over memory several times larger: in a cached pool
 * of a million single IDs, 128 KB of words against some 700 KB of slots and slabs. The stripes' current
 * slabs are kept as numbers for the same reason. {@code IdPoolBenchmark}'s cached pool, in paired runs
 * against the build before: a step took about 30% less time at 50% full and 40% less at 90%, and 0-7%
 * more at 10%, where everything fits in the caches of the processor.
 *
 * <p>A word that no live slab holds reads {@link QuantumCache#RETIRED}, so a reader that finds a slab
 * retired or gone takes the locked path, as it would for a retired slab. A slab made again at a base whose
 * slab was given back gets the same number (and the same word, if its leaf stayed); the cache is the same,
 * so are its blocks. A leaf is made with the first slab registered in it and dropped with the last, under
 * the arena's lock; a reader still holding a dropped leaf reads its words retired.
 */
final class SlabIndex {
    static final int LEAF_BITS = 6;
    static final int LEAF_SLOTS = 1 << LEAF_BITS;
    /** The window's least length: a cache whose leaves lie within 64 numbers of each other has them all in it. */
    private static final int MIN_WINDOW = 64;
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    /** 64 slab words and the slabs they belong to; a word with no slab is retired. */
    static final class Leaf {
        final long number;
        final long[] words = new long[LEAF_SLOTS];
        final QuantumCache.Slab[] slabs = new QuantumCache.Slab[LEAF_SLOTS];
        /** The slabs registered here; guarded by the arena's lock. */
        int live;

        Leaf(long number) {
            this.number = number;
            Arrays.fill(words, QuantumCache.RETIRED);
        }
    }

    /** Consecutive leaves by number from {@code first}: looked up with one subtraction, where a cache's slabs lie close. */
    static final class Window {
        final long first;
        final AtomicReferenceArray<Leaf> leaves;

        Window(long first, int length) {
            this.first = first;
            this.leaves = new AtomicReferenceArray<>(length);
        }
    }

    /** Every leaf; the window holds those in its range as well (a reader that finds none there asks here). */
    private final ReadMostlyTable<Leaf> leaves = new ReadMostlyTable<>(leaf -> leaf.number);
    volatile Window window = new Window(0, 0);
    private final int alignShift;

    SlabIndex(long slabAlign) {
        this.alignShift = Long.numberOfTrailingZeros(slabAlign);
    }

    /** The number of the slab that would hold {@code base} (a value {@code >= 0}): its base over the alignment. */
    long number(long base) {
        return base >>> alignShift;
    }

    /** The base of slab {@code number}. */
    long base(long number) {
        return number << alignShift;
    }

    /** The number of the leaf of slab {@code number}'s word. */
    static long leafNumber(long number) {
        return number >>> LEAF_BITS;
    }

    /** The index in its leaf of slab {@code number}'s word. */
    static int slot(long number) {
        return (int) number & (LEAF_SLOTS - 1);
    }

    /** The leaf holding slab {@code number}'s word, or null if no live slab's word is in it. Lock-free. */
    Leaf leaf(long number) {
        long leafNumber = leafNumber(number);
        Window w = window;
        long i = leafNumber - w.first;
        Leaf leaf = i >= 0 && i < w.leaves.length() ? w.leaves.getAcquire((int) i) : null;
        return leaf != null ? leaf : leaves.get(leafNumber);
    }

    /** Live slab {@code number}, or null. Lock-free. */
    QuantumCache.Slab slab(long number) {
        Leaf leaf = leaf(number);
        return leaf == null ? null : leaf.slabs[slot(number)];
    }

    /** The leaf for a new slab at {@code slabBase}, made if need be; the lock is held. */
    Leaf leafFor(long slabBase) {
        Leaf leaf = leaf(number(slabBase));
        if (leaf == null) {
            leaf = new Leaf(number(slabBase) >>> LEAF_BITS);
            leaves.put(leaf);
            placeInWindow(leaf);
        }
        return leaf;
    }

    /**
     * Puts a new leaf in the window. A window that does not reach it is made again over the leaves it holds and
     * the new one, at least doubling (so that a cache growing leaf by leaf rebuilds it O(log leaves) times) and
     * leaving its spare room on the side it grew to, while it stays at most four times as long as there are
     * leaves: leaves far from those in the window are found in the table alone.
     */
    private void placeInWindow(Leaf leaf) {
        Window w = window;
        long i = leaf.number - w.first;
        if (i >= 0 && i < w.leaves.length()) {
            w.leaves.setRelease((int) i, leaf);
            return;
        }
        long low = leaf.number;
        long high = leaf.number;
        for (int j = 0; j < w.leaves.length(); j++) {
            if (w.leaves.get(j) != null) {
                low = Math.min(low, w.first + j);
                high = Math.max(high, w.first + j);
            }
        }
        long bound = Math.max(MIN_WINDOW, 4L * leaves.size());
        if (high - low >= bound) {
            return;
        }
        long length = Math.min(bound, Math.max(high - low + 1, Math.max(MIN_WINDOW, 2L * w.leaves.length())));
        long from = leaf.number == low && high > low ? Math.max(0, high - length + 1) : low; // room where it grew
        Window grown = new Window(from, (int) length);
        leaves.forEach(l -> {
            if (l.number >= from && l.number - from < length) {
                grown.leaves.set((int) (l.number - from), l);
            }
        });
        window = grown;
    }

    /** Registers {@code s}, made on {@link #leafFor}'s leaf, and gives it an empty word; the lock is held. */
    void add(QuantumCache.Slab s) {
        s.leaf.slabs[s.slot] = s;
        s.leaf.live++;
        set(s.leaf.words, s.slot, 0);
    }

    /** Unregisters {@code s}, whose word is retired; drops its leaf if it was the last. The lock is held. */
    void remove(QuantumCache.Slab s) {
        s.leaf.slabs[s.slot] = null;
        if (--s.leaf.live == 0) {
            leaves.remove(s.leaf);
            Window w = window;
            long i = s.leaf.number - w.first;
            if (i >= 0 && i < w.leaves.length()) {
                w.leaves.setRelease((int) i, null);
            }
        }
    }

    /**
     * The invariant check of the index of {@code cache}, whose live slabs are {@code slabs}: each live slab's
     * word and only theirs, each leaf's count, and the window. The lock is held.
     */
    void check(String cache, List<QuantumCache.Slab> slabs, List<String> problems) {
        int[] registered = {0};
        leaves.forEach(leaf -> {
            int live = 0;
            for (int j = 0; j < LEAF_SLOTS; j++) {
                QuantumCache.Slab s = leaf.slabs[j];
                long n = s == null ? -1 : number(s.base);
                if (s == null ? word(leaf.words, j) != QuantumCache.RETIRED
                        : s.leaf != leaf || s.slot != j || leaf(n) != leaf || slot(n) != j) {
                    problems.add(cache + ": index leaf " + leaf.number + " word " + j + " is " + (s == null
                            ? "in use (" + Long.toHexString(word(leaf.words, j)) + ") with no slab"
                            : "another slab's (" + s.base + ")"));
                }
                live += s == null ? 0 : 1;
            }
            if (live != leaf.live || live == 0) {
                problems.add(cache + ": index leaf " + leaf.number + " counts " + leaf.live + " slabs and holds " + live);
            }
            registered[0] += live;
        });
        for (QuantumCache.Slab s : slabs) {
            if (slab(number(s.base)) != s) {
                problems.add("cache slab at " + s.base + " is missing from its cache's index");
            }
        }
        checkWindow(cache, problems);
        if (registered[0] != slabs.size()) {
            problems.add(cache + ": the index holds " + registered[0] + " slabs, the cache " + slabs.size());
        }
    }

    /** The window's part of the invariant check: it holds each leaf of its range, at its place, and no other. */
    private void checkWindow(String cache, List<String> problems) {
        Window w = window;
        int held = 0;
        for (int i = 0; i < w.leaves.length(); i++) {
            Leaf leaf = w.leaves.get(i);
            if (leaf != null && (leaf.number != w.first + i || leaves.get(leaf.number) != leaf)) {
                problems.add(cache + ": index window place " + (w.first + i) + " holds leaf " + leaf.number
                        + (leaves.get(leaf.number) != leaf ? ", which is not in the index" : ""));
            }
            held += leaf == null ? 0 : 1;
        }
        int[] inRange = {0};
        leaves.forEach(leaf -> inRange[0] += leaf.number - w.first >= 0 && leaf.number - w.first < w.leaves.length() ? 1 : 0);
        if (held != inRange[0]) {
            problems.add(cache + ": index window holds " + held + " leaves of the " + inRange[0] + " in its range");
        }
    }

    static long word(long[] words, int slot) {
        return (long) WORDS.getVolatile(words, slot);
    }

    static boolean cas(long[] words, int slot, long expected, long next) {
        return WORDS.compareAndSet(words, slot, expected, next);
    }

    static void set(long[] words, int slot, long value) {
        WORDS.setVolatile(words, slot, value);
    }
}

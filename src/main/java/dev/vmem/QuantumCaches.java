package dev.vmem;

import java.util.List;
import java.util.TreeSet;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An arena's quantum caches, one per size from 1 to {@code qcacheMax / quantum} quanta, and the table
 * that finds a block's slab from its base. Allocation and free of a cached size take no lock (see
 * {@link QuantumCache}); slabs come from the arena through {@link SlabSupply}, and reaping, closing,
 * the invariant check and the figures run with the arena's lock held.
 */
final class QuantumCaches {
    /** The arena's logger: its warnings are the arena's, whichever class notices. */
    private static final Logger LOG = LoggerFactory.getLogger(Arena.class);

    private final String label;
    private final long quantum;
    private final int quantumShift;
    private final long qcacheMax;
    /** {@code caches[n - 1]} serves n quanta. */
    private final QuantumCache[] caches;
    /** Live slabs by base. */
    final ReadMostlyTable<QuantumCache.Slab> slabTable = new ReadMostlyTable<>(s -> s.base);
    /** The distinct slab alignments of the caches, to find the slab holding a value. */
    private final long[] slabAligns;
    /** Slabs made and given back, each one allocation or free of the segment list; guarded by the lock. */
    private long slabsMade;
    private long slabsRetired;

    QuantumCaches(String label, long quantum, long qcacheMax, SlabSupply supply) {
        this.label = label;
        this.quantum = quantum;
        this.quantumShift = Long.numberOfTrailingZeros(quantum);
        this.qcacheMax = qcacheMax;
        int n = (int) (qcacheMax / quantum);
        int stripes = Integer.highestOneBit(Math.min(64, 2 * Runtime.getRuntime().availableProcessors() - 1)) * 2;
        caches = new QuantumCache[n];
        TreeSet<Long> aligns = new TreeSet<>();
        for (int i = 0; i < n; i++) {
            caches[i] = new QuantumCache(supply, label, quantum, i + 1, stripes);
            aligns.add(caches[i].slabAlign);
        }
        slabAligns = aligns.stream().mapToLong(Long::longValue).toArray();
    }

    /** The cache serving blocks of {@code rounded} values (a multiple of the quantum, at most qcacheMax). */
    QuantumCache cacheFor(long rounded) {
        return caches[(int) (rounded >>> quantumShift) - 1];
    }

    /** A held block of {@code rounded} values, or {@link Arena#NONE}; without a lock. */
    long alloc(long rounded) {
        return cacheFor(rounded).alloc();
    }

    /**
     * Frees {@code base} into its cache if it is a block of a live slab; without a lock.
     *
     * @return false if it is not (the arena's own path then frees it or says why not)
     * @throws InvalidFreeException if it is a block of a slab but not held, or {@code size} differs
     */
    boolean free(long base, long size) {
        if (base < 0 || (base & (quantum - 1)) != 0) {
            return false;
        }
        if (size != Arena.NONE && size <= qcacheMax && cacheFor(Fit.roundUp(size, quantum)).freeIfCached(base)) {
            return true; // the common case, found without the table of slabs
        }
        // Any slab, to refuse a wrong size, or to find the size's own slab retired (the locked path then frees).
        QuantumCache.Slab s = slabHolding(base);
        if (s == null) {
            return false;
        }
        if (size != Arena.NONE && Fit.roundUp(size, quantum) != s.cache.blockSize) {
            throw new InvalidFreeException("free(base=" + base + ", size=" + size + ") in arena '" + label
                    + "': the allocation at base=" + base + " has size=" + s.cache.blockSize);
        }
        return s.cache.free(s, base);
    }

    /**
     * As {@link #free}, with the arena's lock held: a slab made since the lock-free look can hide a
     * cached block only at the slab's base, since any other value inside a slab is in no allocation
     * table. (A slab is in the table before any of its blocks can be taken: {@link QuantumCache#adopt}.)
     */
    boolean freeLocked(long base, long size) {
        return slabTable.get(base) != null && free(base, size);
    }

    /** The live slab with a block at {@code base}, or null. */
    private QuantumCache.Slab slabHolding(long base) {
        for (long align : slabAligns) {
            QuantumCache.Slab s = slabTable.get(base & -align);
            if (s != null && s.cache.blockIndex(s, base) >= 0) {
                return s;
            }
        }
        return null;
    }

    /** Records a slab the arena carved for cache {@code c} at {@code base}; the lock is held. */
    QuantumCache.Slab register(QuantumCache c, long base) {
        QuantumCache.Slab s = c.adopt(base, slabTable::put);
        slabsMade++;
        return s;
    }

    /**
     * Gives every wholly idle slab back through {@code giveBack} (which frees the slab's segment and
     * may throw if the source refuses the span that leaves wholly free; the slab then stays cached and
     * the refusal is logged once). The lock is held. Returns whether any slab went back.
     */
    boolean reap(LongConsumer giveBack) {
        boolean any = false;
        for (QuantumCache c : caches) {
            List<QuantumCache.Slab> idle = c.retireIdle();
            for (QuantumCache.Slab s : idle) {
                try {
                    giveBack.accept(s.base);
                } catch (RuntimeException e) {
                    if (!s.refused) { // once per slab: every failing allocation tries again
                        s.refused = true;
                        LOG.warn("arena '{}' could not give idle cache slab [{}, {}) back: {}", label, s.base, s.end(),
                                e.toString());
                    }
                    c.reinstate(s);
                    continue;
                }
                forget(s);
                any = true;
            }
            if (!idle.isEmpty()) {
                c.dropRetired();
            }
        }
        return any;
    }

    /**
     * Retires every slab for a closing arena and passes each slab's base to {@code discard}, which
     * gives the slab's segment back to the segment list; blocks callers still held count as freed.
     */
    void retireAll(LongConsumer discard) {
        for (QuantumCache c : caches) {
            c.retireAll();
            for (QuantumCache.Slab s : c.slabs()) {
                discard.accept(s.base);
                forget(s);
            }
            c.forgetAll();
        }
    }

    /**
     * Takes idle block {@code i} of live slab {@code s} for a caller (a claim); false if a caller holds it.
     * The lock is held, so the slab is not retired meanwhile.
     */
    boolean take(QuantumCache.Slab s, int i) {
        long bit = 1L << i;
        for (long w = s.word(); w >= 0 && (w & bit) == 0; w = s.word()) {
            if (s.cas(w, w | bit)) {
                s.cache.allocs.increment();
                return true;
            }
        }
        return false;
    }

    /** Retires slab {@code s} if no caller holds a block of it; the lock is held. Undo with {@link #reinstate}. */
    boolean retireIfIdle(QuantumCache.Slab s) {
        return s.word() == 0 && s.cas(0, QuantumCache.RETIRED);
    }

    /** Puts back a slab {@link #retireIfIdle} retired. */
    void reinstate(QuantumCache.Slab s) {
        s.cache.reinstate(s);
    }

    /** Gives a slab {@link #retireIfIdle} retired back to the segment list through {@code discard}. */
    void giveBackRetired(QuantumCache.Slab s, LongConsumer discard) {
        discard.accept(s.base);
        forget(s);
        s.cache.dropRetired();
    }

    /**
     * Turns every slab into the blocks callers hold in it, each then an ordinary allocation of the segment
     * list (claimed through {@code claim}, after {@code discard} gave the slab's segment back): callers'
     * allocations stay as they were and the caches start again empty. Racing lock-free operations find
     * their slab retired and take the locked path. The lock is held.
     */
    void dissolveAll(LongConsumer discard, BlockClaim claim) {
        for (QuantumCache c : caches) {
            for (QuantumCache.Slab s : c.slabs()) {
                long w;
                do {
                    w = s.word();
                } while (!s.cas(w, QuantumCache.RETIRED));
                discard.accept(s.base);
                forget(s);
                for (long held = w & QuantumCache.FULL; held != 0; held &= held - 1) {
                    claim.claim(s.base + Long.numberOfTrailingZeros(held) * c.blockSize, c.blockSize);
                }
                c.allocs.add(-Long.bitCount(w & QuantumCache.FULL)); // the segment list counts them now
            }
            c.dropRetired();
        }
    }

    /** Claims a block of a dissolved slab in the segment list. */
    interface BlockClaim {
        void claim(long base, long size);
    }

    private void forget(QuantumCache.Slab s) {
        slabTable.remove(s);
        s.cache.unregister(s);
        slabsRetired++;
    }

    /** The live slab whose base is {@code base}, or null. */
    QuantumCache.Slab slabAt(long base) {
        return slabTable.get(base);
    }

    /**
     * The callers' figures: {@code engine}'s (where a slab is one allocation) with each slab counted as
     * the blocks callers hold in it, and its idle blocks as cached. The lock is held.
     */
    ArenaStats callersStats(ArenaStats engine) {
        long held = 0;
        long heldValues = 0;
        long cachedAllocs = 0;
        long cachedFrees = 0;
        long slabValues = 0;
        for (QuantumCache c : caches) {
            slabValues += c.slabs().size() * c.slabSize;
            long f = c.frees.sum(); // frees first, so that a racing pair can never make held negative
            long a = c.allocs.sum();
            cachedAllocs += a;
            cachedFrees += f;
            held += a - f;
            heldValues += (a - f) * c.blockSize;
        }
        long callers = engine.allocated() - slabValues + heldValues;
        return new ArenaStats(engine.total(), callers, engine.total() - callers, engine.imported(), engine.spans(),
                engine.segments(), engine.liveAllocations() - slabTable.size() + held,
                engine.allocations() - slabsMade + cachedAllocs, engine.frees() - slabsRetired + cachedFrees,
                engine.failures(), engine.imports(), engine.releases(), slabValues - heldValues);
    }

    /** The caches' part of the invariant check against the allocation table; the lock is held. */
    void check(ArenaEngine engine, List<String> problems) {
        long slabCount = 0;
        for (QuantumCache c : caches) {
            c.checkIndex(problems);
            for (QuantumCache.Slab s : c.slabs()) {
                slabCount++;
                long live = Addresses.liveSize(engine, s.base);
                if (live != c.slabSize) {
                    problems.add("cache slab [" + s.base + ", " + s.end() + ") is " + (live < 0 ? "not a live allocation"
                            : "a live allocation of size " + live));
                }
                if ((s.base & (c.slabAlign - 1)) != 0) {
                    problems.add("cache slab at " + s.base + " is not aligned to " + c.slabAlign);
                }
                if (s.word() < 0) {
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
}

package dev.vmem;

import java.util.ArrayList;
import java.util.List;

/**
 * Claims in an arena that may have quantum caches (without, {@link Claims#claim} does it all). A range that is exactly one cached block is taken from its
 * cache if no caller holds it (refused if one does); a range over slabs no caller holds a block of takes
 * those slabs back into the segment list first (as {@link Arena#reapCaches} would) and claims from there;
 * any other range over a slab is refused, naming the held block it overlaps, or the slab itself if it overlaps
 * only idle blocks of a slab in use (a cache hands out whole blocks: part of one, or several, cannot be taken
 * from it). Runs with the arena's lock held.
 */
final class CacheClaims {
    private CacheClaims() {
    }

    /**
     * Claims {@code [base, base + size)}; {@code caches} is null for an arena without.
     *
     * @return whether the range was taken from a cache
     * @throws IllegalArgumentException if the arguments are bad or the range is not inside one span
     * @throws RangeInUseException      if part of it is held by a caller; nothing changes
     */
    static boolean claim(ArenaEngine e, QuantumCaches caches, long base, long size) {
        if (caches == null) {
            Claims.claim(e, base, size);
            return false;
        }
        Claims.checkArguments(e, "claim", base, size);
        Tag marker = Claims.spanOf(e, "claim", base, size);
        Allocation first = Claims.firstOverlap(e, marker, base, size);
        if (first == null) {
            Claims.claimFree(e, base, size);
            return false;
        }
        QuantumCache.Slab slab = caches.slabAt(first.base());
        if (slab != null && size == slab.cache.blockSize && slab.cache.blockIndex(slab, base) >= 0) {
            if (caches.take(slab, slab.cache.blockIndex(slab, base))) {
                return true;
            }
            throw Claims.inUse(e, "claim", base, size, new Allocation(base, size), "cached block");
        }
        long end = base + size;
        List<QuantumCache.Slab> idle = new ArrayList<>();
        for (Allocation a = first; a != null;
                a = a.end() < end ? Claims.firstOverlap(e, marker, a.end(), end - a.end()) : null) {
            QuantumCache.Slab s = caches.slabAt(a.base());
            if (s == null || !caches.retireIfIdle(s)) {
                idle.forEach(caches::reinstate);
                if (s == null) {
                    throw Claims.inUse(e, "claim", base, size, a, "allocation");
                }
                Allocation held = heldBlock(s, base, end);
                throw held != null ? Claims.inUse(e, "claim", base, size, held, "cached block")
                        : Claims.inUse(e, "claim", base, size, new Allocation(s.base, s.cache.slabSize),
                                "quantum-cache slab (other blocks of it are held; a claim takes one whole idle"
                                + " block of a slab, not part of one or several)");
            }
            idle.add(s);
        }
        for (QuantumCache.Slab s : idle) {
            caches.giveBackRetired(s, e::discardAt);
        }
        Claims.claimFree(e, base, size);
        return false;
    }

    /** The lowest block of slab {@code s} a caller holds within {@code [base, end)}, or null if it holds none there. */
    private static Allocation heldBlock(QuantumCache.Slab s, long base, long end) {
        long w = s.word();
        long size = s.cache.blockSize;
        for (int i = 0; i < QuantumCache.BLOCKS; i++) {
            long at = s.base + i * size;
            if ((w & 1L << i) != 0 && at < end && at + size > base) {
                return new Allocation(at, size);
            }
        }
        return null;
    }
}

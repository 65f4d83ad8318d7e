package dev.vmem;

import java.util.Map;
import java.util.TreeMap;

/**
 * Finds the boundary tag holding a value of a list-form span without walking the span: for
 * {@link Claims}, which must not cost a walk in an arena of a million segments.
 *
 * <p>Why every 8th: each step of the walk is a likely cache miss in a large arena (at 32, a claim at
 * 1,000,000 segments cost some 3 us), while the samples cost about 7 bytes per segment (a sorted-map
 * entry per 8 tags). Why a sample and not an index of every segment: keeping an ordered index current would put a
 * sorted-map update on every carve and coalesce, the hot path of alloc and free (an INSTANT_FIT pair
 * costs some 55 ns). Instead the index holds every {@value #STRIDE}th tag a lookup walked past, keyed by
 * base, and alloc and free never touch it. That is sound because a tag's base never changes and every
 * tag that leaves the list is unlinked ({@code prev == null}): a lookup starts at the highest linked
 * sample at or below the value (dropping stale ones it meets) and walks forward. A lookup therefore
 * walks at most {@value #STRIDE} tags plus those made near the value since a lookup last passed there;
 * the first lookup in a span walks up to the value once and leaves samples behind. Stale samples are
 * dropped when met, and all of them when they outnumber the tags the samples could cover.
 *
 * <p>Runs with the arena's lock held.
 */
final class AddressIndex {
    static final int STRIDE = 8;

    private final TreeMap<Long, Tag> samples = new TreeMap<>();

    /**
     * The tag of the span after {@code marker} (in list form) whose range holds {@code value}, a value of
     * that span; {@code segments} is the engine's segment count, which bounds how many samples are kept.
     */
    Tag holding(Tag marker, long value, long segments) {
        if (samples.size() > 2 * (segments / STRIDE) + 1024) {
            samples.clear(); // mostly stale after heavy churn: cheaper to sample again than to keep them
        }
        Tag t = marker;
        for (Map.Entry<Long, Tag> s = samples.floorEntry(value); s != null && s.getKey() > marker.base;
                s = samples.lowerEntry(s.getKey())) {
            if (s.getValue().prev != null) {
                t = s.getValue();
                break;
            }
            samples.remove(s.getKey());
        }
        int steps = 0;
        while (t.isSpan() || t.end() <= value) {
            t = t.next;
            if (++steps % STRIDE == 0) {
                samples.put(t.base, t);
            }
        }
        assert t.base <= value && !t.isSpan() : t + " " + value;
        return t;
    }

    /** Samples held, stale ones included; for tests. */
    int size() {
        return samples.size();
    }
}

package dev.vmem;

import java.util.Map;
import java.util.TreeMap;

/**
 * The address-ordered list of span markers and segments. Each span marker is followed by the segments
 * that tile its span. The list is circular through a sentinel, so insertion and removal never test for
 * an end. Spans are also indexed by base, so adding a span finds its place and its neighbours in
 * O(log spans) rather than by walking the segments.
 */
final class SegmentList {
    /** Sentinel: {@code sentinel.next} is the lowest span marker, {@code sentinel.prev} the last segment. */
    final Tag sentinel = new Tag(Tag.SPAN, -1, 0);
    private final TreeMap<Long, Tag> spans = new TreeMap<>();

    SegmentList() {
        sentinel.next = sentinel;
        sentinel.prev = sentinel;
    }

    Tag first() {
        return sentinel.next;
    }

    /** The span that overlaps {@code [base, base + size)}, or null. */
    Tag overlappingSpan(long base, long size) {
        Map.Entry<Long, Tag> below = spans.floorEntry(base);
        if (below != null && below.getValue().end() > base) {
            return below.getValue();
        }
        Map.Entry<Long, Tag> above = spans.higherEntry(base);
        if (above != null && above.getKey() - base < size) {
            return above.getValue();
        }
        return null;
    }

    /** The span marker whose span contains {@code value}, or null. */
    Tag spanContaining(long value) {
        Map.Entry<Long, Tag> below = spans.floorEntry(value);
        return below != null && below.getValue().end() > value ? below.getValue() : null;
    }

    /** The span marker with exactly this base, or null. */
    Tag spanAt(long base) {
        return spans.get(base);
    }

    Iterable<Tag> spanMarkers() {
        return spans.values();
    }

    int spanCount() {
        return spans.size();
    }

    int importedSpanCount() {
        int n = 0;
        for (Tag marker : spans.values()) {
            if (marker.type == Tag.IMPORTED_SPAN) {
                n++;
            }
        }
        return n;
    }

    /**
     * Links a span marker and the one free segment covering it. The caller has checked that the span
     * overlaps no other.
     */
    void insertSpan(Tag marker, Tag free) {
        Map.Entry<Long, Tag> higher = spans.higherEntry(marker.base);
        Tag before = higher == null ? sentinel : higher.getValue();
        insertBefore(marker, before);
        insertBefore(free, before);
        spans.put(marker.base, marker);
    }

    /** Links a span marker at the end of the list; for bulk loading spans in address order. */
    void appendSpan(Tag marker) {
        insertBefore(marker, sentinel);
        spans.put(marker.base, marker);
    }

    /** Unlinks a span marker and the one segment covering its span. */
    void removeSpan(Tag marker) {
        Tag only = marker.next;
        assert !only.isSpan() && only.base == marker.base && only.size == marker.size : only;
        unlink(only);
        unlink(marker);
        spans.remove(marker.base);
    }

    /** Unlinks a span marker whose segments have been unlinked already. */
    void removeMarker(Tag marker) {
        unlink(marker);
        spans.remove(marker.base);
    }

    static void insertBefore(Tag t, Tag before) {
        t.next = before;
        t.prev = before.prev;
        before.prev.next = t;
        before.prev = t;
    }

    static void insertAfter(Tag t, Tag after) {
        insertBefore(t, after.next);
    }

    static void unlink(Tag t) {
        t.prev.next = t.next;
        t.next.prev = t.prev;
        t.prev = null;
        t.next = null;
    }
}

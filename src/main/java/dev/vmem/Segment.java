package dev.vmem;

/**
 * One entry of an arena's walk, in address order: a span marker followed by the segments that tile it.
 *
 * @param base first value of the range
 * @param size number of values in the range, {@code end() = base + size}
 * @param kind what the range is
 */
public record Segment(long base, long size, Kind kind) {

    /** What a walked range is. */
    public enum Kind {
        /** A span added with {@link Arena#addSpan}. */
        SPAN,
        /** A span imported from the arena's source. */
        IMPORTED_SPAN,
        /** A free segment inside a span. */
        FREE,
        /** A live allocation inside a span. */
        ALLOCATED,
        /**
         * Idle blocks of a quantum cache: free to allocations of the cache's size, held by the cache
         * (see {@link Arena.Builder#qcacheMax}).
         */
        CACHED,
        /**
         * A freed block the arena holds back from reuse until its quarantine is over (see
         * {@link Arena.Builder#quarantine(Quarantine)}): neither a caller's nor free to allocate.
         */
        QUARANTINED;

        /** Whether this entry marks a span rather than a segment inside one. */
        public boolean isSpan() {
            return this == SPAN || this == IMPORTED_SPAN;
        }
    }

    /** The first value after the range. */
    public long end() {
        return base + size;
    }
}

package dev.vmem;

/**
 * A boundary tag: one node of the segment list, describing a span marker, a free segment or an
 * allocated segment. A free tag is also on a freelist ({@link #lprev}/{@link #lnext}); an allocated tag
 * is also on an allocation-table chain ({@link #lnext}). Sharing the two link fields keeps a tag at
 * 48 bytes with compressed references.
 */
class Tag {
    static final byte SPAN = 0;
    static final byte IMPORTED_SPAN = 1;
    static final byte FREE = 2;
    static final byte ALLOCATED = 3;
    /** The one tag after the marker of a span in dense form: a {@link DenseTag}. */
    static final byte DENSE = 4;

    long base;
    long size;
    byte type;
    /**
     * An ALLOCATED tag of a block in reuse quarantine (see {@code QuarantineQueue}). Fits in the padding of
     * the 48 bytes a tag takes anyway.
     */
    boolean quarantined;
    /** Neighbours in the address-ordered segment list (circular, through a sentinel). */
    Tag prev;
    Tag next;
    /** Freelist neighbours (FREE) or the allocation-table chain (ALLOCATED, {@code lnext} only). */
    Tag lprev;
    Tag lnext;

    Tag(byte type, long base, long size) {
        this.type = type;
        this.base = base;
        this.size = size;
    }

    long end() {
        return base + size;
    }

    boolean isSpan() {
        return type <= IMPORTED_SPAN;
    }

    Segment.Kind kind() {
        switch (type) {
            case SPAN:
                return Segment.Kind.SPAN;
            case IMPORTED_SPAN:
                return Segment.Kind.IMPORTED_SPAN;
            case FREE:
                return Segment.Kind.FREE;
            case ALLOCATED:
                return Segment.Kind.ALLOCATED;
            default: // a dense span has segments, not a kind; its tag never reaches a caller
                throw new IllegalStateException("tag type " + type + " at 0x" + Long.toHexString(base) + " has no kind");
        }
    }

    @Override
    public String toString() {
        String name = type <= ALLOCATED ? kind().toString() : type == DENSE ? "DENSE" : "TYPE" + type;
        return name + "[0x" + Long.toHexString(base) + ", 0x" + Long.toHexString(base + size) + ")";
    }
}

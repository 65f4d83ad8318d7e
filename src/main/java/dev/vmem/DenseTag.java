package dev.vmem;

/**
 * The segment-list node standing for a whole span in dense form: it follows the span's marker, covers
 * the span, and holds the span's segments as bitmaps. Walks of the list meet it in address order where
 * they would meet those segments, and ask it instead.
 */
final class DenseTag extends Tag {
    final DenseSpan bits;
    /** Fewer live allocations than this move the span back to boundary tags (the rule's, worked out once). */
    final long leaveBelow;
    /** Whether the span was imported: freeing its last allocation gives it back to the source. */
    final boolean imported;
    /**
     * One-quantum operations left before {@link DenseRule#leaves} could change its answer; the rule is asked
     * again when this reaches 0, and a longer allocation or free sets it to 0 (see {@link SpanForms}).
     */
    long untilRuleCheck;

    DenseTag(DenseSpan bits, long leaveBelow, boolean imported) {
        super(DENSE, bits.base, bits.end() - bits.base);
        this.bits = bits;
        this.leaveBelow = leaveBelow;
        this.imported = imported;
    }
}

package dev.vmem;

import java.util.List;

/**
 * The operations every vmem arena offers, in memory ({@link Arena}) or persistent (the store's arenas),
 * with one contract: see {@link Arena} for each method's behaviour and failures.
 */
public interface VmemArena {

    /** The arena's name. */
    String label();

    /** The granularity of every allocation, a power of two. */
    long quantum();

    /** @see Arena#addSpan */
    void addSpan(long base, long size);

    /** @see Arena#alloc */
    long alloc(long size, Policy policy);

    /** @see Arena#tryAlloc */
    long tryAlloc(long size, Policy policy);

    /** @see Arena#xalloc */
    long xalloc(Constraints constraints, Policy policy);

    /** @see Arena#tryXalloc */
    long tryXalloc(Constraints constraints, Policy policy);

    /** @see Arena#free(long) */
    void free(long base);

    /** @see Arena#free(long, long) */
    void free(long base, long size);

    /** @see Arena#contains */
    boolean contains(long value);

    /** @see Arena#stats */
    ArenaStats stats();

    /** @see Arena#nextFitCursor */
    long nextFitCursor();

    /** @see Arena#segments */
    List<Segment> segments();

    /** @see Arena#dump */
    String dump();

    /** @see Arena#checkInvariants */
    List<String> checkInvariants();
}

package dev.vmem.testing;

import dev.vmem.Segment;
import dev.vmem.VmemArena;
import java.util.List;

/**
 * Segments as a test expects them in an arena's walk ({@link VmemArena#segments()}), named by kind so
 * that an expected walk reads like the arena's dump.
 */
public final class Segments {
    private Segments() {
    }

    /** A span added to the arena. */
    public static Segment span(long base, long size) {
        return new Segment(base, size, Segment.Kind.SPAN);
    }

    /** A span imported from the arena's source. */
    public static Segment importedSpan(long base, long size) {
        return new Segment(base, size, Segment.Kind.IMPORTED_SPAN);
    }

    /** A free segment. */
    public static Segment free(long base, long size) {
        return new Segment(base, size, Segment.Kind.FREE);
    }

    /** An allocated block. */
    public static Segment allocated(long base, long size) {
        return new Segment(base, size, Segment.Kind.ALLOCATED);
    }

    /** The segments of {@code kind} in {@code arena}'s walk, in address order. */
    public static List<Segment> ofKind(VmemArena arena, Segment.Kind kind) {
        return arena.segments().stream().filter(s -> s.kind() == kind).toList();
    }

    /** The total size of the segments of {@code kind} in {@code arena}'s walk. */
    public static long sizeOf(VmemArena arena, Segment.Kind kind) {
        return ofKind(arena, kind).stream().mapToLong(Segment::size).sum();
    }
}

package dev.vmem.testing;

import dev.vmem.VmemArena;

/**
 * The dumps of several arenas as one string. A hierarchy changes in more than one arena at a time, so
 * a test that compares "before" with "after", or explains a failure, needs all of them together.
 */
public final class Dumps {
    private Dumps() {
    }

    /** Each arena's {@link VmemArena#dump()}, in the order given. */
    public static String of(VmemArena... arenas) {
        StringBuilder sb = new StringBuilder();
        for (VmemArena a : arenas) {
            sb.append(a.dump());
        }
        return sb.toString();
    }
}

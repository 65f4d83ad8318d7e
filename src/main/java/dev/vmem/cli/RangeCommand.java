package dev.vmem.cli;

import dev.vmem.store.PersistentArena;
import dev.vmem.store.VmemStore;
import picocli.CommandLine.Parameters;

/** A change to the range {@code [BASE, BASE + SIZE)} of arena NAME: the parameters and the run, shared. */
abstract class RangeCommand extends WritingCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", paramLabel = "BASE", converter = Numbers.class)
    long base;

    @Parameters(index = "2", paramLabel = "SIZE", converter = Numbers.class)
    long size;

    /** Applies the change to {@code arena}; its exceptions are the command's failures. */
    abstract void apply(PersistentArena arena, long base, long size);

    @Override
    final int run(VmemStore store) {
        apply(store.arena(name), base, size);
        return 0;
    }
}

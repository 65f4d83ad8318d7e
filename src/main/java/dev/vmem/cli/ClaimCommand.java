package dev.vmem.cli;

import dev.vmem.store.VmemStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "claim", description = {"Allocate exactly [BASE, BASE+SIZE) if all of it is free (to restore an ID "
        + "or pin an address); freed like any allocation.",
        "Exits 3 naming the live allocation it overlaps, or 2 if it lies outside every span or is not aligned."})
final class ClaimCommand extends WritingCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", paramLabel = "BASE", converter = Numbers.class)
    long base;

    @Parameters(index = "2", paramLabel = "SIZE", converter = Numbers.class)
    long size;

    @Override
    int run(VmemStore store) {
        store.arena(name).claim(base, size);
        return 0;
    }
}

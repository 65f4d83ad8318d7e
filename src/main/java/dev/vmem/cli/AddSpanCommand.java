package dev.vmem.cli;

import dev.vmem.store.VmemStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "add-span", description = "Give an arena the range [BASE, BASE + SIZE).")
final class AddSpanCommand extends WritingCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", paramLabel = "BASE", converter = Numbers.class)
    long base;

    @Parameters(index = "2", paramLabel = "SIZE", converter = Numbers.class)
    long size;

    @Override
    int run(VmemStore store) {
        store.arena(name).addSpan(base, size);
        return 0;
    }
}

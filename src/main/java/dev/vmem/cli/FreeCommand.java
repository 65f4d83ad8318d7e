package dev.vmem.cli;

import dev.vmem.store.PersistentArena;
import dev.vmem.store.VmemStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "free", description = "Free the allocation that starts at BASE.")
final class FreeCommand extends WritingCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", paramLabel = "BASE", converter = Numbers.class)
    long base;

    @Option(names = "--size", paramLabel = "S", converter = Numbers.class,
            description = "Check that the allocation has this size.")
    Long size;

    @Override
    int run(VmemStore store) {
        PersistentArena arena = store.arena(name);
        if (size == null) {
            arena.free(base);
        } else {
            arena.free(base, size);
        }
        return 0;
    }
}

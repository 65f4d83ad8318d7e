package dev.vmem.cli;

import dev.vmem.ArenaStats;
import dev.vmem.store.PersistentArena;
import dev.vmem.store.VmemStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "drop", description = {
        "Drop an arena, as one unit: the spans it imported go back to its source, its contents are discarded.",
        "Refused while another arena imports from it, and while it holds live allocations unless --force says so.",
        "",
        "Example: vmem drop scratch --force"})
final class DropCommand extends WritingCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Option(names = "--force", description = "Drop it even though it holds live allocations (they are discarded).")
    boolean force;

    @Override
    int run(VmemStore store) {
        // The check and the drop are one unit: nothing can allocate in between, and a refusal changes nothing.
        store.batch(() -> {
            PersistentArena arena = store.arena(name);
            ArenaStats stats = arena.stats();
            // An arena others import from is refused by the store itself, with or without --force: say that first.
            boolean isSource = store.arenas().stream().anyMatch(a -> name.equals(a.sourceName()));
            if (!isSource && stats.liveAllocations() > 0 && !force) {
                throw new IllegalArgumentException("arena '" + name + "' holds " + stats.liveAllocations()
                        + " live allocation(s) of " + stats.allocated() + " value(s); drop --force discards them");
            }
            store.dropArena(name);
        });
        return 0;
    }
}

package dev.vmem.cli;

import dev.vmem.ArenaStats;
import dev.vmem.store.PersistentArena;
import dev.vmem.store.VmemStore;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

@Command(name = "list", description = "One line per arena: name, quantum, source, total, allocated, free.")
final class ListCommand extends StoreCommand {
    @Override
    int run(VmemStore store) {
        PrintWriter out = root.out();
        out.printf("%-20s %10s %-20s %20s %20s %20s%n", "NAME", "QUANTUM", "SOURCE", "TOTAL", "ALLOCATED", "FREE");
        for (PersistentArena a : store.arenas()) {
            ArenaStats s = a.stats();
            String source = a.sourceName();
            out.printf("%-20s %10d %-20s %20d %20d %20d%n", a.name(), a.quantum(), source == null ? "-" : source,
                    s.total(), s.allocated(), s.free());
        }
        return 0;
    }
}

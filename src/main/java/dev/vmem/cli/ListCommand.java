package dev.vmem.cli;

import dev.vmem.ArenaStats;
import dev.vmem.store.PersistentArena;
import dev.vmem.store.VmemStore;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "list", description = "One line per arena: name, quantum, source, total, allocated, free (and its reuse quarantine, if any arena has one).")
final class ListCommand extends ReadingCommand {
    @Option(names = "--json", description = "Print JSON: {\"arenas\": [{name, quantum, source, total, allocated, free, quarantine}]}.")
    boolean json;

    @Override
    int run(VmemStore store) {
        PrintWriter out = root.out();
        if (json) {
            Json j = new Json().beginObject().beginArray("arenas");
            for (PersistentArena a : store.arenas()) {
                ArenaStats s = a.stats();
                j.beginObject().field("name", a.name()).field("quantum", a.quantum()).field("source", a.sourceName())
                        .field("total", s.total()).field("allocated", s.allocated()).field("free", s.free());
                StatsCommand.quarantine(j, a).endObject();
            }
            out.println(j.endArray().endObject());
            return 0;
        }
        // The QUARANTINE column only when an arena has one: the six columns stay as they were for the others.
        boolean any = store.arenas().stream().anyMatch(a -> a.quarantine().isActive());
        out.printf("%-20s %10s %-20s %20s %20s %20s%s%n", "NAME", "QUANTUM", "SOURCE", "TOTAL", "ALLOCATED", "FREE",
                any ? "  QUARANTINE" : "");
        for (PersistentArena a : store.arenas()) {
            ArenaStats s = a.stats();
            String source = a.sourceName();
            out.printf("%-20s %10d %-20s %20d %20d %20d%s%n", a.name(), a.quantum(), source == null ? "-" : source,
                    s.total(), s.allocated(), s.free(), any ? "  " + StatsCommand.rule(a) : "");
        }
        return 0;
    }
}

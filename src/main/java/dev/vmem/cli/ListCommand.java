package dev.vmem.cli;

import dev.vmem.ArenaStats;
import dev.vmem.store.PersistentArena;
import dev.vmem.store.VmemStore;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "list", description = "One line per arena: name, quantum, source, total, allocated, free.")
final class ListCommand extends ReadingCommand {
    @Option(names = "--json", description = "Print JSON: {\"arenas\": [{name, quantum, source, total, allocated, free}]}.")
    boolean json;

    @Override
    int run(VmemStore store) {
        PrintWriter out = root.out();
        if (json) {
            Json j = new Json().beginObject().beginArray("arenas");
            for (PersistentArena a : store.arenas()) {
                ArenaStats s = a.stats();
                j.beginObject().field("name", a.name()).field("quantum", a.quantum()).field("source", a.sourceName())
                        .field("total", s.total()).field("allocated", s.allocated()).field("free", s.free()).endObject();
            }
            out.println(j.endArray().endObject());
            return 0;
        }
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

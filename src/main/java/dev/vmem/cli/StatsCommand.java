package dev.vmem.cli;

import dev.vmem.ArenaStats;
import dev.vmem.store.PersistentArena;
import dev.vmem.store.VmemStore;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "stats", description = "Space figures and counters of one arena, or of every arena.")
final class StatsCommand extends StoreCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME")
    String name;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    int run(VmemStore store) {
        List<PersistentArena> arenas = name == null ? store.arenas() : List.of(store.arena(name));
        PrintWriter out = root.out();
        if (json) {
            Json j = new Json().beginObject().beginArray("arenas");
            for (PersistentArena a : arenas) {
                j.beginObject().field("name", a.name()).field("quantum", a.quantum()).field("source", a.sourceName());
                fields(j, a.stats()).field("cursor", a.nextFitCursor()).endObject();
            }
            out.println(j.endArray().endObject());
            return 0;
        }
        for (PersistentArena a : arenas) {
            ArenaStats s = a.stats();
            out.printf("%s: total=%d allocated=%d free=%d imported=%d spans=%d segments=%d live=%d "
                            + "allocations=%d frees=%d failures=%d imports=%d releases=%d cursor=%d%n",
                    a.name(), s.total(), s.allocated(), s.free(), s.imported(), s.spans(), s.segments(),
                    s.liveAllocations(), s.allocations(), s.frees(), s.failures(), s.imports(), s.releases(),
                    a.nextFitCursor());
        }
        return 0;
    }

    static Json fields(Json j, ArenaStats s) {
        return j.field("total", s.total()).field("allocated", s.allocated()).field("free", s.free())
                .field("imported", s.imported()).field("spans", s.spans()).field("segments", s.segments())
                .field("live", s.liveAllocations()).field("allocations", s.allocations()).field("frees", s.frees())
                .field("failures", s.failures()).field("imports", s.imports()).field("releases", s.releases());
    }
}

package dev.vmem.cli;

import dev.vmem.ArenaStats;
import dev.vmem.Quarantine;
import dev.vmem.store.PersistentArena;
import dev.vmem.store.VmemStore;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "stats", description = "Space figures and counters of one arena, or of every arena.")
final class StatsCommand extends ReadingCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME")
    String name;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Option(names = "--fragmentation", description = "Also the free space's shape: largest free extent, and free "
            + "extents by power of two (count and values).")
    boolean fragmentation;

    @Option(names = "--request", paramLabel = "SIZE", converter = Numbers.class, description = "With "
            + "--fragmentation: the share of free space in extents too small for a block of SIZE values.")
    long request;

    @Override
    int run(VmemStore store) {
        if (request < 0 || request > 0 && !fragmentation) {
            throw new IllegalArgumentException("--request=" + request + " needs --fragmentation and a size of at"
                    + " least 1");
        }
        List<PersistentArena> arenas = name == null ? store.arenas() : List.of(store.arena(name));
        PrintWriter out = root.out();
        if (json) {
            Json j = new Json().beginObject().beginArray("arenas");
            for (PersistentArena a : arenas) {
                j.beginObject().field("name", a.name()).field("quantum", a.quantum()).field("source", a.sourceName());
                quarantine(fields(j, a.stats()).field("cursor", a.nextFitCursor()), a);
                if (fragmentation) {
                    Fragmentation f = Fragmentation.of(a.segments(), request);
                    j.object("fragmentation").field("largest_free", f.largest()).field("request", request)
                            .field("too_small", f.tooSmall()).beginArray("by_order");
                    for (int k = 0; k <= f.topOrder(); k++) {
                        j.beginObject().field("order", k).field("count", f.counts()[k]).field("values", f.sizes()[k])
                                .endObject();
                    }
                    j.endArray().endObject();
                }
                j.endObject();
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
            if (a.quarantine().isActive()) {
                out.printf("  quarantined=%d quarantine=%s%n", s.quarantined(), rule(a));
            }
            if (fragmentation) {
                Fragmentation f = Fragmentation.of(a.segments(), request);
                out.printf("  largest free extent %d of %d free values%s%n", f.largest(), f.free(), request > 0
                        ? "; " + f.tooSmallPercent() + "% of free values are in extents smaller than " + request : "");
                out.printf("  %-22s %12s %20s%n", "FREE EXTENT SIZE", "COUNT", "VALUES");
                for (int k = 0; k <= f.topOrder(); k++) {
                    out.printf("  %-22s %12d %20d%n", "[2^" + k + ", 2^" + (k + 1) + ")", f.counts()[k], f.sizes()[k]);
                }
            }
        }
        return 0;
    }

    /** The arena's quarantine as text: {@code 2000ms}, {@code 1024frees}, {@code 2000ms+1024frees}, or {@code -}. */
    static String rule(PersistentArena a) {
        Quarantine q = a.quarantine();
        String delay = q.delay().isZero() ? "" : q.delayMillis() + "ms";
        String frees = q.frees() == 0 ? "" : q.frees() + "frees";
        return !q.isActive() ? "-" : delay.isEmpty() || frees.isEmpty() ? delay + frees : delay + "+" + frees;
    }

    /** Adds the arena's quarantine: {@code "quarantine": {"delay_ms", "frees"}}, or nothing without one. */
    static Json quarantine(Json j, PersistentArena a) {
        Quarantine q = a.quarantine();
        return !q.isActive() ? j : j.object("quarantine").field("delay_ms", q.delayMillis()).field("frees", q.frees())
                .endObject();
    }

    static Json fields(Json j, ArenaStats s) {
        return j.field("total", s.total()).field("allocated", s.allocated()).field("free", s.free())
                .field("quarantined", s.quarantined())
                .field("imported", s.imported()).field("spans", s.spans()).field("segments", s.segments())
                .field("live", s.liveAllocations()).field("allocations", s.allocations()).field("frees", s.frees())
                .field("failures", s.failures()).field("imports", s.imports()).field("releases", s.releases());
    }
}

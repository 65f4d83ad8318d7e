package dev.vmem.cli;

import dev.vmem.Segment;
import dev.vmem.store.PersistentArena;
import dev.vmem.store.VmemStore;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "dump", description = "Every span and segment in address order: start, size, type.")
final class DumpCommand extends ReadingCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    static String type(Segment s) {
        return s.kind().isSpan() ? "span" : s.kind() == Segment.Kind.FREE ? "free"
                : s.kind() == Segment.Kind.QUARANTINED ? "quarantined" : "allocated";
    }

    @Override
    int run(VmemStore store) {
        PersistentArena arena = store.arena(name);
        PrintWriter out = root.out();
        if (json) {
            Json j = new Json().beginObject().field("name", arena.name()).field("quantum", arena.quantum())
                    .field("cursor", arena.nextFitCursor()).beginArray("segments");
            for (Segment s : arena.segments()) {
                j.beginObject().field("start", s.base()).field("size", s.size()).field("type", type(s));
                if (s.kind().isSpan()) {
                    j.field("imported", s.kind() == Segment.Kind.IMPORTED_SPAN);
                }
                j.endObject();
            }
            out.println(j.endArray().endObject());
            return 0;
        }
        out.printf("%-20s %-20s %s%n", "START", "SIZE", "TYPE");
        for (Segment s : arena.segments()) {
            String type = type(s) + (s.kind() == Segment.Kind.IMPORTED_SPAN ? " (imported)" : "");
            out.printf(Locale.ROOT, "%-20d %-20d %s%n", s.base(), s.size(), type);
        }
        return 0;
    }
}

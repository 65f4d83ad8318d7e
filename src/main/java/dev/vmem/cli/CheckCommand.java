package dev.vmem.cli;

import dev.vmem.store.VmemStore;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "check", description = "Invariant and consistency check of the whole store: exit 0 if sound, 1 with "
        + "a report.")
final class CheckCommand extends ReadingCommand {
    @Option(names = "--json", description = "Print JSON: {\"store\", \"sound\", \"arenas\", \"problems\": [...]}; the exit code "
            + "is the same.")
    boolean json;

    @Override
    int run(VmemStore store) {
        long segments = store.arenas().stream().mapToLong(a -> a.stats().segments()).sum();
        List<String> problems;
        try (Progress progress = Progress.start("check", segments)) {
            problems = store.verify(progress::at);
        }
        PrintWriter out = root.out();
        if (json) {
            Json j = new Json().beginObject().field("store", store.directory().toString())
                    .field("sound", problems.isEmpty()).field("arenas", store.arenas().size()).beginArray("problems");
            problems.forEach(j::element);
            out.println(j.endArray().endObject());
            return problems.isEmpty() ? 0 : ExitCode.FAILURE.code;
        }
        if (problems.isEmpty()) {
            out.println("store " + store.directory() + " is sound: " + store.arenas().size() + " arenas checked");
            return 0;
        }
        out.println("store " + store.directory() + " has " + problems.size() + " problems:");
        for (String p : problems) {
            out.println("  " + p);
        }
        return ExitCode.FAILURE.code;
    }
}

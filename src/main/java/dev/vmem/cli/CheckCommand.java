package dev.vmem.cli;

import dev.vmem.store.VmemStore;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "check", description = "Invariant and consistency check of the whole store: exit 0 if sound, 1 with "
        + "a report.")
final class CheckCommand extends StoreCommand {
    @Override
    int run(VmemStore store) {
        long segments = store.arenas().stream().mapToLong(a -> a.stats().segments()).sum();
        List<String> problems;
        try (Progress progress = Progress.start("check", segments)) {
            problems = store.verify(progress::at);
        }
        PrintWriter out = root.out();
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

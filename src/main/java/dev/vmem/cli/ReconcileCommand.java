package dev.vmem.cli;

import dev.vmem.Allocation;
import dev.vmem.ReconcileReport;
import dev.vmem.store.VmemStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "reconcile", description = {"Make the arena's allocations exactly the ranges in FILE, one BASE SIZE "
        + "pair per line (blank lines and lines starting with # are skipped; - reads standard input), as one "
        + "journal unit.",
        "An allocation not named exactly (same base and size) is freed (leaked); a range the arena did not hold "
                + "exactly is claimed (lost). Prints how many of each, and the first few."})
final class ReconcileCommand extends WritingCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Option(names = "--from", paramLabel = "FILE", required = true, description = "The ranges in use ('-': stdin).")
    Path from;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Override
    int run(VmemStore store) {
        List<Allocation> live = read();
        ReconcileReport r = store.arena(name).reconcile(live);
        PrintWriter out = root.out();
        if (json) {
            Json j = new Json().beginObject().field("arena", name).field("ranges", live.size())
                    .field("leaked", r.leaked()).field("leakedValues", r.leakedValues());
            list(j, "firstLeaked", r.firstLeaked()).field("lost", r.lost()).field("lostValues", r.lostValues());
            out.println(list(j, "firstLost", r.firstLost()).endObject());
        } else {
            out.println(line("leaked", r.leaked(), r.leakedValues(), "freed", r.firstLeaked()));
            out.println(line("lost", r.lost(), r.lostValues(), "claimed", r.firstLost()));
        }
        return 0;
    }

    private static Json list(Json j, String field, List<Allocation> ranges) {
        j.beginArray(field);
        for (Allocation a : ranges) {
            j.beginObject().field("base", a.base()).field("size", a.size()).endObject();
        }
        return j.endArray();
    }

    private static String line(String what, long count, long values, String done, List<Allocation> first) {
        StringBuilder sb = new StringBuilder(what + " " + count + " (" + values + " values)");
        if (count > 0) {
            sb.append(", ").append(done).append(": ");
            for (int i = 0; i < first.size(); i++) {
                sb.append(i == 0 ? "" : " ").append(first.get(i));
            }
            sb.append(count > first.size() ? " ..." : "");
        }
        return sb.toString();
    }

    /** The file's ranges; a line that is not two numbers, or not a range, is refused naming its number. */
    private List<Allocation> read() {
        String where = from.toString().equals("-") ? "standard input" : from.toString();
        List<Allocation> live = new ArrayList<>();
        try (BufferedReader in = from.toString().equals("-")
                ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                : Files.newBufferedReader(from, StandardCharsets.UTF_8)) {
            int n = 0;
            for (String text = in.readLine(); text != null; text = in.readLine()) {
                n++;
                String t = text.strip();
                if (t.isEmpty() || t.startsWith("#")) {
                    continue;
                }
                String[] words = t.split("\\s+");
                try {
                    if (words.length != 2) {
                        throw new IllegalArgumentException("expected BASE SIZE");
                    }
                    live.add(new Allocation(Numbers.parse(words[0]), Numbers.parse(words[1])));
                } catch (IllegalArgumentException | CommandLine.TypeConversionException e) {
                    throw new IllegalArgumentException(where + " line " + n + " '" + t + "': " + e.getMessage(), e);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + where + ": " + e.getMessage(), e);
        }
        return live;
    }
}

package dev.vmem.cli;

import dev.vmem.store.PersistentArena;
import dev.vmem.store.VmemStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "map", description = {"Write an SVG picture of an arena's address space: spans, allocated and free "
        + "runs, fragmentation.",
        "One band per span with a hex address axis; hovering over a run shows its kind, base, end and size. Nothing "
                + "is drawn thinner than " + SvgMap.MIN_WIDTH + " px, so one value in a huge span still shows."})
final class MapCommand extends ReadingCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Option(names = "--out", required = true, paramLabel = "FILE.svg")
    Path out;

    @Override
    int run(VmemStore store) throws Exception {
        PersistentArena arena = store.arena(name);
        String svg = SvgMap.render(arena.name(), arena.quantum(), arena.stats(), arena.segments());
        Files.writeString(out, svg, StandardCharsets.UTF_8);
        root.out().println("wrote " + out);
        return 0;
    }
}

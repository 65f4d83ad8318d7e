package dev.vmem.cli;

import dev.vmem.Quarantine;
import dev.vmem.store.ArenaDefinition;
import dev.vmem.store.PersistentArena;
import dev.vmem.store.VmemStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "create", description = "Create an arena (and the store, if missing), with its spans, as one unit.")
final class CreateCommand extends WritingCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Option(names = "--quantum", required = true, paramLabel = "Q", converter = Numbers.class,
            description = "Granularity of every allocation, a power of two.")
    long quantum;

    @Option(names = "--span", paramLabel = "BASE:SIZE", converter = Numbers.Span.class,
            description = "A span to add; may be repeated.")
    List<long[]> spans = new ArrayList<>();

    @Option(names = "--source", paramLabel = "ARENA", description = "An arena of the same store to import from.")
    String source;

    @Option(names = "--import-quantum", paramLabel = "N", converter = Numbers.class,
            description = "Least an import asks for (default: the quantum).")
    long importQuantum;

    @Option(names = "--qcache-max", paramLabel = "N", converter = Numbers.class,
            description = "Quantum-cache limit kept in the definition (default 0). A persistent arena serves "
                    + "every request from its segment list, so that the journal holds exactly the callers' "
                    + "allocations.")
    long qcacheMax;

    @Option(names = "--quarantine", paramLabel = "DURATION", converter = Durations.class,
            description = "Hold every freed block back from reuse for at least DURATION (500ms, 2s, 1h), across "
                    + "restarts too.")
    Duration quarantineDelay;

    @Option(names = "--quarantine-frees", paramLabel = "N", converter = Numbers.class,
            description = "Hold every freed block back until at least N later frees (with --quarantine: both).")
    Long quarantineFrees;

    /** The quarantine the options give: each bound given must be positive (the rule's own message says so). */
    Quarantine quarantine() {
        Quarantine q = Quarantine.NONE;
        q = quarantineDelay == null ? q : q.withDelay(quarantineDelay);
        return quarantineFrees == null ? q : q.withFrees(quarantineFrees);
    }

    ArenaDefinition definition() {
        return new ArenaDefinition(name, quantum, source, importQuantum, qcacheMax, quarantine());
    }

    @Override
    boolean createsStore() {
        return true;
    }

    /** Rejects a bad definition or span before any file is touched (names and sources need the store). */
    @Override
    void validate() {
        definition().validate();
        // The spans, against a scratch arena of the definition: the same checks the store will make.
        dev.vmem.Arena.Builder b = dev.vmem.Arena.builder(name).quantum(quantum).importQuantum(importQuantum);
        for (long[] span : spans) {
            b.span(span[0], span[1]);
        }
        b.build();
    }

    @Override
    int run(VmemStore store) {
        store.batch(() -> {
            PersistentArena arena = store.createArena(definition());
            for (long[] span : spans) {
                arena.addSpan(span[0], span[1]);
            }
        });
        return 0;
    }
}

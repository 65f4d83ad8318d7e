package dev.vmem.cli;

import dev.vmem.store.PersistentArena;
import picocli.CommandLine.Command;

@Command(name = "claim", description = {"Allocate exactly [BASE, BASE+SIZE) if all of it is free (to restore an ID "
        + "or pin an address); freed like any allocation.",
        "Exits 3 naming the live allocation it overlaps, or 2 if it lies outside every span or is not aligned."})
final class ClaimCommand extends RangeCommand {
    @Override
    void apply(PersistentArena arena, long base, long size) {
        arena.claim(base, size);
    }
}

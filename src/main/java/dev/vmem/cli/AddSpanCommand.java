package dev.vmem.cli;

import dev.vmem.store.PersistentArena;
import picocli.CommandLine.Command;

@Command(name = "add-span", description = "Give an arena the range [BASE, BASE + SIZE).")
final class AddSpanCommand extends RangeCommand {
    @Override
    void apply(PersistentArena arena, long base, long size) {
        arena.addSpan(base, size);
    }
}

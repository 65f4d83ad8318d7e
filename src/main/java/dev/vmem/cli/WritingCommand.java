package dev.vmem.cli;

import dev.vmem.store.Durability;
import picocli.CommandLine.Mixin;

/** A subcommand that changes the store, at the level {@code --durability} names. */
abstract class WritingCommand extends StoreCommand {
    @Mixin
    DurabilityOption durability;

    @Override
    final Durability durability() {
        return durability.level;
    }
}

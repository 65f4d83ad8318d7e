package dev.vmem.cli;

import dev.vmem.store.Durability;
import java.util.Locale;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A subcommand that changes the store, at the level {@code --durability} names. */
abstract class WritingCommand extends StoreCommand {
    @Mixin
    DurabilityOption durability;

    @Spec
    CommandSpec spec;

    @Override
    final Durability durability() {
        return durability.level;
    }

    /** In the shell the store acknowledges at the level it was opened with: another one given here is refused. */
    @Override
    void checkSession(ShellCommand.Session session) {
        super.checkSession(session);
        if (spec.commandLine().getParseResult().hasMatchedOption("--durability")
                && durability.level != session.durability()) {
            throw new IllegalArgumentException("--durability " + durability.level.name().toLowerCase(Locale.ROOT)
                    + ": the shell's store acknowledges at " + session.durability().name().toLowerCase(Locale.ROOT)
                    + " (give --durability to vmem shell)");
        }
    }
}

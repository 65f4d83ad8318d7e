package dev.vmem.cli;

import dev.vmem.store.Durability;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code --durability}: when the store acknowledges each operation of a command that writes. One option,
 * mixed into every such command ({@link WritingCommand}), so that its name, values and help read the same
 * everywhere.
 */
final class DurabilityOption {
    @Option(names = "--durability", paramLabel = "sync|write|buffered", defaultValue = "sync",
            converter = Parse.class,
            description = {"When each operation is acknowledged (any case; default: sync):",
                    "  sync: once fsynced; it survives a power loss.",
                    "  write: once written to the operating system; it survives a kill of the process, a power "
                            + "loss may take back the last 100 ms.",
                    "  buffered: once in the store's buffer; any crash may take back the last 100 ms.",
                    "At every level, a crash never makes NEXT_FIT hand out again a value it returned before (until "
                            + "the rotor comes round), and when the command exits 0 all it did is durable."})
    Durability level;

    /** Durability.parse, reported as a bad option value (exit 2, one line naming the value and the choices). */
    static final class Parse implements CommandLine.ITypeConverter<Durability> {
        @Override
        public Durability convert(String value) {
            try {
                return Durability.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}

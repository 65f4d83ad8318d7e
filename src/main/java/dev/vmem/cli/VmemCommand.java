package dev.vmem.cli;

import dev.vmem.store.Durability;
import dev.vmem.store.StoreOptions;
import dev.vmem.store.VmemStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vmem}: operate and inspect vmem stores. Every subcommand inherits -h/--help and -V/--version
 * from here (declared, so the completion script and the man pages see them too).
 */
@Command(name = "vmem", mixinStandardHelpOptions = true, versionProvider = VmemCommand.Version.class,
        scope = CommandLine.ScopeType.INHERIT,
        description = "Operate and inspect vmem stores: crash-safe arenas of integer ranges.",
        subcommands = {CreateCommand.class, AddSpanCommand.class, AllocCommand.class, FreeCommand.class,
                DropCommand.class,
                ListCommand.class, StatsCommand.class, DumpCommand.class, CheckCommand.class, MapCommand.class,
                BackupCommand.class, DemoCommand.class, RepairCommand.class, ShellCommand.class},
        footer = {"", "Numbers are decimal or 0x-prefixed hexadecimal, optionally with K, M, G or T",
                "(powers of 1024): 4k, 64K, 0x10M.",
                "Exit codes: 0 ok; 1 check found problems or another failure; 2 bad input;",
                "            3 exhausted; 4 invalid free; 5 store locked; 6 store corrupted."})
final class VmemCommand {
    static final Path CONFIG = Path.of("config", "vmem.properties");

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--store", paramLabel = "DIR",
            description = "The store directory (default: store= in config/vmem.properties, else ./vmem-store).")
    Path store;

    @Option(names = "--read-only", description = {"Open the store read-only: nothing in its directory is written (no"
            + " lock file, checkpoint or journal repair), so a store on a read-only file system, a backup, or one another"
            + " process has open can be read. For list, stats, dump, check, map and backup; other commands refuse it."
            + " Readers open read-only by themselves when the directory cannot be written."})
    boolean readOnly;

    @Option(names = "--verbose", description = "Log what the store does, and print stack traces of failures.")
    boolean verbose;

    private Properties config;

    /** The store that {@code vmem shell} keeps open: every command of a shell line works on it. */
    ShellCommand.Session session;

    /** The command's defaults from config/vmem.properties (empty when the file is absent). */
    Properties config() {
        if (config == null) {
            config = new Properties();
            if (Files.isRegularFile(CONFIG)) {
                try (InputStream in = Files.newInputStream(CONFIG)) {
                    config.load(in);
                } catch (IOException e) {
                    throw new IllegalArgumentException("cannot read " + CONFIG + ": " + e.getMessage(), e);
                }
            }
        }
        return config;
    }

    Path storeDirectory() {
        if (store != null) {
            return store;
        }
        return Path.of(config().getProperty("store", "vmem-store").strip());
    }

    /** Opens the store; the command's defaults (config/vmem.properties) shape the options. */
    VmemStore openStore(boolean createIfMissing, Durability durability) {
        StoreOptions options = StoreOptions.builder(storeDirectory()).createIfMissing(createIfMissing)
                .durability(durability).jmx(false).build(); // nobody watches a one-shot command over JMX
        return VmemStore.open(options);
    }

    /**
     * Refuses {@code --read-only} for {@code command}, which changes the store; throws IllegalArgumentException
     * naming the option.
     */
    void refuseReadOnly(String command) {
        if (readOnly) {
            throw new IllegalArgumentException("--read-only: vmem " + command + " changes the store; only list, stats,"
                    + " dump, check, map and backup read it without writing");
        }
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            Package p = VmemCommand.class.getPackage();
            // The jar's manifest; else what the build passes when it generates the man pages from the classes.
            String v = p == null || p.getImplementationVersion() == null ? System.getProperty("vmem.version")
                    : p.getImplementationVersion();
            return new String[] {"vmem " + (v == null ? "(development build)" : v) + ", store format "
                    + dev.vmem.store.StoreFormat.VERSION};
        }
    }
}

package dev.vmem.cli;

import dev.vmem.store.Durability;
import dev.vmem.store.VmemStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** A subcommand that works on the store: opens it, runs, closes it. */
abstract class StoreCommand implements Callable<Integer> {
    @ParentCommand
    VmemCommand root;

    /** Whether this command only reads the store: it may then open it read-only (see {@link ReadingCommand}). */
    boolean readsOnly() {
        return false;
    }

    /** Whether running this command may create a missing store. */
    boolean createsStore() {
        return false;
    }

    /** The level the store acknowledges this command's operations at: SYNC unless the command writes and asks. */
    Durability durability() {
        return Durability.SYNC;
    }

    abstract int run(VmemStore store) throws Exception;

    /** Checks the arguments before the store is opened; throws IllegalArgumentException naming the value. */
    void validate() {
    }

    @Override
    public final Integer call() throws Exception {
        validate();
        String name = getClass().getAnnotation(Command.class).name();
        if (!readsOnly()) {
            root.refuseReadOnly(name);
        }
        if (root.session != null) {
            checkSession(root.session);
            return run(root.session.store());
        }
        Path dir = root.storeDirectory();
        if (readsOnly() && (root.readOnly || ReadingCommand.cannotWrite(dir, root.spec.commandLine().getErr()))) {
            try (VmemStore store = VmemStore.openReadOnly(dir)) {
                return run(store);
            }
        }
        boolean fresh = createsStore() && !Files.exists(dir.resolve("FORMAT"));
        boolean dirExisted = Files.exists(dir);
        // A failure to open removes nothing: the directory may not be ours.
        VmemStore opened = root.openStore(createsStore(), durability());
        try (VmemStore store = opened) {
            return run(store);
        } catch (Exception | Error e) {
            if (fresh) {
                removeFreshStore(dir, dirExisted); // the store is closed (and unlocked) by now
            }
            throw e;
        }
    }

    /**
     * Refuses, inside {@code vmem shell}, what only opening the store could honour; throws
     * IllegalArgumentException naming the value.
     */
    void checkSession(ShellCommand.Session session) {
        if (root.store != null) {
            throw new IllegalArgumentException("--store " + root.store + ": the shell works on store "
                    + session.store().directory() + " (give --store to vmem shell)");
        }
        if (root.readOnly) {
            throw new IllegalArgumentException("--read-only: the shell works on store " + session.store().directory()
                    + ", open for writing");
        }
    }

    /** A store this command created and then failed to use leaves nothing behind. */
    private static void removeFreshStore(Path dir, boolean keepDirectory) {
        try (Stream<Path> files = Files.walk(dir)) {
            List<Path> all = files.sorted(Comparator.reverseOrder()).collect(Collectors.toList());
            for (Path p : all) {
                if (!(keepDirectory && p.equals(dir))) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            // Leave it: the next command reports exactly what is there.
        }
    }
}

package dev.vmem.cli;

import dev.vmem.store.VmemStore;
import java.util.concurrent.Callable;
import picocli.CommandLine.ParentCommand;

/** A subcommand that works on the store: opens it, runs, closes it. */
abstract class StoreCommand implements Callable<Integer> {
    @ParentCommand
    VmemCommand root;

    /** Whether running this command may create a missing store. */
    boolean createsStore() {
        return false;
    }

    abstract int run(VmemStore store) throws Exception;

    @Override
    public final Integer call() throws Exception {
        try (VmemStore store = root.openStore(createsStore())) {
            return run(store);
        }
    }
}

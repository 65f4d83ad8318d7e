package dev.vmem.cli;

import dev.vmem.store.VmemStore;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "backup", description = {
        "Copy the store into DEST: a store of its own, holding everything acknowledged before the command began,",
        "written as a cleanly closed store; it is complete once DEST/FORMAT exists (written last). Inside vmem shell",
        "the store keeps serving meanwhile; with --read-only (or on a directory that cannot be written) the copy",
        "holds what the read-only open recovered, which is how to copy a store another process holds open.",
        "",
        "Example: vmem --read-only --store /var/lib/ids backup /backups/ids-monday"})
final class BackupCommand extends ReadingCommand {
    @Parameters(index = "0", paramLabel = "DEST",
            description = "A directory that does not exist yet (its parent must) or an empty one, outside the store.")
    Path dest;

    @Override
    int run(VmemStore store) {
        store.backup(dest);
        root.out().println("backed up store " + store.directory() + " to " + dest + " (" + store.arenas().size()
                + " arenas)");
        return 0;
    }
}

package dev.vmem.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A subcommand that only reads the store: with {@code --read-only}, or when the store's directory cannot be
 * written (a read-only mount, a directory of another user's), it opens the store read-only, which writes nothing.
 */
abstract class ReadingCommand extends StoreCommand {
    @Override
    final boolean readsOnly() {
        return true;
    }

    /**
     * Whether {@code dir} is a directory this process cannot write; if so, says once on {@code err} that the store
     * is read read-only (a read-write open would fail on its lock file, and a user should know why nothing, such as
     * a damaged checkpoint, gets rebuilt).
     */
    static boolean cannotWrite(Path dir, PrintWriter err) {
        if (!Files.isDirectory(dir) || Files.isWritable(dir)) {
            return false;
        }
        err.println("vmem: " + dir + " cannot be written: reading the store read-only");
        err.flush();
        return true;
    }
}

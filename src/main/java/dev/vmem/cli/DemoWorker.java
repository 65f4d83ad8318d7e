package dev.vmem.cli;

import dev.vmem.Policy;
import dev.vmem.store.Durability;
import dev.vmem.store.PersistentArena;
import dev.vmem.store.StoreOptions;
import dev.vmem.store.VmemStore;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The child process of {@code vmem demo}: opens the store at one durability level and hands out PIDs with
 * NEXT_FIT as fast as that level allows, like a kernel starting processes, printing {@code pid N} once each
 * is acknowledged. After {@code maxIds} PIDs or {@code maxMillis}, whichever comes first, it prints
 * {@code rate N NANOS} (the timed run) and goes on allocating until it is killed: the kill lands while
 * units are in flight, which is what a crash is.
 *
 * <p>Arguments: the store directory, the level, maxIds, maxMillis.
 */
final class DemoWorker {
    private DemoWorker() {
    }

    public static void main(String[] args) {
        VmemMain.configureLogging(false);
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false);
        Durability level = Durability.parse(args[1]);
        long maxIds = Long.parseLong(args[2]);
        long maxNanos = Long.parseLong(args[3]) * 1_000_000L;
        VmemStore store = VmemStore.open(StoreOptions.builder(Path.of(args[0])).createIfMissing(false)
                .durability(level).build());
        PersistentArena pids = store.arena("pids");
        long started = System.nanoTime();
        long n = 0;
        long elapsed = 0;
        while (n < maxIds && elapsed < maxNanos) {
            allocate(pids, out);
            n++;
            elapsed = System.nanoTime() - started;
        }
        out.print("rate " + n + " " + elapsed + "\n");
        out.flush();
        while (!out.checkError()) { // until killed; a parent that is gone closes the pipe, and this stops
            allocate(pids, out);
        }
        System.exit(1);
    }

    /** One line per PID, written whole in one call: a kill never leaves half a number for the parent to read. */
    private static void allocate(PersistentArena pids, PrintStream out) {
        long pid = pids.alloc(1, Policy.NEXT_FIT);
        out.print("pid " + pid + "\n");
        out.flush();
    }
}

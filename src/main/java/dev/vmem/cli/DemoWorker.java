package dev.vmem.cli;

import dev.vmem.Policy;
import dev.vmem.store.PersistentArena;
import dev.vmem.store.VmemStore;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayDeque;

/**
 * The child process of {@code vmem demo}: hands out PIDs with NEXT_FIT as fast as the disk allows,
 * like a kernel starting processes, and frees each one 100 PIDs later, like the process exiting. Each
 * line is printed only after the operation is durable: {@code pid N} or {@code exit N}. It runs until
 * it is killed.
 */
final class DemoWorker {
    private DemoWorker() {
    }

    public static void main(String[] args) {
        VmemMain.configureLogging(false);
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false);
        VmemStore store = VmemStore.open(Path.of(args[0]));
        PersistentArena pids = store.arena("pids");
        ArrayDeque<Long> running = new ArrayDeque<>();
        out.println("ready");
        out.flush();
        while (true) {
            long pid = pids.alloc(1, Policy.NEXT_FIT);
            out.println("pid " + pid);
            out.flush();
            running.add(pid);
            if (running.size() > 100) {
                long exited = running.poll();
                pids.free(exited);
                out.println("exit " + exited);
                out.flush();
            }
        }
    }
}

package dev.vmem.cli;

import dev.vmem.Policy;
import dev.vmem.store.ArenaDefinition;
import dev.vmem.store.PersistentArena;
import dev.vmem.store.StoreOptions;
import dev.vmem.store.VmemStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.util.Collections;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "demo", description = "The main job: restart-safe PID allocation, shown end to end (a child process "
        + "allocates PIDs and is killed with SIGKILL; the store is reopened and carries on without reuse).")
final class DemoCommand implements Callable<Integer> {
    static final long FIRST_PID = 300;
    static final long PID_LIMIT = 32768;

    @ParentCommand
    VmemCommand root;

    @Option(names = "--dir", paramLabel = "DIR", description = "Where to make the demo's fresh store "
            + "(default: a new temporary directory).")
    Path dir;

    @Option(names = "--run-millis", paramLabel = "MS", defaultValue = "1000",
            description = "How long the child allocates before it is killed (default 1000).")
    long runMillis;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = root.out();
        Path storeDir = prepare();
        out.println("1. A fresh store in " + storeDir + " with an arena 'pids': values [" + FIRST_PID + ", "
                + PID_LIMIT + "), quantum 1, handed out with NEXT_FIT.");
        try (VmemStore store = VmemStore.open(StoreOptions.of(storeDir))) {
            store.batch(() -> store.createArena(ArenaDefinition.of("pids", 1)).addSpan(FIRST_PID,
                    PID_LIMIT - FIRST_PID));
        }

        out.println("2. A child JVM allocates PIDs as fast as the disk allows (each printed once durable) and frees "
                + "each one 100 PIDs later.");
        out.flush();
        Set<Long> live = new HashSet<>();
        long lastPid = -1;
        long allocated = 0;
        Process child = new ProcessBuilder(javaBinary(), "-cp", System.getProperty("java.class.path"),
                DemoWorker.class.getName(), storeDir.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.equals("ready")) {
                        ready.countDown();
                    } else {
                        lines.add(line);
                    }
                }
            } catch (java.io.IOException e) {
                // The pipe ends when the child is killed; every whole line before that was read.
            }
        }, "demo-child-output");
        reader.start();
        try {
            if (!ready.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the demo's child process did not start within 30 s");
            }
            Thread.sleep(runMillis);
        } finally {
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no final checkpoint
            child.waitFor(10, TimeUnit.SECONDS);
            reader.join(10_000);
        }
        synchronized (lines) {
            for (String line : lines) {
                if (line.startsWith("pid ")) {
                    lastPid = Long.parseLong(line.substring(4));
                    live.add(lastPid);
                    allocated++;
                } else if (line.startsWith("exit ")) {
                    live.remove(Long.parseLong(line.substring(5)));
                }
            }
        }
        out.printf("3. Killed the child with SIGKILL (exit status %d) after %d acknowledged PIDs; the last one was %d, "
                + "and %d were still running.%n", child.exitValue(), allocated, lastPid, live.size());

        long started = System.nanoTime();
        try (VmemStore store = VmemStore.open(StoreOptions.of(storeDir))) {
            long openMs = (System.nanoTime() - started) / 1_000_000;
            PersistentArena pids = store.arena("pids");
            out.printf("4. Reopened the store in %d ms: %d PIDs allocated, NEXT_FIT rotor at %d.%n", openMs,
                    pids.stats().liveAllocations(), pids.nextFitCursor());
            List<Long> next = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                next.add(pids.alloc(1, Policy.NEXT_FIT));
            }
            boolean reused = next.stream().anyMatch(live::contains);
            boolean continues = next.get(0) > lastPid || pids.nextFitCursor() < lastPid;
            out.println("5. The next PIDs handed out: " + next + (reused ? " -- REUSED a live PID!"
                    : " -- none of them was running at the crash") + (continues ? ", and they follow the last "
                    + "acknowledged PID " + lastPid + " (no value comes round again before the rotor wraps)." : "."));
            List<String> problems = store.verify();
            out.println("6. Check: " + (problems.isEmpty() ? "the store is sound (invariants, checkpoint and journal "
                    + "agree)." : problems));
            return problems.isEmpty() && !reused && continues ? 0 : ExitCode.FAILURE.code;
        }
    }

    private Path prepare() throws Exception {
        if (dir == null) {
            return Files.createTempDirectory("vmem-demo").resolve("store");
        }
        if (Files.exists(dir)) {
            try (var entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    throw new IllegalArgumentException("--dir " + dir + " is not empty; the demo needs a fresh store");
                }
            }
        }
        return dir;
    }

    static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}

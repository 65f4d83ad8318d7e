package dev.vmem.cli;

import dev.vmem.Policy;
import dev.vmem.store.ArenaDefinition;
import dev.vmem.store.Durability;
import dev.vmem.store.PersistentArena;
import dev.vmem.store.RecoveryReport;
import dev.vmem.store.StoreOptions;
import dev.vmem.store.VmemStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "demo", description = {"The main job, restart-safe PID allocation, at each durability level.",
        "For each level a child JVM hands out PIDs with NEXT_FIT, printing each once acknowledged, and is killed "
                + "with SIGKILL while it allocates; the store is reopened and carries on. Shows each level's rate, "
                + "what the kill took back, how far the rotor skipped (RecoveryReport.rotorSkips), and that no "
                + "printed PID is handed out again. Takes a few seconds."})
final class DemoCommand implements Callable<Integer> {
    static final long FIRST_PID = 300;
    /** Linux's largest pid_max: room for the fastest level's run without the rotor coming round. */
    static final long PID_LIMIT = 1 << 22;
    /** The timed run's length in PIDs (--run-millis bounds its time). */
    static final long RUN_PIDS = 5000;
    /** How many PIDs the reopened store hands out to show where it carries on. */
    static final int NEXT = 5;

    @ParentCommand
    VmemCommand root;

    @Option(names = "--dir", paramLabel = "DIR", description = "Where to make the demo's fresh stores, one "
            + "directory per level (default: a new temporary directory).")
    Path dir;

    @Option(names = "--run-millis", paramLabel = "MS", defaultValue = "300",
            description = "The longest the timed run of each level lasts (default 300; it stops sooner after "
                    + RUN_PIDS + " PIDs).")
    long runMillis;

    /** What one level showed: the child's run, and the reopened store. */
    private record Outcome(Durability level, double rate, long printed, long recovered, long skipped,
            List<Long> next, List<Long> reused, List<String> problems) {
        boolean keptItsPromise() {
            boolean lostNothing = level == Durability.BUFFERED || recovered >= printed;
            return lostNothing && reused.isEmpty() && problems.isEmpty();
        }
    }

    @Override
    public Integer call() throws Exception {
        root.refuseReadOnly("demo");
        if (!root.verbose) {
            quietStoreWarnings();
        }
        PrintWriter out = root.out();
        Path base = prepare();
        try {
            return show(out, base);
        } finally {
            if (dir == null) {
                deleteTree(base); // a demo leaves nothing behind unless --dir asks it to
            }
        }
    }

    private int show(PrintWriter out, Path base) throws Exception {
        out.println("Restart-safe PIDs at each durability level. Per level: a fresh store (" + base + "/LEVEL)");
        out.println("with an arena 'pids' of [" + FIRST_PID + ", " + PID_LIMIT + ") handed out with NEXT_FIT; a child "
                + "JVM allocates PIDs at that level,");
        out.println("printing each once acknowledged, times the first " + RUN_PIDS + " (or " + runMillis + " ms), goes "
                + "on until it is killed");
        out.println("with SIGKILL, and the store is reopened.");
        out.println();
        out.printf("%-9s %9s %8s %10s %11s %9s  %s%n", "LEVEL", "PIDS/S", "PRINTED", "RECOVERED", "ROTOR SKIP",
                "NEXT PID", "REUSED");
        out.flush();
        boolean allKept = true;
        boolean anyReused = false;
        for (Durability level : List.of(Durability.SYNC, Durability.WRITE, Durability.BUFFERED)) {
            Outcome o = run(level, base.resolve(level.name().toLowerCase(java.util.Locale.ROOT)));
            out.printf("%-9s %,9.0f %,8d %,10d %,11d %9d  %s%n", level.name().toLowerCase(java.util.Locale.ROOT),
                    o.rate(), o.printed(), o.recovered(), o.skipped(), o.next().get(0),
                    o.reused().isEmpty() ? "none" : o.reused() + " REUSED");
            if (!o.problems().isEmpty()) {
                out.println("  store problems: " + o.problems());
            }
            out.flush();
            allKept &= o.keptItsPromise();
            anyReused |= !o.reused().isEmpty();
        }
        out.println();
        out.println("PRINTED: PIDs acknowledged (and printed) before the kill. RECOVERED: allocations in the "
                + "reopened store;");
        out.println("sync and write lose nothing to a killed process, buffered what it had not yet flushed (up to "
                + "100 ms).");
        out.println("ROTOR SKIP: how far recovery moved the NEXT_FIT rotor (RecoveryReport.rotorSkips): past every "
                + "PID the kill");
        out.println("took back, plus at most one mark step of values never handed out; sync needs no marks. "
                + "NEXT PID: the first");
        out.println("PID handed out after the reopen. REUSED: PIDs printed before the kill among the next " + NEXT
                + " handed out.");
        out.println(anyReused ? "A PID PRINTED BEFORE A KILL WAS HANDED OUT AGAIN."
                : "No PID printed before a kill was handed out again" + (allKept ? ", and every store is sound."
                : ", but a level broke its promise (above)."));
        if (dir == null) {
            out.println("The stores were in a temporary directory, removed now; --dir DIR keeps them.");
        }
        return allKept ? ExitCode.OK.code : ExitCode.FAILURE.code;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** One level: a fresh store, a child killed in full flight, and the reopened store carrying on. */
    private Outcome run(Durability level, Path storeDir) throws Exception {
        try (VmemStore store = VmemStore.open(StoreOptions.of(storeDir))) {
            store.batch(() -> store.createArena(ArenaDefinition.of("pids", 1)).addSpan(FIRST_PID,
                    PID_LIMIT - FIRST_PID));
        }
        ChildRun child = ChildRun.killInFlight(storeDir, level, runMillis);
        try (VmemStore store = VmemStore.open(StoreOptions.of(storeDir))) {
            long skipped = 0;
            for (RecoveryReport.RotorSkip s : store.recovery().rotorSkips()) {
                skipped += s.to() - s.from();
            }
            PersistentArena pids = store.arena("pids");
            long recovered = pids.stats().liveAllocations();
            List<Long> next = new ArrayList<>();
            for (int i = 0; i < NEXT; i++) {
                next.add(pids.alloc(1, Policy.NEXT_FIT));
            }
            List<Long> reused = next.stream().filter(child.pids()::contains).toList();
            return new Outcome(level, child.rate(), child.pids().size(), recovered, skipped, next, reused,
                    store.verify());
        }
    }

    /** What a child printed before it was killed: its timed rate, and every PID it acknowledged. */
    private record ChildRun(double rate, Set<Long> pids) {
        static ChildRun killInFlight(Path storeDir, Durability level, long runMillis) throws Exception {
            // C1 only and the serial collector: the child starts sooner, and a run this short never reaches C2.
            Process child = new ProcessBuilder(javaBinary(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp",
                    System.getProperty("java.class.path"), DemoWorker.class.getName(), storeDir.toString(),
                    level.name(), "" + RUN_PIDS, "" + runMillis)
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            Set<Long> pids = new HashSet<>();
            double[] rate = {Double.NaN};
            CountDownLatch timedOrGone = new CountDownLatch(1);
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        if (line.startsWith("pid ")) {
                            pids.add(Long.parseLong(line.substring(4)));
                        } else if (line.startsWith("rate ")) {
                            String[] f = line.split(" ");
                            rate[0] = Long.parseLong(f[1]) * 1e9 / Math.max(1, Long.parseLong(f[2]));
                            timedOrGone.countDown();
                        }
                    }
                } catch (java.io.IOException e) {
                    // The pipe ends when the child is killed; every whole line before that was read.
                } finally {
                    timedOrGone.countDown();
                }
            }, "demo-child-output");
            reader.start();
            try {
                if (!timedOrGone.await(runMillis + 60_000, TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("the demo's child process did not finish its timed run in "
                            + (runMillis + 60_000) + " ms");
                }
            } finally {
                // SIGKILL while it allocates: no shutdown hook, no flush, no checkpoint. Through the handle, since
                // Process.destroyForcibly also closes our end of the pipe, and the lines still in it would be lost.
                child.toHandle().destroyForcibly();
                child.waitFor(10, TimeUnit.SECONDS);
                reader.join(10_000);
            }
            if (reader.isAlive()) {
                throw new IllegalStateException("the demo's child process was killed, but its output did not end");
            }
            if (Double.isNaN(rate[0])) {
                throw new IllegalStateException("the demo's child process ended before its timed run (exit status "
                        + child.exitValue() + "; its errors are above)");
            }
            return new ChildRun(rate[0], Set.copyOf(pids)); // the reader has ended: join published what it wrote
        }
    }

    /**
     * Each reopen logs a WARN for the rotor it moves (and buffered may leave a torn tail to cut): the table
     * says what they mean, so they stay off stderr unless --verbose. Failures still throw.
     */
    private static void quietStoreWarnings() {
        if (org.slf4j.LoggerFactory.getLogger("dev.vmem.store") instanceof ch.qos.logback.classic.Logger store) {
            store.setLevel(ch.qos.logback.classic.Level.ERROR);
        }
    }

    private Path prepare() throws Exception {
        if (dir == null) {
            return Files.createTempDirectory("vmem-demo");
        }
        if (Files.exists(dir)) {
            try (var entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    throw new IllegalArgumentException("--dir " + dir + " is not empty; the demo needs fresh stores");
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

package dev.vmem.cli;

import dev.vmem.ArenaExhaustedException;
import dev.vmem.Constraints;
import dev.vmem.Policy;
import dev.vmem.store.Durability;
import dev.vmem.store.PersistentArena;
import dev.vmem.store.VmemStore;
import java.io.PrintWriter;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "alloc", description = {"Allocate SIZE values; prints each base in decimal on its own line as soon "
        + "as that allocation is acknowledged.",
        "At sync that is once it is durable. At write and buffered, after the last allocation the command syncs the "
                + "store (store.sync()) before it exits, so when it exits 0 every base it printed is durable."})
final class AllocCommand extends WritingCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", paramLabel = "SIZE", converter = Numbers.class)
    long size;

    @Option(names = "--policy", paramLabel = "instant|best|next", defaultValue = "instant",
            description = "Placement policy (default: instant).")
    String policy;

    @Option(names = "--align", paramLabel = "A", converter = Numbers.class, defaultValue = "1")
    long align;

    @Option(names = "--phase", paramLabel = "P", converter = Numbers.class, defaultValue = "0")
    long phase;

    @Option(names = "--nocross", paramLabel = "N", converter = Numbers.class, defaultValue = "0")
    long nocross;

    @Option(names = "--min", paramLabel = "M", converter = Numbers.class, defaultValue = "0")
    long min;

    @Option(names = "--max", paramLabel = "X", converter = Numbers.class, defaultValue = "" + Long.MAX_VALUE,
            description = "Exclusive bound of the block's end.")
    long max;

    @Option(names = "--count", paramLabel = "K", defaultValue = "1", converter = Numbers.Count.class,
            description = "Allocate K blocks (default 1). If the arena runs out first, the command stops, says how "
                    + "many it allocated, and exits 3.")
    int count;

    static Policy policy(String text) {
        switch (text.toLowerCase(Locale.ROOT)) {
            case "instant":
                return Policy.INSTANT_FIT;
            case "best":
                return Policy.BEST_FIT;
            case "next":
                return Policy.NEXT_FIT;
            default:
                throw new IllegalArgumentException("policy=" + text + " is not one of instant, best, next");
        }
    }

    /** How long a SIGTERM or Ctrl-C waits for the allocation in progress to be printed. */
    static final long STOP_WAIT_SECONDS = 5;

    @Override
    int run(VmemStore store) {
        Policy p = policy(policy);
        if (count < 1) {
            throw new IllegalArgumentException("count=" + count + " must be at least 1");
        }
        Constraints constraints = new Constraints(size, align, phase, nocross, min, max);
        PersistentArena arena = store.arena(name);
        PrintWriter out = root.out();
        // SIGTERM or Ctrl-C runs this hook while the loop may be between an allocation and its line: the hook
        // waits for the step to end (each step allocates and prints, or neither), then makes the rest durable.
        // It waits at most STOP_WAIT_SECONDS: a step blocked on a full pipe must not keep the process alive.
        ReentrantLock step = new ReentrantLock();
        AtomicBoolean stopping = new AtomicBoolean();
        Thread hook = new Thread(() -> {
            stopping.set(true);
            boolean locked = false;
            try {
                locked = step.tryLock(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                store.close();
            } finally {
                if (locked) {
                    step.unlock();
                }
            }
        }, "vmem-alloc-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        int allocated = 0;
        ArenaExhaustedException exhausted = null;
        try (Progress progress = Progress.start("alloc", count)) {
            for (int i = 0; i < count; i++) {
                step.lock();
                try {
                    if (stopping.get()) {
                        return ExitCode.FAILURE.code;
                    }
                    long base;
                    try {
                        base = constraints.isPlain() ? arena.alloc(size, p) : arena.xalloc(constraints, p);
                    } catch (ArenaExhaustedException e) {
                        exhausted = e;
                        break;
                    }
                    progress.clear();
                    out.println(base);
                    out.flush();
                    if (out.checkError()) {
                        // Nobody reads the bases any more: take back the one no one saw, rather than leak it.
                        arena.free(base);
                        throw new IllegalStateException("standard output was closed; stopped after " + i
                                + " printed allocations (the unprinted one, base=" + base + ", was freed)");
                    }
                } finally {
                    step.unlock();
                }
                allocated++;
                progress.step();
            }
        } finally {
            // A one-shot command keeps the hook until the JVM ends: a SIGTERM during the sync below, or the close
            // after it, must still wait for them (a close waits for one under way; the JVM halts when hooks end).
            // The shell's store outlives the command, and the shell closes it.
            if (root.session != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // The hook is running or has run: it closes the store.
                }
            }
        }
        if (durability() != Durability.SYNC) {
            store.sync();
        }
        if (exhausted != null) {
            throw stoppedEarly(exhausted, allocated);
        }
        return 0;
    }

    /**
     * Exhaustion part-way through {@code --count}: the error (exit 3) says how many bases were printed, all of
     * them durable by now, so that a script knows how many it got without counting lines.
     */
    private ArenaExhaustedException stoppedEarly(ArenaExhaustedException e, int allocated) {
        if (count == 1) {
            return e;
        }
        ArenaExhaustedException told = new ArenaExhaustedException(e.getMessage() + "; stopped after allocating "
                + allocated + " of " + count + " (each printed)");
        told.initCause(e);
        return told;
    }
}

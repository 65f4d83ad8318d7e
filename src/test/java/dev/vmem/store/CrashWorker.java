package dev.vmem.store;

import dev.vmem.ArenaExhaustedException;
import dev.vmem.Constraints;
import dev.vmem.Policy;
import dev.vmem.Segment;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The process {@link CrashRecoveryTest} kills with {@code kill -9}: opens a store, creates its arenas
 * if they are missing, and runs random operations from several threads until it is killed.
 *
 * <p>Arguments: {@code <store directory> <seed> <mode> [<durability> <rotor reserve> <flush millis>]}, mode one
 * of {@link #MODES}. With a durability (the level campaigns of {@link CrashByDurabilityTest}) the store opens at
 * that level with that rotor reserve and flush interval, the set-up runs at SYNC, every unit is a batch whose
 * ticket is the journal sequence number it gets (drawn under the store's lock: the next record), and at
 * BUFFERED a few batches ask for WRITE or SYNC and a thread calls {@link VmemStore#sync()} now and then.
 *
 * <h2>What it prints on stdout, one flushed line per event</h2>
 * <pre>
 *   S tid items           about to call (intent); results are "?"
 *   K tid ticket items    the call returned: acknowledged, with its results
 *   N tid reason          the call was rejected (exhausted, over-constrained): nothing changed
 *   READY                 set-up done, the worker threads start
 *   CB seq file / CE seq  a checkpoint write begins / ends
 *   BUG tid text          an unexpected exception (the process then halts with status 3)
 *   SY / Y                a sync() is called / returned (level campaigns at BUFFERED)
 * </pre>
 * Items are separated by {@code " ; "}; a line with several items is one {@link VmemStore#batch}:
 * <pre>
 *   c arena                                            arena created (set-up by thread 0, or scratch)
 *   d arena                                            arena dropped (scratch)
 *   s arena base size                                  span added (set-up, thread 0)
 *   a arena size policy base                           alloc (size as requested)
 *   x arena size align phase nocross min max policy base   xalloc
 *   f arena base size                                  free (size of the block)
 * </pre>
 * {@code ticket} is "-" for a call outside a batch, or the number drawn inside the batch, i.e. under the
 * store's mutation lock: tickets order batches as the store applied them. A batch that asked for a level of
 * its own has it after the ticket: {@code 1234@SYNC}. Every NEXT_FIT allocation runs
 * inside a batch (of one, if alone) so that the test knows the order of the rotor's moves. Each thread frees
 * only blocks it allocated itself or adopted at start, so a line never races with another thread's line about
 * the same block, except for a value freed by one thread and allocated again by another. Thread 1 alone
 * also creates, uses and drops the arena {@value #SCRATCH}, alone or inside batches.
 */
public final class CrashWorker {
    static final String[] MODES = {"mixed", "batchy", "tiny"};
    static final String PIDS = "pids";
    static final String DISK = "disk";
    static final String TENANT = "tenant";
    /** Created and dropped again and again by thread 1 alone; imports from disk. */
    static final String SCRATCH = "scratch";
    static final long PID_BASE = 300;
    static final long PID_END = 32768;
    static final long PAGE = 4096;
    static final long DISK_BASE = 0;
    static final long DISK_SIZE = 1L << 36;
    static final long TENANT_IMPORT_QUANTUM = 16 * PAGE;
    static final long SCRATCH_IMPORT_QUANTUM = 4 * PAGE;
    static final int THREADS = 3;

    private static final AtomicLong TICKETS = new AtomicLong();
    private static final OutputStream OUT = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 14);

    private CrashWorker() {
    }

    /** Writes one line and flushes it: when this returns, the line is in the pipe. */
    static void emit(String line) {
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (OUT) {
            try {
                OUT.write(bytes);
                OUT.flush();
            } catch (IOException e) {
                // The parent is gone: nobody is listening, stop.
                Runtime.getRuntime().halt(4);
            }
        }
    }

    static void bug(int tid, Throwable e) {
        emit("BUG " + tid + " " + e);
        e.printStackTrace();
        System.err.flush();
        Runtime.getRuntime().halt(3);
    }

    /** Reports each checkpoint's begin (CB) and end (CE): the harness times kills inside checkpoints by them. */
    static final StoreHooks HOOKS = new StoreHooks(StoreFiles.DEFAULT, (files, file, image) -> {
        emit("CB " + image.seq + " " + file.getFileName());
        Checkpoint.write(files, file, image);
        emit("CE " + image.seq);
    });

    /** The level campaign a worker runs in, or none (the store's default level, SYNC). */
    record LevelRun(Durability level, long rotorReserve, long flushMillis) {
        static LevelRun parse(String[] args) {
            return args.length == 3 ? null : new LevelRun(Durability.parse(args[3]), Long.parseLong(args[4]),
                    Long.parseLong(args[5]));
        }

        List<String> args() {
            return List.of(level.name(), Long.toString(rotorReserve), Long.toString(flushMillis));
        }
    }

    static StoreOptions options(Path dir, String mode, Random rnd, LevelRun run) {
        StoreOptions.Builder b = StoreOptions.builder(dir);
        if (run != null) {
            b.durability(run.level()).rotorReserve(run.rotorReserve())
                    .flushInterval(Duration.ofMillis(run.flushMillis()));
        }
        if (mode.equals("tiny")) {
            b.journalSegmentBytes(4096).checkpointBytes(4096).checkpointInterval(Duration.ofMillis(20));
        } else {
            b.journalSegmentBytes(64 << 10).checkpointBytes(256 << 10)
                    .checkpointInterval(Duration.ofMillis(20 + rnd.nextInt(31)));
        }
        if (run != null && run.level() == Durability.BUFFERED && !mode.equals("tiny")) {
            // A checkpoint syncs the journal: fewer of them leave BUFFERED more to lose.
            b.checkpointInterval(Duration.ofMillis(100 + rnd.nextInt(900)));
        }
        return b.build();
    }

    public static void main(String[] args) {
        if (args.length != 3 && args.length != 6 || !List.of(MODES).contains(args[2])) {
            System.err.println("usage: CrashWorker <store directory> <seed> <" + String.join("|", MODES) + ">"
                    + " [<durability> <rotor reserve> <flush millis>]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        long seed = Long.parseLong(args[1]);
        String mode = args[2];
        LevelRun run = LevelRun.parse(args);
        Random rnd = new Random(seed);
        VmemStore store;
        Map<String, List<long[]>> adopted = new HashMap<>();
        try {
            store = VmemStore.open(options(dir, mode, rnd, run), HOOKS);
            setUp(store, run != null);
            adopted.put(PIDS, allocations(store.arena(PIDS), List.of()));
            List<PersistentArena> importers = new ArrayList<>(List.of(store.arena(TENANT)));
            if (exists(store, SCRATCH)) {
                importers.add(store.arena(SCRATCH));
                adopted.put(SCRATCH, allocations(store.arena(SCRATCH), List.of()));
            }
            adopted.put(DISK, allocations(store.arena(DISK), importers));
            adopted.put(TENANT, allocations(store.arena(TENANT), List.of()));
        } catch (RuntimeException e) {
            bug(0, e);
            return;
        }
        List<Thread> threads = new ArrayList<>();
        for (int t = 1; t <= THREADS; t++) {
            Runner r = new Runner(store, t, new Random(seed * 1_000_003L + t), mode, run);
            for (Map.Entry<String, List<long[]>> e : adopted.entrySet()) {
                List<long[]> blocks = e.getValue();
                if (e.getKey().equals(SCRATCH)) {
                    if (t == 1) {
                        r.own.get(SCRATCH).addAll(blocks);
                    }
                    continue;
                }
                for (int i = t - 1; i < blocks.size(); i += THREADS) {
                    r.own.get(e.getKey()).add(blocks.get(i));
                }
            }
            Thread th = new Thread(r, "crash-worker-" + t);
            threads.add(th);
        }
        if (run != null && run.level() == Durability.BUFFERED) {
            threads.add(new Thread(new Syncer(store, new Random(seed ^ 0x5A5A5A5AL)), "crash-worker-sync"));
        }
        emit("READY");
        for (Thread th : threads) {
            th.start();
        }
        for (Thread th : threads) {
            try {
                th.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Creates whatever the arenas lack, one acknowledged step at a time; {@code durably}: each step a batch at
     * SYNC, so that the set-up survives any crash whatever the store's level.
     */
    private static void setUp(VmemStore store, boolean durably) {
        if (!exists(store, PIDS)) {
            setUpStep(store, durably, "c " + PIDS, () -> store.createArena(ArenaDefinition.of(PIDS, 1)));
        }
        if (!hasSpan(store.arena(PIDS))) {
            setUpStep(store, durably, "s " + PIDS + " " + PID_BASE + " " + (PID_END - PID_BASE),
                    () -> store.arena(PIDS).addSpan(PID_BASE, PID_END - PID_BASE));
        }
        if (!exists(store, DISK)) {
            setUpStep(store, durably, "c " + DISK, () -> store.createArena(ArenaDefinition.of(DISK, PAGE)));
        }
        if (!hasSpan(store.arena(DISK))) {
            setUpStep(store, durably, "s " + DISK + " " + DISK_BASE + " " + DISK_SIZE,
                    () -> store.arena(DISK).addSpan(DISK_BASE, DISK_SIZE));
        }
        if (!exists(store, TENANT)) {
            setUpStep(store, durably, "c " + TENANT, () -> store.createArena(ArenaDefinition.of(TENANT, PAGE)
                    .withSource(DISK, TENANT_IMPORT_QUANTUM)));
        }
    }

    private static void setUpStep(VmemStore store, boolean durably, String item, Runnable step) {
        emit("S 0 " + item);
        if (durably) {
            store.batch(Durability.SYNC, step);
        } else {
            step.run();
        }
        emit("K 0 - " + item);
    }

    /**
     * Calls {@code sync()} every 5 to 150 ms, printing SY before and Y after: every unit acknowledged (its K line
     * printed) before an SY whose Y was printed must survive any crash.
     */
    static final class Syncer implements Runnable {
        private final VmemStore store;
        private final Random rnd;

        Syncer(VmemStore store, Random rnd) {
            this.store = store;
            this.rnd = rnd;
        }

        @Override
        public void run() {
            try {
                while (true) {
                    Thread.sleep(5 + rnd.nextInt(146));
                    emit("SY");
                    store.sync();
                    emit("Y");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException | Error e) {
                bug(4, e);
            }
        }
    }

    private static boolean exists(VmemStore store, String name) {
        for (PersistentArena a : store.arenas()) {
            if (a.name().equals(name)) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasSpan(PersistentArena a) {
        for (Segment s : a.segments()) {
            if (s.kind() == Segment.Kind.SPAN) {
                return true;
            }
        }
        return false;
    }

    /** Live allocations of {@code a} as {base, size}, without the spans {@code importers} imported from it. */
    static List<long[]> allocations(PersistentArena a, List<PersistentArena> importers) {
        Map<Long, Long> imported = new HashMap<>();
        for (PersistentArena importer : importers) {
            for (Segment s : importer.segments()) {
                if (s.kind() == Segment.Kind.IMPORTED_SPAN) {
                    imported.put(s.base(), s.size());
                }
            }
        }
        List<long[]> out = new ArrayList<>();
        for (Segment s : a.segments()) {
            if (s.kind() == Segment.Kind.ALLOCATED && !Long.valueOf(s.size()).equals(imported.get(s.base()))) {
                out.add(new long[] {s.base(), s.size()});
            }
        }
        return out;
    }

    /** One operation of a unit. */
    static final class Item {
        final char kind;
        final String arena;
        final long size;
        final Constraints constraints;
        final Policy policy;
        final long[] block; // the block a free names
        final boolean freeWithSize;
        long base = -1;

        private Item(char kind, String arena, long size, Constraints constraints, Policy policy, long[] block,
                boolean freeWithSize) {
            this.kind = kind;
            this.arena = arena;
            this.size = size;
            this.constraints = constraints;
            this.policy = policy;
            this.block = block;
            this.freeWithSize = freeWithSize;
        }

        static Item alloc(String arena, long size, Policy policy) {
            return new Item('a', arena, size, null, policy, null, false);
        }

        static Item xalloc(String arena, Constraints c, Policy policy) {
            return new Item('x', arena, c.size(), c, policy, null, false);
        }

        static Item free(String arena, long[] block, boolean withSize) {
            return new Item('f', arena, block[1], null, null, block, withSize);
        }

        static Item create(String arena) {
            return new Item('c', arena, 0, null, null, null, false);
        }

        static Item drop(String arena) {
            return new Item('d', arena, 0, null, null, null, false);
        }

        String describe() {
            String result = base == -1 ? "?" : Long.toString(base);
            switch (kind) {
                case 'a':
                    return "a " + arena + " " + size + " " + policy + " " + result;
                case 'x':
                    Constraints c = constraints;
                    return "x " + arena + " " + c.size() + " " + c.align() + " " + c.phase() + " " + c.nocross() + " "
                            + c.min() + " " + c.max() + " " + policy + " " + result;
                case 'c':
                case 'd':
                    return kind + " " + arena;
                default:
                    return "f " + arena + " " + block[0] + " " + block[1];
            }
        }
    }

    static String describe(List<Item> items) {
        StringBuilder sb = new StringBuilder();
        for (Item it : items) {
            if (sb.length() > 0) {
                sb.append(" ; ");
            }
            sb.append(it.describe());
        }
        return sb.toString();
    }

    /** One worker thread: its own blocks, its own random stream. */
    static final class Runner implements Runnable {
        private final VmemStore store;
        private final int tid;
        private final Random rnd;
        private final String mode;
        private final LevelRun levelRun;
        private final Map<String, PersistentArena> arenas = new HashMap<>();
        final Map<String, List<long[]>> own = new HashMap<>();

        Runner(VmemStore store, int tid, Random rnd, String mode, LevelRun levelRun) {
            this.store = store;
            this.tid = tid;
            this.rnd = rnd;
            this.mode = mode;
            this.levelRun = levelRun;
            for (String name : List.of(PIDS, DISK, TENANT)) {
                arenas.put(name, store.arena(name));
                own.put(name, new ArrayList<>());
            }
            own.put(SCRATCH, new ArrayList<>());
            if (tid == 1 && exists(store, SCRATCH)) {
                arenas.put(SCRATCH, store.arena(SCRATCH));
            }
        }

        @Override
        public void run() {
            try {
                while (true) {
                    step();
                }
            } catch (RuntimeException | Error e) {
                bug(tid, e);
            }
        }

        private void step() {
            int batchShare = mode.equals("batchy") ? 50 : 15;
            int r = rnd.nextInt(100);
            List<Item> items = new ArrayList<>();
            boolean scratch = arenas.containsKey(SCRATCH);
            if (tid == 1 && rnd.nextInt(100) < 4) {
                // The scratch arena's life: created (maybe with allocations in the same batch), used, dropped.
                if (!scratch) {
                    items.add(Item.create(SCRATCH));
                } else if (rnd.nextInt(3) == 0) {
                    items.add(Item.drop(SCRATCH));
                }
                if (!items.isEmpty()) {
                    Item life = items.get(0);
                    if (rnd.nextBoolean()) {
                        List<long[]> freeing = new ArrayList<>();
                        for (int i = rnd.nextInt(4); i > 0; i--) {
                            Item it = randomItem(new String[] {PIDS, DISK, TENANT}[rnd.nextInt(3)], freeing);
                            if (it != null) {
                                items.add(rnd.nextBoolean() ? items.size() : 0, it);
                            }
                        }
                        if (life.kind == 'c') {
                            items.add(Item.alloc(SCRATCH, PAGE * (1 + rnd.nextInt(6)), policy()));
                        }
                    }
                    if (rnd.nextInt(10) == 0) {
                        items.add(failing());
                    }
                    run(items, items.size() > 1 || rnd.nextBoolean());
                    return;
                }
            }
            if (r < batchShare) {
                int n = 2 + rnd.nextInt(4);
                List<long[]> freeing = new ArrayList<>();
                String[] names = scratch && tid == 1 ? new String[] {PIDS, DISK, TENANT, SCRATCH}
                        : new String[] {PIDS, DISK, TENANT};
                for (int i = 0; i < n; i++) {
                    Item it = randomItem(names[rnd.nextInt(names.length)], freeing);
                    if (it != null) {
                        items.add(it);
                    }
                }
                if (rnd.nextInt(20) == 0) {
                    items.add(failing());
                }
                if (items.isEmpty()) {
                    return;
                }
                run(items, true);
            } else {
                String arena = r < batchShare + (100 - batchShare) * 4 / 10 ? PIDS
                        : r < batchShare + (100 - batchShare) * 7 / 10 ? DISK : TENANT;
                if (scratch && tid == 1 && arena.equals(TENANT) && rnd.nextBoolean()) {
                    arena = SCRATCH;
                }
                Item it = randomItem(arena, new ArrayList<>());
                if (it == null) {
                    return;
                }
                items.add(it);
                run(items, it.policy == Policy.NEXT_FIT);
            }
        }

        /** An item that fails for want of space, at the end of a unit: everything before must be taken back. */
        private static Item failing() {
            return Item.xalloc(DISK, new Constraints(PAGE, PAGE, 0, 0, DISK_BASE + DISK_SIZE, Constraints.NO_MAX),
                    Policy.INSTANT_FIT);
        }

        /** An allocation or a free of a block this thread owns and has not chosen for {@code freeing} already. */
        private Item randomItem(String arena, List<long[]> freeing) {
            List<long[]> mine = own.get(arena);
            int low = arena.equals(PIDS) ? 60 : 20;
            int high = arena.equals(PIDS) ? 400 : 150;
            int available = mine.size() - freeing.size();
            boolean alloc = available < low || (available < high && rnd.nextInt(100) < 55);
            if (!alloc) {
                for (int attempt = 0; attempt < 8; attempt++) {
                    long[] b = mine.get(rnd.nextInt(mine.size()));
                    if (!freeing.contains(b)) {
                        freeing.add(b);
                        return Item.free(arena, b, rnd.nextBoolean());
                    }
                }
                return null;
            }
            switch (arena) {
                case PIDS:
                    if (rnd.nextInt(5) == 0) {
                        return Item.xalloc(PIDS, pidConstraints(), rnd.nextInt(4) == 0 ? policy() : Policy.NEXT_FIT);
                    }
                    return Item.alloc(PIDS, rnd.nextInt(10) == 0 ? 1 + rnd.nextInt(8) : 1,
                            rnd.nextInt(10) == 0 ? policy() : Policy.NEXT_FIT);
                case DISK:
                    return Item.xalloc(DISK, diskConstraints(), policy());
                default:
                    if (rnd.nextInt(3) == 0) {
                        return Item.xalloc(arena, tenantConstraints(), policy());
                    }
                    long size = (1 + rnd.nextInt(rnd.nextBoolean() ? 4 : 16)) * PAGE;
                    if (rnd.nextInt(4) == 0) {
                        size -= 1 + rnd.nextInt((int) PAGE - 1);
                    }
                    return Item.alloc(arena, size, policy());
            }
        }

        private Policy policy() {
            return Policy.values()[rnd.nextInt(Policy.values().length)];
        }

        private Constraints pidConstraints() {
            while (true) {
                long size = 1 + rnd.nextInt(rnd.nextBoolean() ? 2 : 8);
                long align = 1L << rnd.nextInt(5);
                long phase = rnd.nextInt(3) == 0 ? rnd.nextLong(align) : 0;
                long nocross = rnd.nextInt(3) == 0 ? Long.highestOneBit(size) << (1 + rnd.nextInt(5)) : 0;
                long min = 0;
                long max = Constraints.NO_MAX;
                if (rnd.nextInt(4) == 0) {
                    min = PID_BASE + rnd.nextLong(PID_END - PID_BASE);
                }
                if (rnd.nextInt(4) == 0) {
                    max = min + size + rnd.nextLong(PID_END);
                }
                try {
                    return new Constraints(size, align, phase, nocross, min, max);
                } catch (IllegalArgumentException e) {
                    continue;
                }
            }
        }

        private Constraints diskConstraints() {
            while (true) {
                long pages = 1 + (rnd.nextInt(4) == 0 ? rnd.nextInt(256) : rnd.nextInt(8));
                long size = pages * PAGE - (rnd.nextInt(4) == 0 ? rnd.nextInt((int) PAGE) : 0);
                long align = rnd.nextInt(5) == 0 ? 1L << rnd.nextInt(13) : PAGE << rnd.nextInt(9);
                long phase = align > PAGE && rnd.nextInt(3) == 0 ? PAGE * rnd.nextLong(align / PAGE) : 0;
                long nocross = 0;
                if (rnd.nextInt(3) == 0) {
                    nocross = Long.highestOneBit(pages * PAGE - 1) << (1 + rnd.nextInt(6));
                }
                long min = 0;
                long max = Constraints.NO_MAX;
                if (rnd.nextInt(3) == 0) {
                    min = DISK_BASE + rnd.nextLong(DISK_SIZE);
                    if (rnd.nextBoolean()) {
                        min -= min % PAGE;
                    }
                }
                if (rnd.nextInt(3) == 0) {
                    max = min + size + rnd.nextLong(rnd.nextBoolean() ? 1L << 22 : 1L << 34);
                }
                try {
                    return new Constraints(size, align, phase, nocross, min, max);
                } catch (IllegalArgumentException e) {
                    continue;
                }
            }
        }

        private Constraints tenantConstraints() {
            while (true) {
                long size = (1 + rnd.nextInt(8)) * PAGE;
                long align = PAGE << rnd.nextInt(5);
                long phase = rnd.nextInt(3) == 0 ? PAGE * rnd.nextLong(align / PAGE) : 0;
                long nocross = rnd.nextInt(4) == 0 ? 1L << (17 + rnd.nextInt(4)) : 0;
                long min = 0;
                long max = Constraints.NO_MAX;
                if (rnd.nextInt(5) == 0) {
                    min = DISK_BASE + PAGE * rnd.nextLong(DISK_SIZE / PAGE);
                    if (rnd.nextBoolean()) {
                        max = min + size + PAGE * rnd.nextLong(1 << 12);
                    }
                }
                try {
                    return new Constraints(size, align, phase, nocross, min, max);
                } catch (IllegalArgumentException e) {
                    continue;
                }
            }
        }

        private long exec(Item it) {
            if (it.kind == 'c') {
                arenas.put(SCRATCH, store.createArena(ArenaDefinition.of(SCRATCH, PAGE).withSource(DISK,
                        SCRATCH_IMPORT_QUANTUM)));
                return 0;
            }
            if (it.kind == 'd') {
                store.dropArena(SCRATCH);
                return 0;
            }
            PersistentArena a = arenas.get(it.arena);
            switch (it.kind) {
                case 'a':
                    return a.alloc(it.size, it.policy);
                case 'x':
                    return a.xalloc(it.constraints, it.policy);
                default:
                    if (it.freeWithSize) {
                        a.free(it.block[0], it.block[1]);
                    } else {
                        a.free(it.block[0]);
                    }
                    return it.block[0];
            }
        }

        private void run(List<Item> items, boolean asBatch) {
            emit("S " + tid + " " + describe(items));
            long[] results = new long[items.size()];
            long ticket;
            Durability asked = null;
            try {
                if (levelRun != null) {
                    // The ticket is the sequence number the unit's record will get: the next one, as the
                    // store's lock is held from here until the record is appended.
                    Supplier<Long> work = () -> {
                        long t = store.stats().appendedSeq() + 1;
                        for (int i = 0; i < items.size(); i++) {
                            results[i] = exec(items.get(i));
                        }
                        return t;
                    };
                    if (levelRun.level() == Durability.BUFFERED && rnd.nextInt(50) == 0) {
                        asked = rnd.nextBoolean() ? Durability.WRITE : Durability.SYNC;
                        ticket = store.batch(asked, work);
                    } else {
                        ticket = store.batch(work);
                    }
                } else if (asBatch) {
                    ticket = store.batch(() -> {
                        long t = TICKETS.incrementAndGet();
                        for (int i = 0; i < items.size(); i++) {
                            results[i] = exec(items.get(i));
                        }
                        return t;
                    });
                } else {
                    ticket = -1;
                    results[0] = exec(items.get(0));
                }
            } catch (ArenaExhaustedException e) {
                undoCreate(items);
                emit("N " + tid + " exhausted");
                return;
            } catch (IllegalArgumentException e) {
                if (String.valueOf(e.getMessage()).contains("over-constrained")) {
                    undoCreate(items);
                    emit("N " + tid + " over-constrained");
                    return;
                }
                throw e;
            }
            for (int i = 0; i < items.size(); i++) {
                items.get(i).base = results[i];
            }
            emit("K " + tid + " " + (ticket < 0 ? "-" : Long.toString(ticket)) + (asked == null ? "" : "@" + asked)
                    + " " + describe(items));
            for (Item it : items) {
                List<long[]> mine = own.get(it.arena);
                if (it.kind == 'c') {
                    mine.clear();
                } else if (it.kind == 'd') {
                    mine.clear();
                    arenas.remove(SCRATCH);
                } else if (it.kind == 'f') {
                    mine.remove(it.block);
                } else {
                    long q = arenas.get(it.arena).quantum();
                    mine.add(new long[] {it.base, (it.size + q - 1) / q * q});
                }
            }
        }

        /** A unit that created the scratch arena was taken back: the arena does not exist. */
        private void undoCreate(List<Item> items) {
            for (Item it : items) {
                if (it.kind == 'c') {
                    arenas.remove(SCRATCH);
                }
            }
        }
    }
}

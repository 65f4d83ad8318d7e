package dev.vmem.store;

import dev.vmem.ArenaExhaustedException;
import dev.vmem.Constraints;
import dev.vmem.Policy;
import dev.vmem.store.PowerLossLog.AckKind;
import dev.vmem.store.PowerLossLog.Acked;
import dev.vmem.store.PowerLossLog.Began;
import dev.vmem.store.PowerLossLog.Failed;
import dev.vmem.store.PowerLossLog.FreeStarted;
import dev.vmem.store.PowerLossLog.SyncCalled;
import dev.vmem.store.PowerLossLog.SyncReturned;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

/**
 * The run {@link PowerLossTest} records: a store with tiny settings, so that checkpoints land every few
 * dozen operations, and a few threads allocating and freeing in three arenas, alone and in batches, each
 * telling the {@link PowerLossLog} what was acknowledged.
 *
 * <p>The store is created and its arenas set up with checkpoints only at close, as a store with default
 * settings (a checkpoint every 10 s) starts: its first operations are journalled before any checkpoint.
 * Then come two phases of work, each after a reopen (so the history also holds opens of a store with a
 * past). In the first, journal segments roll over past 4 KiB, every hundred records or so.
 * Such a segment has one page boundary, at its end, crossed only by its last record, so a power loss can
 * never keep a later page of unsynced records without an earlier one; in the second phase segments roll
 * over past 16 KiB, and unsynced records straddle interior page boundaries.
 *
 * <p>The arenas: {@value #IDS} hands out identifiers over 2^40 values, mostly with NEXT_FIT; {@value #DISK}
 * hands out extents of 4 KiB pages over 2^36 bytes (NEXT_FIT, and constrained INSTANT_FIT / BEST_FIT);
 * {@value #TENANT} imports from {@value #DISK} {@value #TENANT_IMPORT_QUANTUM} bytes at a time and gives
 * spans back when they empty. Neither NEXT_FIT arena can wrap its rotor in a run of seconds, and no
 * NEXT_FIT request has a min or max, so every value NEXT_FIT acknowledged stays behind its rotor. Each
 * thread frees only what it allocated. {@value #RING} is the opposite: {@value #RING_SIZE} identifiers,
 * allocated with NEXT_FIT only and by thread 1 only (so the order of its acknowledgements is the order of
 * its records), whose rotor comes round every fifty allocations or so.
 *
 * <h2>Durability</h2>
 * The run is at one {@link Durability} level: the store's default ({@link Setting}). About a batch in three
 * asks for a level of its own, and now and then a thread calls {@link VmemStore#sync()}, which the log
 * records as a barrier ({@link PowerLossLog.SyncCalled}), as is each clean close. The rotor reserve is
 * small (8 to 256 quanta), so that below SYNC rotor marks are journalled, waited for and extended in the
 * background all the time, and the ring's rotor wraps past them.
 */
final class PowerLossWorkload {
    static final String IDS = "ids";
    static final String DISK = "disk";
    static final String TENANT = "tenant";
    static final String RING = "ring";
    static final long RING_SIZE = 256;
    /** The only thread that uses {@value #RING}. */
    static final int RING_THREAD = 1;
    static final long PAGE = 4096;
    static final long IDS_BASE = 1000;
    static final long IDS_SIZE = 1L << 40;
    static final long DISK_SIZE = 1L << 36;
    static final long TENANT_IMPORT_QUANTUM = 16 * PAGE;
    /** The arenas whose NEXT_FIT rotor never wraps here, with the size of a probe. */
    static final Map<String, Long> NEXT_FIT_PROBES = Map.of(IDS, 1L, DISK, PAGE);
    /** The quantum of each arena. */
    static final Map<String, Long> QUANTA = Map.of(IDS, 1L, DISK, PAGE, TENANT, PAGE, RING, 1L);

    /**
     * How a run is configured: the store's default level, its flush interval and its rotor reserve (in
     * quanta), chosen from the seed.
     */
    record Setting(Durability level, Duration flushInterval, long rotorReserve) {
        static Setting of(long seed, Durability level) {
            Random r = new Random(seed ^ 0x5DEECE66DL * (level.ordinal() + 1));
            // From 128 the first step is 2 quanta and marks are extended in the background at half use; below,
            // the step is 1 and every unit below SYNC that moves a rotor waits for its mark.
            return new Setting(level, Duration.ofMillis(20 + r.nextInt(81)), r.nextInt(3) == 0 ? 8 : 128L << r.nextInt(2));
        }
    }

    private PowerLossWorkload() {
    }

    /** Journal segment sizes of the phases. */
    private static final long[] SEGMENT_BYTES = {4096, 16384};

    /** The tiny settings: a checkpoint every 4 KiB of journal or 20 ms. */
    static StoreOptions options(Path dir, long segmentBytes, Setting setting) {
        return StoreOptions.builder(dir).journalSegmentBytes(segmentBytes).checkpointBytes(4096)
                .checkpointInterval(Duration.ofMillis(20)).durability(setting.level())
                .flushInterval(setting.flushInterval()).rotorReserve(setting.rotorReserve()).build();
    }

    /**
     * Creates a store in the empty directory {@code dir} through a {@link RecordingFiles}, runs
     * {@code threads} threads on it for {@code length} in all, and closes it, all recorded in {@code log}.
     * Returns the store's statistics at the end of each phase of work.
     */
    static List<StoreStats> run(Path dir, long seed, int threads, Duration length, Setting setting, PowerLossLog log)
            throws Exception {
        // StoreDirectory.prepare writes FORMAT outside the seam, forces it and fsyncs the directory itself.
        RecordingFiles files = new RecordingFiles(dir, log, Set.of(StoreFormat.FORMAT_FILE));
        AtomicInteger units = new AtomicInteger();
        List<Worker> workers = new ArrayList<>();
        for (int t = 1; t <= threads; t++) {
            workers.add(new Worker(log, units, setting.level(), t, new Random(seed * 1_000_003L + t)));
        }
        VmemStore created = VmemStore.open(StoreOptions.builder(dir).journalSegmentBytes(SEGMENT_BYTES[0])
                .checkpointInterval(Duration.ZERO).durability(setting.level())
                .flushInterval(setting.flushInterval()).rotorReserve(setting.rotorReserve()).build(), files.hooks());
        try {
            setUp(created, log, units, setting.level());
        } finally {
            closeAsBarrier(created, log);
        }
        List<StoreStats> stats = new ArrayList<>();
        for (long segmentBytes : SEGMENT_BYTES) {
            VmemStore store = VmemStore.open(options(dir, segmentBytes, setting), files.hooks());
            try {
                runPhase(store, workers, System.nanoTime() + length.toNanos() / SEGMENT_BYTES.length);
                stats.add(store.stats());
            } finally {
                closeAsBarrier(store, log);
            }
        }
        return stats;
    }

    /** A clean close makes everything acknowledged durable: the log records it as a barrier. */
    private static void closeAsBarrier(VmemStore store, PowerLossLog log) {
        int barrier = log.appendNumbered(n -> new SyncCalled(0, n));
        store.close();
        log.append(new SyncReturned(barrier));
    }

    private static void runPhase(VmemStore store, List<Worker> workers, long deadline) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> running = new ArrayList<>();
        for (Worker w : workers) {
            Thread th = new Thread(() -> {
                try {
                    w.run(store, deadline);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "powerloss-worker-" + w.tid);
            running.add(th);
            th.start();
        }
        for (Thread th : running) {
            th.join();
        }
        if (failure.get() != null) {
            throw new AssertionError("a worker of the recorded run failed", failure.get());
        }
    }

    /** The arenas and their spans, each a unit at the store's default level. */
    private static void setUp(VmemStore store, PowerLossLog log, AtomicInteger units, Durability level) {
        BiConsumer<Runnable, Acked> unit = (work, acked) -> {
            log.append(new Began(0, acked.unit(), level, Map.of()));
            work.run();
            log.append(acked);
        };
        unit.accept(() -> store.createArena(ArenaDefinition.of(IDS, 1)),
                new Acked(0, units.incrementAndGet(), level, AckKind.CREATE, IDS, null, 0, 0));
        unit.accept(() -> store.arena(IDS).addSpan(IDS_BASE, IDS_SIZE),
                new Acked(0, units.incrementAndGet(), level, AckKind.SPAN, IDS, null, IDS_BASE, IDS_SIZE));
        unit.accept(() -> store.createArena(ArenaDefinition.of(DISK, PAGE)),
                new Acked(0, units.incrementAndGet(), level, AckKind.CREATE, DISK, null, 0, 0));
        unit.accept(() -> store.arena(DISK).addSpan(0, DISK_SIZE),
                new Acked(0, units.incrementAndGet(), level, AckKind.SPAN, DISK, null, 0, DISK_SIZE));
        unit.accept(() -> store.createArena(ArenaDefinition.of(TENANT, PAGE).withSource(DISK, TENANT_IMPORT_QUANTUM)),
                new Acked(0, units.incrementAndGet(), level, AckKind.CREATE, TENANT, null, 0, 0));
        unit.accept(() -> store.createArena(ArenaDefinition.of(RING, 1)),
                new Acked(0, units.incrementAndGet(), level, AckKind.CREATE, RING, null, 0, 0));
        unit.accept(() -> store.arena(RING).addSpan(0, RING_SIZE),
                new Acked(0, units.incrementAndGet(), level, AckKind.SPAN, RING, null, 0, RING_SIZE));
    }

    /** One allocation or free: a free names its block, an allocation gets its base when it runs. */
    private static final class Item {
        final String arena;
        final boolean free;
        final long size;
        final Policy policy;
        final Constraints constraints;
        long base;

        Item(String arena, boolean free, long size, Policy policy, Constraints constraints, long base) {
            this.arena = arena;
            this.free = free;
            this.size = size;
            this.policy = policy;
            this.constraints = constraints;
            this.base = base;
        }

        long rounded() {
            long q = QUANTA.get(arena);
            return (size + q - 1) / q * q;
        }
    }

    /** One thread: its own blocks and its own random stream, kept across the phases. */
    private static final class Worker {
        private final PowerLossLog log;
        private final AtomicInteger units;
        private final Durability byDefault;
        private final int tid;
        private final Random rnd;
        private VmemStore store;
        private final Map<String, PersistentArena> arenas = new HashMap<>();
        private final Map<String, List<long[]>> own = new HashMap<>();

        Worker(PowerLossLog log, AtomicInteger units, Durability byDefault, int tid, Random rnd) {
            this.log = log;
            this.units = units;
            this.byDefault = byDefault;
            this.tid = tid;
            this.rnd = rnd;
            for (String a : List.of(IDS, DISK, TENANT, RING)) {
                own.put(a, new ArrayList<>());
            }
        }

        void run(VmemStore store, long deadline) {
            this.store = store;
            for (String a : List.of(IDS, DISK, TENANT, RING)) {
                arenas.put(a, store.arena(a));
            }
            while (System.nanoTime() < deadline) {
                if (rnd.nextInt(100) < 2) {
                    int barrier = log.appendNumbered(n -> new SyncCalled(tid, n));
                    store.sync();
                    log.append(new SyncReturned(barrier));
                }
                List<Item> items = new ArrayList<>();
                if (rnd.nextInt(100) < 15) {
                    List<long[]> freeing = new ArrayList<>();
                    for (int n = 2 + rnd.nextInt(3); n > 0; n--) {
                        Item it = item(arena(), freeing);
                        if (it != null) {
                            items.add(it);
                        }
                    }
                    execute(items, true);
                } else {
                    Item it = item(arena(), new ArrayList<>());
                    if (it != null) {
                        items.add(it);
                        execute(items, false);
                    }
                }
            }
        }

        private String arena() {
            int r = rnd.nextInt(100);
            return tid == RING_THREAD && r < 25 ? RING : r < 45 ? IDS : r < 75 ? DISK : TENANT;
        }

        /** An allocation, or a free of a block this thread owns and has not put in {@code freeing}. */
        private Item item(String arena, List<long[]> freeing) {
            List<long[]> mine = own.get(arena);
            int available = mine.size() - freeing.size();
            if (arena.equals(RING)) {
                // At most 24 blocks of at most 8: the ring never fills, and its rotor comes round every ~50.
                if (available >= 6 && (available >= 24 || rnd.nextBoolean())) {
                    long[] b = mine.get(rnd.nextInt(mine.size()));
                    if (freeing.contains(b)) {
                        return null;
                    }
                    freeing.add(b);
                    return new Item(RING, true, b[1], null, null, b[0]);
                }
                return new Item(RING, false, 1 + rnd.nextInt(8), Policy.NEXT_FIT, null, -1);
            }
            if (available >= 20 && (available >= 150 || rnd.nextInt(100) >= 55)) {
                long[] b = mine.get(rnd.nextInt(mine.size()));
                if (freeing.contains(b)) {
                    return null;
                }
                freeing.add(b);
                return new Item(arena, true, b[1], null, null, b[0]);
            }
            Policy fit = rnd.nextBoolean() ? Policy.INSTANT_FIT : Policy.BEST_FIT;
            switch (arena) {
                case IDS:
                    long size = rnd.nextInt(10) == 0 ? 1 + rnd.nextInt(4) : 1;
                    return new Item(IDS, false, size, rnd.nextInt(100) < 85 ? Policy.NEXT_FIT : fit, null, -1);
                case DISK:
                    long pages = 1 + rnd.nextInt(8);
                    if (rnd.nextInt(100) < 30) {
                        return new Item(DISK, false, pages * PAGE, Policy.NEXT_FIT, null, -1);
                    }
                    long bytes = pages * PAGE - (rnd.nextInt(4) == 0 ? rnd.nextInt((int) PAGE) : 0);
                    long align = PAGE << rnd.nextInt(6);
                    long nocross = rnd.nextInt(3) == 0
                            ? Math.max(align, Long.highestOneBit(pages * PAGE) << (1 + rnd.nextInt(4))) : 0;
                    return new Item(DISK, false, bytes, fit,
                            new Constraints(bytes, align, 0, nocross, 0, Constraints.NO_MAX), -1);
                default:
                    long tenantBytes = (1 + rnd.nextInt(rnd.nextBoolean() ? 4 : 16)) * PAGE
                            - (rnd.nextInt(4) == 0 ? 1 + rnd.nextInt((int) PAGE - 1) : 0);
                    return new Item(TENANT, false, tenantBytes, fit, null, -1);
            }
        }

        private long exec(Item it) {
            PersistentArena a = arenas.get(it.arena);
            if (it.free) {
                a.free(it.base, it.size);
                return it.base;
            }
            return it.constraints != null ? a.xalloc(it.constraints, it.policy) : a.alloc(it.size, it.policy);
        }

        private void execute(List<Item> items, boolean asBatch) {
            if (items.isEmpty()) {
                return;
            }
            // About a batch in three asks for a level of its own, any of the three.
            Durability asked = asBatch && rnd.nextInt(3) == 0 ? Durability.values()[rnd.nextInt(3)] : null;
            Durability level = asked != null ? asked : byDefault;
            int unit = units.incrementAndGet();
            Map<String, Long> nextFit = new HashMap<>();
            for (Item it : items) {
                if (!it.free && it.policy == Policy.NEXT_FIT) {
                    nextFit.merge(it.arena, it.rounded(), Long::sum);
                }
            }
            log.append(new Began(tid, unit, level, Map.copyOf(nextFit)));
            for (Item it : items) {
                if (it.free) {
                    log.append(new FreeStarted(tid, it.arena, it.base, it.rounded()));
                }
            }
            try {
                if (asked != null) {
                    store.batch(asked, () -> items.forEach(it -> it.base = exec(it)));
                } else if (asBatch) {
                    store.batch(() -> items.forEach(it -> it.base = exec(it)));
                } else {
                    items.get(0).base = exec(items.get(0));
                }
            } catch (ArenaExhaustedException e) {
                log.append(new Failed(unit));
                return; // nothing changed; a free started above may be taken as gone, which is allowed
            }
            // The call returned for all the items at once: a cut between their events would leave some in flight.
            List<Acked> acked = new ArrayList<>();
            for (Item it : items) {
                acked.add(new Acked(tid, unit, level, it.free ? AckKind.FREE : AckKind.ALLOC, it.arena, it.policy,
                        it.base, it.rounded()));
            }
            log.appendAll(acked);
            for (Item it : items) {
                List<long[]> mine = own.get(it.arena);
                if (it.free) {
                    mine.removeIf(b -> b[0] == it.base);
                } else {
                    mine.add(new long[] {it.base, it.rounded()});
                }
            }
        }
    }
}

package dev.vmem;

import java.lang.reflect.Field;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Where the time of {@code IdPoolBenchmark}'s NEXT_FIT step goes (free a random live ID, allocate one by
 * NEXT_FIT, 1,000,000 IDs in a dense span), one layer of the arena at a time, each run on its own state:
 *
 * <ul>
 *   <li>{@code bitmap-locked}: the floor of any checked, thread-safe pool: one bitmap searched word by word
 *       from a cursor, a free that refuses an ID not in use, and the arena's kind of lock. This is the locked
 *       cursor {@code BitSet} of {@code IdPoolBenchmark} plus the check.</li>
 *   <li>{@code bitmaps}: the dense span's bits alone ({@code QuantumBitmaps}): the used and start bitmaps,
 *       their summaries, the one-quantum check of a free, and the marks of the groups whose free runs changed.</li>
 *   <li>{@code bitmaps-locked}: the same under the lock: the floor of the dense form as it is.</li>
 *   <li>{@code dense-span}: {@code DenseSpan}'s one-quantum calls (its counts, the size-class switch).</li>
 *   <li>{@code engine}: {@code ArenaEngine.free} and {@code place} (the arena-wide counts, the form rule,
 *       change events, the rotor), without the lock.</li>
 *   <li>{@code engine-locked}: the same under the lock, as the arena takes it for each call.</li>
 *   <li>{@code arena}: the public calls, as {@code IdPoolBenchmark} makes them.</li>
 * </ul>
 *
 * <pre>
 *   java -jar target/benchmarks.jar IdPathLayersBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 10, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Fork(1)
@State(Scope.Thread)
public class IdPathLayersBenchmark {
    static final int IDS = 1_000_000;

    @Param({"10", "50", "90"})
    public int occupancy;

    @Param({"bitmap-locked", "bitmaps", "bitmaps-locked", "dense-span", "engine", "engine-locked", "arena"})
    public String layer;

    private Arena arena;
    private ArenaEngine engine;
    private DenseSpan span;
    private QuantumBitmaps bits;
    private long[] bitmap;
    private final ReentrantLock lock = new ReentrantLock();
    private long[] live;
    private SplittableRandom rnd;
    private long rotor;
    /** What the lower layers count, so that they do the arena's least bookkeeping too. */
    private long allocated;

    @Setup
    public void fill() throws ReflectiveOperationException {
        rnd = new SplittableRandom(42);
        live = new long[IDS * occupancy / 100];
        arena = Arena.builder("ids").quantum(1).span(0, IDS).build();
        for (int i = 0; i < live.length; i++) {
            live[i] = arena.alloc(1, Policy.NEXT_FIT);
        }
        // Churn as IdPoolBenchmark does, so that the free IDs are scattered and the span is dense.
        for (int i = 0; i < live.length; i++) {
            int k = rnd.nextInt(live.length);
            arena.free(live[k], 1);
            live[k] = arena.alloc(1, Policy.NEXT_FIT);
        }
        engine = arena.engine;
        if (engine.forms.dense.size() != 1) {
            throw new IllegalStateException("the pool is not one dense span: " + engine.forms.dense.size());
        }
        span = engine.forms.dense.get(0).bits;
        Field f = DenseSpan.class.getDeclaredField("bits");
        f.setAccessible(true);
        bits = (QuantumBitmaps) f.get(span);
        rotor = engine.rotor;
        bitmap = new long[(IDS + 63) / 64];
        for (long id : live) {
            bitmap[(int) (id >>> 6)] |= 1L << id;
        }
    }

    @Benchmark
    public long step() {
        int i = rnd.nextInt(live.length);
        long id;
        switch (layer) {
            case "bitmap-locked" -> {
                freeLocked(live[i]);
                id = allocLocked();
            }
            case "bitmaps" -> {
                freeBits(live[i]);
                id = allocBits();
            }
            case "bitmaps-locked" -> {
                lock.lock();
                try {
                    freeBits(live[i]);
                } finally {
                    lock.unlock();
                }
                lock.lock();
                try {
                    id = allocBits();
                } finally {
                    lock.unlock();
                }
            }
            case "dense-span" -> {
                if (!span.freeOne(live[i])) {
                    throw new IllegalStateException("not a live ID: " + live[i]);
                }
                id = span.takeOneFrom(rotor);
                if (id == Arena.NONE) {
                    id = span.takeOneFrom(0);
                }
                rotor = id + 1;
            }
            case "engine" -> {
                engine.free(live[i], 1);
                id = engine.place(engine.plainRequest(1, Policy.NEXT_FIT));
            }
            case "engine-locked" -> {
                lock.lock();
                try {
                    engine.free(live[i], 1);
                } finally {
                    lock.unlock();
                }
                lock.lock();
                try {
                    id = engine.place(engine.plainRequest(1, Policy.NEXT_FIT));
                } finally {
                    lock.unlock();
                }
            }
            default -> {
                arena.free(live[i], 1);
                id = arena.alloc(1, Policy.NEXT_FIT);
            }
        }
        live[i] = id;
        return id;
    }

    private void freeLocked(long id) {
        lock.lock();
        try {
            int w = (int) (id >>> 6);
            if ((bitmap[w] & (1L << id)) == 0) {
                throw new IllegalStateException("not a live ID: " + id);
            }
            bitmap[w] &= ~(1L << id);
            allocated--;
        } finally {
            lock.unlock();
        }
    }

    private long allocLocked() {
        lock.lock();
        try {
            long id = nextClear(rotor);
            if (id >= IDS) {
                id = nextClear(0);
            }
            bitmap[(int) (id >>> 6)] |= 1L << id;
            rotor = id + 1;
            allocated++;
            return id;
        } finally {
            lock.unlock();
        }
    }

    private long nextClear(long from) {
        int w = (int) (from >>> 6);
        if (w >= bitmap.length) {
            return IDS;
        }
        long free = ~bitmap[w] & (-1L << from);
        while (free == 0) {
            if (++w == bitmap.length) {
                return IDS;
            }
            free = ~bitmap[w];
        }
        return Math.min(IDS, ((long) w << 6) + Long.numberOfTrailingZeros(free));
    }

    private void freeBits(long id) {
        if (!bits.isSingle(id)) {
            throw new IllegalStateException("not a live ID: " + id);
        }
        bits.releaseOne(id);
        allocated--;
    }

    private long allocBits() {
        long id = bits.nextFree(rotor);
        if (id >= IDS) {
            id = bits.nextFree(0);
        }
        bits.takeOne(id);
        rotor = id + 1;
        allocated++;
        return id;
    }
}

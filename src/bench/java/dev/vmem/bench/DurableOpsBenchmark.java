package dev.vmem.bench;

import dev.vmem.Policy;
import dev.vmem.store.ArenaDefinition;
import dev.vmem.store.PersistentArena;
import dev.vmem.store.StoreOptions;
import dev.vmem.store.VmemStore;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.mapdb.BTreeMap;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Durable operations per second: a store's alloc or free (each acknowledged after fsync) against raw
 * writes + fsync of a record of the same size, 49 bytes in journal format 2 (appending to a growing file,
 * and writing into a file filled with zeros beforehand, so that fdatasync has no file size to commit: the
 * physical limit), and the naive design (a MapDB put + commit per operation). Run with 1 and with 8 threads:
 *
 * <pre>
 *   java -jar target/benchmarks.jar DurableOpsBenchmark -t 1
 *   java -jar target/benchmarks.jar DurableOpsBenchmark -t 8
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
@State(Scope.Benchmark)
public class DurableOpsBenchmark {
    /** Journal record of one alloc or free: 16-byte header + 25-byte payload. */
    static final int RECORD_BYTES = 49;

    @Param({"vmem", "raw-fsync", "raw-prealloc", "mapdb-commit"})
    public String peer;

    Path dir;
    VmemStore store;
    PersistentArena arena;
    FileChannel raw;
    DB db;
    BTreeMap<Long, Long> map;
    final AtomicLong keys = new AtomicLong();
    /** raw-prealloc: the file's size and the next write position. */
    static final long PREALLOCATED = 256L << 20;
    final AtomicLong position = new AtomicLong();

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("vmem-bench");
        switch (peer) {
            case "vmem":
                store = VmemStore.open(StoreOptions.of(dir.resolve("store")));
                arena = store.createArena(ArenaDefinition.of("ids", 1));
                arena.addSpan(0, 1L << 40);
                break;
            case "raw-fsync":
                raw = FileChannel.open(dir.resolve("raw.log"), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND);
                break;
            case "raw-prealloc":
                raw = FileChannel.open(dir.resolve("raw.log"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                ByteBuffer zeros = ByteBuffer.allocate(1 << 20);
                for (long at = 0; at < PREALLOCATED; at += zeros.capacity()) {
                    zeros.clear();
                    raw.write(zeros, at);
                }
                raw.force(true);
                break;
            default:
                db = DBMaker.fileDB(dir.resolve("mapdb.db").toFile()).transactionEnable().fileChannelEnable().make();
                map = db.treeMap("m", Serializer.LONG, Serializer.LONG).createOrOpen();
                break;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (store != null) {
            store.close();
        }
        if (raw != null) {
            raw.close();
        }
        if (db != null) {
            db.close();
        }
        deleteTree(dir.toFile());
    }

    /** Each thread alternates allocating and freeing, keeping a few blocks live. */
    @State(Scope.Thread)
    public static class Live {
        final ArrayDeque<Long> blocks = new ArrayDeque<>();
        final ByteBuffer record = ByteBuffer.allocate(RECORD_BYTES);
    }

    @Benchmark
    public long durableOperation(Live live) throws IOException {
        switch (peer) {
            case "vmem":
                if (live.blocks.size() < 8) {
                    long b = arena.alloc(1, Policy.INSTANT_FIT);
                    live.blocks.add(b);
                    return b;
                }
                long b = live.blocks.poll();
                arena.free(b);
                return b;
            case "raw-fsync":
                live.record.clear();
                live.record.putLong(0, keys.incrementAndGet());
                raw.write(live.record);
                raw.force(false);
                return live.record.getLong(0);
            case "raw-prealloc":
                live.record.clear();
                live.record.putLong(0, keys.incrementAndGet());
                raw.write(live.record, position.getAndAdd(RECORD_BYTES) % (PREALLOCATED - RECORD_BYTES));
                raw.force(false);
                return live.record.getLong(0);
            default:
                long k = keys.incrementAndGet();
                synchronized (this) {
                    map.put(k, k);
                    db.commit();
                }
                return k;
        }
    }

    static void deleteTree(File f) {
        File[] children = f.listFiles();
        if (children != null) {
            for (File c : children) {
                deleteTree(c);
            }
        }
        if (!f.delete() && f.exists()) {
            f.deleteOnExit();
        }
    }
}

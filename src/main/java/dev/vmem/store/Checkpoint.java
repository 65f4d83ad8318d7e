package dev.vmem.store;

import dev.vmem.ArenaState;
import dev.vmem.ArenaStats;
import dev.vmem.Quarantine;
import dev.vmem.Segment;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import net.jpountz.xxhash.XXHashFactory;
import org.mapdb.BTreeMap;
import org.mapdb.CC;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;
import org.slf4j.LoggerFactory;

/**
 * One checkpoint generation: a MapDB file holding a {@link StoreImage} (layout: {@link StoreFormat}).
 * MapDB runs without its own transactions (its commit is not crash-safe: a kill inside it can tear the
 * file, and its write-ahead log is not replayed on open): a checkpoint file is written whole into a
 * fresh file, fsynced, and only trusted when it opens, says {@code complete}, and its content matches
 * the CRC32C recorded in its meta map. The journal keeps every record the older of the two generations
 * lacks, so a damaged checkpoint is never the only copy.
 */
final class Checkpoint {
    private Checkpoint() {
    }

    private static DB open(Path file, boolean readOnly) {
        JavaXxHash.beforeMapDb();
        DBMaker.Maker maker = DBMaker.fileDB(file.toFile()).fileChannelEnable().fileLockDisable();
        if (readOnly) {
            maker = maker.readOnly();
        }
        return maker.make();
    }

    /**
     * Writes {@code image} as a new file at {@code file} (replacing it) and makes it durable, on a thread that no
     * caller's interrupt reaches (see {@link Interrupts#isolated}).
     */
    static void write(StoreFiles files, Path file, StoreImage image) throws IOException {
        Interrupts.isolated(() -> {
            writeOnce(files, file, image);
            return null;
        });
    }

    private static void writeOnce(StoreFiles files, Path file, StoreImage image) throws IOException {
        files.delete(file);
        files.syncDirectory(file.getParent());
        CRC32C crc = new CRC32C();
        updateMeta(crc, StoreFormat.VERSION, image.seq, image.epoch, image.arenas.size());
        DB db = open(file, false);
        try {
            FileModes.restrict(file); // MapDB created it, with the umask's mode
            BTreeMap<String, Long> meta = db.treeMap(StoreFormat.MAP_META, Serializer.STRING, Serializer.LONG).createOrOpen();
            BTreeMap<Integer, byte[]> arenas = db.treeMap(StoreFormat.MAP_ARENAS, Serializer.INTEGER, Serializer.BYTE_ARRAY)
                    .createOrOpen();
            BTreeMap<long[], long[]> spans = db.treeMap(StoreFormat.MAP_SPANS, Serializer.LONG_ARRAY, Serializer.LONG_ARRAY)
                    .createOrOpen();
            BTreeMap<long[], byte[]> allocations = db.treeMap(StoreFormat.MAP_PACKED_ALLOCATIONS, Serializer.LONG_ARRAY,
                    Serializer.BYTE_ARRAY).valuesOutsideNodesEnable().createOrOpen();
            BTreeMap<long[], long[]> quarantine = db.treeMap(StoreFormat.MAP_QUARANTINE, Serializer.LONG_ARRAY,
                    Serializer.LONG_ARRAY).createOrOpen();
            for (Map.Entry<Integer, StoreImage.ArenaImage> e : image.arenas.entrySet()) {
                int id = e.getKey();
                ArenaState state = e.getValue().state();
                byte[] header = encodeArena(e.getValue().definition, state);
                arenas.put(id, header);
                crc.update(header);
                for (Segment span : state.spans()) {
                    long[] value = {span.size(), span.kind() == Segment.Kind.IMPORTED_SPAN ? 1 : 0};
                    spans.put(new long[] {id, span.base()}, value);
                    update(crc, id, span.base(), value);
                }
                long[] a = state.allocations();
                int shift = Long.numberOfTrailingZeros(e.getValue().definition.quantum());
                for (int from = 0; from < a.length / 2; from += StoreFormat.CHUNK_PAIRS) {
                    byte[] chunk = PackedAllocations.encode(a, from, Math.min(a.length / 2, from + StoreFormat.CHUNK_PAIRS), shift);
                    allocations.put(new long[] {id, a[2 * from]}, chunk);
                    update(crc, id, a[2 * from], chunk);
                }
                CheckpointQuarantine.write(meta, quarantine, crc, id, e.getValue().definition.quarantine(),
                        state.quarantine());
                long mark = e.getValue().mark;
                if (mark != RotorMarks.NONE) {
                    meta.put(StoreFormat.META_MARK_PREFIX + id, mark);
                    update(crc, id, StoreFormat.CHECKSUM_MARK_KEY, new long[] {mark});
                }
            }
            meta.put(StoreFormat.META_VERSION, (long) StoreFormat.VERSION);
            meta.put(StoreFormat.META_SEQ, image.seq);
            meta.put(StoreFormat.META_EPOCH, image.epoch);
            meta.put(StoreFormat.META_ARENAS, (long) image.arenas.size());
            meta.put(StoreFormat.META_CHECKSUM, crc.getValue());
            meta.put(StoreFormat.META_COMPLETE, 1L);
        } finally {
            db.close();
        }
        Interrupts.force(file);
        files.writtenOutside(file);
        files.syncDirectory(file.getParent());
    }

    /** The sequence number a complete checkpoint file reflects, or -1 if it is missing or unreadable. */
    static long peekSeq(Path file) {
        return peek(file)[0];
    }

    /**
     * {@code {seq, epoch}} of a complete checkpoint file, or {@code {-1, -1}} if it is missing or
     * unreadable. (Files written before epochs were recorded have epoch 0.)
     */
    static long[] peek(Path file) {
        if (!Files.isRegularFile(file)) {
            return new long[] {-1, -1};
        }
        try {
            return Interrupts.isolated(() -> peekOnce(file));
        } catch (RuntimeException e) {
            return new long[] {-1, -1};
        }
    }

    private static long[] peekOnce(Path file) {
        DB db = open(file, true);
        try {
            BTreeMap<String, Long> meta = db.treeMap(StoreFormat.MAP_META, Serializer.STRING, Serializer.LONG).open();
            Long complete = meta.get(StoreFormat.META_COMPLETE);
            Long seq = meta.get(StoreFormat.META_SEQ);
            Long epoch = meta.get(StoreFormat.META_EPOCH);
            return complete != null && complete == 1L && seq != null
                    ? new long[] {seq, epoch == null ? 0 : epoch} : new long[] {-1, -1};
        } finally {
            db.close();
        }
    }

    /**
     * Reads and verifies a checkpoint file.
     *
     * @throws StoreCorruptedException if it does not open, is incomplete, or fails its checksum
     */
    static StoreImage read(Path file) {
        return Interrupts.isolated(() -> readOnce(file)); // MapDB would take an interrupt for damage
    }

    private static StoreImage readOnce(Path file) {
        DB db;
        try {
            db = open(file, true);
        } catch (RuntimeException e) {
            throw new StoreCorruptedException(file, -1, "checkpoint does not open: " + e, e);
        }
        try {
            BTreeMap<String, Long> meta = db.treeMap(StoreFormat.MAP_META, Serializer.STRING, Serializer.LONG).open();
            Long version = meta.get(StoreFormat.META_VERSION);
            Long seq = meta.get(StoreFormat.META_SEQ);
            Long count = meta.get(StoreFormat.META_ARENAS);
            if (version == null || !StoreFormat.readable(version) || !Long.valueOf(1).equals(meta.get(StoreFormat.META_COMPLETE))
                    || seq == null || count == null) {
                throw new StoreCorruptedException(file, -1, "checkpoint is incomplete or of format version "
                        + version);
            }
            StoreImage image = new StoreImage(seq);
            Long epoch = meta.get(StoreFormat.META_EPOCH);
            image.epoch = epoch == null ? 0 : epoch;
            BTreeMap<Integer, byte[]> arenas = db.treeMap(StoreFormat.MAP_ARENAS, Serializer.INTEGER, Serializer.BYTE_ARRAY).open();
            BTreeMap<long[], long[]> spans = db.treeMap(StoreFormat.MAP_SPANS, Serializer.LONG_ARRAY, Serializer.LONG_ARRAY).open();
            BTreeMap<long[], long[]> pairMap = version >= 4 ? null : db.treeMap(StoreFormat.MAP_ALLOCATIONS,
                    Serializer.LONG_ARRAY, Serializer.LONG_ARRAY).open();
            BTreeMap<long[], byte[]> packedMap = version < 4 ? null : db.treeMap(StoreFormat.MAP_PACKED_ALLOCATIONS,
                    Serializer.LONG_ARRAY, Serializer.BYTE_ARRAY).open();
            BTreeMap<long[], long[]> blocks = version < 4 || !db.exists(StoreFormat.MAP_QUARANTINE) ? null
                    : db.treeMap(StoreFormat.MAP_QUARANTINE, Serializer.LONG_ARRAY, Serializer.LONG_ARRAY).open();
            CRC32C crc = new CRC32C();
            if (version >= 2) {
                updateMeta(crc, version, seq, image.epoch, count);
            }
            for (Map.Entry<Integer, byte[]> e : arenas.entrySet()) {
                int id = e.getKey();
                byte[] header = e.getValue();
                crc.update(header);
                List<Segment> spanList = new ArrayList<>();
                for (Map.Entry<long[], long[]> s : spans.prefixSubMap(new long[] {id}).entrySet()) {
                    long[] v = s.getValue();
                    spanList.add(new Segment(s.getKey()[1], v[0], v[1] == 1 ? Segment.Kind.IMPORTED_SPAN
                            : Segment.Kind.SPAN));
                    update(crc, id, s.getKey()[1], v);
                }
                List<long[]> chunks = new ArrayList<>();
                int total = 0;
                if (pairMap != null) {
                    for (Map.Entry<long[], long[]> c : pairMap.prefixSubMap(new long[] {id}).entrySet()) {
                        chunks.add(c.getValue());
                        update(crc, id, c.getKey()[1], c.getValue());
                    }
                } else {
                    int shift = quantumShift(header, file);
                    for (Map.Entry<long[], byte[]> c : packedMap.prefixSubMap(new long[] {id}).entrySet()) {
                        update(crc, id, c.getKey()[1], c.getValue());
                        chunks.add(unpack(c.getValue(), shift, id, c.getKey()[1], file));
                    }
                }
                for (long[] chunk : chunks) {
                    total += chunk.length;
                }
                long[] pairs = new long[total];
                int at = 0;
                for (long[] chunk : chunks) {
                    System.arraycopy(chunk, 0, pairs, at, chunk.length);
                    at += chunk.length;
                }
                Quarantine rule = CheckpointQuarantine.rule(meta, id, crc, version, file);
                decodeArena(image, id, header, spanList, pairs, rule, CheckpointQuarantine.blocks(
                        blocks == null ? null : blocks.prefixSubMap(new long[] {id}), id, crc, rule, file),
                        file);
                Long mark = version >= 3 ? meta.get(StoreFormat.META_MARK_PREFIX + id) : null;
                if (mark != null) {
                    update(crc, id, StoreFormat.CHECKSUM_MARK_KEY, new long[] {mark});
                    String problem = image.arenas.get(id).mark(mark);
                    if (problem != null) {
                        throw new StoreCorruptedException(file, -1, "arena " + id + ": " + problem);
                    }
                }
            }
            Long expected = meta.get(StoreFormat.META_CHECKSUM);
            if (expected == null || expected != crc.getValue() || image.arenas.size() != count) {
                throw new StoreCorruptedException(file, -1, "checkpoint content does not match its checksum");
            }
            return image;
        } catch (StoreCorruptedException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new StoreCorruptedException(file, -1, "checkpoint is unreadable: " + e, e);
        } finally {
            try {
                db.close();
            } catch (RuntimeException ignored) {
                // Closing a read-only handle of a damaged file can fail too; the file is not used either way.
            }
        }
    }

    /**
     * Starts a format 2 checksum with the meta map's numbers, so that editing any of them (a sequence
     * number raised to skip journal records, an epoch raised to win over the other generation) fails it.
     */
    private static void updateMeta(CRC32C crc, long version, long seq, long epoch, long arenas) {
        crc.update(ByteBuffer.allocate(StoreFormat.CHECKSUM_META_BYTES).putLong(version).putLong(seq).putLong(epoch)
                .putLong(arenas).putLong(1).array());
    }

    /** The log2 of the quantum an arena header records; a header whose quantum is no power of two is damaged. */
    private static int quantumShift(byte[] header, Path file) {
        long quantum = header.length < StoreFormat.ARENA_NAME_OFFSET ? 0
                : ByteBuffer.wrap(header).getLong(StoreFormat.ARENA_QUANTUM_OFFSET);
        if (quantum <= 0 || Long.bitCount(quantum) != 1) {
            throw new StoreCorruptedException(file, -1, "arena header holds quantum " + quantum);
        }
        return Long.numberOfTrailingZeros(quantum);
    }

    /** Decodes a format 4 allocation chunk, or says which one is damaged and how. */
    private static long[] unpack(byte[] chunk, int shift, int id, long key, Path file) {
        try {
            long[] pairs = PackedAllocations.decode(chunk, shift, StoreFormat.CHUNK_PAIRS);
            if (pairs[0] != key) {
                throw new IllegalArgumentException("it starts at " + pairs[0]);
            }
            return pairs;
        } catch (IllegalArgumentException e) {
            throw new StoreCorruptedException(file, -1, "arena " + id + ": allocation chunk at " + key + " is damaged: "
                    + e.getMessage(), e);
        }
    }

    /** Adds one format 4 allocation chunk's checksum entry: {@code id:int32 | first base | chunk bytes}. */
    private static void update(CRC32C crc, int id, long key, byte[] chunk) {
        crc.update(ByteBuffer.allocate(StoreFormat.CHECKSUM_ENTRY_HEAD_BYTES).putInt(id).putLong(key).array());
        crc.update(chunk);
    }

    /** Adds one checksum entry (layout: {@link StoreFormat}) to {@code crc}. */
    static void update(CRC32C crc, int id, long key, long[] value) {
        ByteBuffer b = ByteBuffer.allocate(StoreFormat.CHECKSUM_ENTRY_HEAD_BYTES + Long.BYTES * value.length);
        b.putInt(id).putLong(key);
        for (long v : value) {
            b.putLong(v);
        }
        crc.update(b.array());
    }

    private static byte[] encodeArena(Op.Create d, ArenaState s) {
        byte[] name = d.name().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(StoreFormat.arenaHeaderBytes(name.length));
        b.putInt(StoreFormat.ARENA_ID_OFFSET, d.arena())
                .putLong(StoreFormat.ARENA_QUANTUM_OFFSET, d.quantum())
                .putLong(StoreFormat.ARENA_IMPORT_QUANTUM_OFFSET, d.importQuantum())
                .putLong(StoreFormat.ARENA_QCACHE_MAX_OFFSET, d.qcacheMax())
                .putInt(StoreFormat.ARENA_SOURCE_OFFSET, d.source())
                .putShort(StoreFormat.ARENA_NAME_LENGTH_OFFSET, (short) name.length)
                .put(StoreFormat.ARENA_NAME_OFFSET, name);
        int trailer = StoreFormat.ARENA_NAME_OFFSET + name.length;
        ArenaStats c = s.counters();
        b.putLong(trailer + StoreFormat.ARENA_CURSOR_OFFSET, s.cursor())
                .putLong(trailer + StoreFormat.ARENA_ALLOCATIONS_OFFSET, c.allocations())
                .putLong(trailer + StoreFormat.ARENA_FREES_OFFSET, c.frees())
                .putLong(trailer + StoreFormat.ARENA_FAILURES_OFFSET, c.failures())
                .putLong(trailer + StoreFormat.ARENA_IMPORTS_OFFSET, c.imports())
                .putLong(trailer + StoreFormat.ARENA_RELEASES_OFFSET, c.releases());
        return b.array();
    }

    private static void decodeArena(StoreImage image, int id, byte[] header, List<Segment> spans, long[] pairs,
            Quarantine rule, long[] queue, Path file) {
        ByteBuffer b = ByteBuffer.wrap(header);
        int storedId = b.getInt(StoreFormat.ARENA_ID_OFFSET);
        byte[] name = new byte[b.getShort(StoreFormat.ARENA_NAME_LENGTH_OFFSET) & 0xFFFF];
        b.get(StoreFormat.ARENA_NAME_OFFSET, name);
        int trailer = StoreFormat.ARENA_NAME_OFFSET + name.length;
        ArenaStats counters = new ArenaStats(0, 0, 0, 0, 0, 0, 0,
                b.getLong(trailer + StoreFormat.ARENA_ALLOCATIONS_OFFSET), b.getLong(trailer + StoreFormat.ARENA_FREES_OFFSET),
                b.getLong(trailer + StoreFormat.ARENA_FAILURES_OFFSET), b.getLong(trailer + StoreFormat.ARENA_IMPORTS_OFFSET),
                b.getLong(trailer + StoreFormat.ARENA_RELEASES_OFFSET), 0);
        if (storedId != id) {
            throw new StoreCorruptedException(file, -1, "arena record " + id + " names arena " + storedId);
        }
        Op.Create def = new Op.Create(id, new String(name, StandardCharsets.UTF_8),
                b.getLong(StoreFormat.ARENA_QUANTUM_OFFSET), b.getLong(StoreFormat.ARENA_IMPORT_QUANTUM_OFFSET),
                b.getLong(StoreFormat.ARENA_QCACHE_MAX_OFFSET), b.getInt(StoreFormat.ARENA_SOURCE_OFFSET), rule);
        long cursor = b.getLong(trailer + StoreFormat.ARENA_CURSOR_OFFSET);
        image.arenas.put(id, new StoreImage.ArenaImage(def, new ArenaState(spans, pairs, cursor, counters, queue)));
    }

    /**
     * Has MapDB hash with lz4-java's pure-Java xxhash instead of its JNI binding, so that a JVM that uses a store
     * never unpacks lz4-java's native library.
     *
     * <p>MapDB's only use of lz4-java is {@code CC.HASH_FACTORY = XXHashFactory.fastestInstance()}, run once when
     * {@code CC} initialises (as {@code DBMaker.make()} loads {@code DB}). Whenever lz4-java sits on the system
     * class loader, {@code fastestInstance()} returns {@code nativeInstance()}, whose first call copies
     * {@code liblz4-java-<random>.so} into {@code java.io.tmpdir} and loads it with {@code System.loadLibrary} and
     * {@code System.load}. lz4-java deletes that file only at a clean exit, so every {@code kill -9} left one
     * behind, and on Java 24 and later the load prints restricted-method warnings. lz4-java (1.14.0) has no
     * switch that makes {@code fastestInstance()} prefer Java, and its pure-Java artifact is discontinued.
     *
     * <p>So before MapDB initialises {@code CC}, the cache behind {@code nativeInstance()} is seeded with
     * {@link XXHashFactory#safeInstance()}, {@code CC} is initialised, and the cache is emptied again: MapDB keeps
     * the Java instance, and the rest of the JVM sees lz4-java as before. The safe instance, not the
     * {@code sun.misc.Unsafe} one, because Java 24 and later warn about {@code Unsafe} too. Every lz4-java
     * implementation returns the same hashes, so files are read and written as before. Should lz4-java's
     * internals change, this does nothing and MapDB picks as it always did; {@code NoNativeLeftBehindTest} then
     * fails the build.
     */
    private static final class JavaXxHash {
        /** lz4-java's cache of {@code XXHashFactory.nativeInstance()}, filled under the class's lock. */
        private static final String NATIVE_CACHE = "NATIVE_INSTANCE";
        private static final boolean IN_USE = initialiseMapDb();

        private JavaXxHash() {
        }

        /**
         * Call before MapDB's classes are used: the first call initialises MapDB's {@code CC}, later ones cost
         * nothing. Returns whether MapDB hashes with lz4-java's Java xxhash.
         */
        static boolean beforeMapDb() {
            return IN_USE;
        }

        private static boolean initialiseMapDb() {
            XXHashFactory java = XXHashFactory.safeInstance();
            Field cache = null;
            try {
                Field f = XXHashFactory.class.getDeclaredField(NATIVE_CACHE);
                f.setAccessible(true);
                synchronized (XXHashFactory.class) { // nativeInstance() is static synchronized
                    if (f.get(null) == null) {
                        f.set(null, java);
                        cache = f;
                    }
                }
            } catch (ReflectiveOperationException | RuntimeException e) {
                LoggerFactory.getLogger(Checkpoint.class).debug(
                        "cannot steer MapDB to lz4-java's Java xxhash; it may load lz4-java's native library", e);
            }
            try {
                return CC.HASH_FACTORY == java;
            } finally {
                if (cache != null) {
                    try {
                        synchronized (XXHashFactory.class) {
                            if (cache.get(null) == java) {
                                cache.set(null, null);
                            }
                        }
                    } catch (IllegalAccessException e) {
                        throw new AssertionError("accessible a moment ago", e);
                    }
                }
            }
        }
    }
}

package dev.vmem;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A vmem arena: allocates ranges of integers, multiples of its quantum, from the spans it is given or
 * imports. See the {@linkplain dev.vmem package documentation} for the model and its invariants, and
 * {@link VmemArena} for the contract every arena keeps (values, rounding, failure tiers, the strong
 * exception guarantee).
 *
 * <h2>Thread safety</h2>
 * Assumptions: none; any thread may call any method. Guarantees: every public method is atomic with
 * respect to every other (one lock per arena), except that allocations and frees served by quantum
 * caches take no lock: each is atomic on its own, and {@link #stats()} may be off by those in flight.
 * An arena holds its lock while it imports from or releases to its source, so locks are always taken
 * child before parent; a hierarchy cannot deadlock because a source never calls back into its
 * importer.
 *
 * <p>This class checks arguments, takes the lock and routes each call (the allocations and frees through
 * {@code CallRouting}); the package documentation says which class decides each rule.
 */
public final class Arena implements VmemArena, AutoCloseable {
    /** Returned by the {@code try} methods when the request cannot be satisfied. Never a valid value. */
    public static final long NONE = -1;

    /** The largest quantum-cache limit, in quanta: caches serve allocations of 1 to 64 quanta. */
    public static final int MAX_QCACHE_QUANTA = 64;

    /** The largest quantum-cache limit in values, whatever the quantum: a slab must fit below 2^62. */
    public static final long MAX_QCACHE_VALUES = 1L << 55;

    final String label;
    final long quantum;
    final long qcacheMax;
    private final long importQuantum;
    final ReentrantLock lock = new ReentrantLock();
    final ArenaEngine engine;
    /** Null for an arena without a source. */
    private final Importer importer;
    /** Null for an arena without quantum caches. */
    final QuantumCaches caches;
    private final Source asSource = new ArenaSource(this);
    private volatile boolean closed;

    private Arena(Builder b, long importQuantum, ArenaObserver observer) {
        this.label = b.label;
        this.quantum = b.quantum;
        this.qcacheMax = b.qcacheMax;
        this.importQuantum = importQuantum;
        this.engine = new ArenaEngine(label, quantum,
                observer == null ? null : change -> observer.changed(this, change));
        this.importer = b.source == null ? null : new Importer(engine, b.source, importQuantum);
        engine.importer = importer;
        this.caches = qcacheMax == 0 ? null : new QuantumCaches(label, quantum, qcacheMax, c -> CallRouting.newSlab(this, c));
        engine.quarantine = b.quarantine.isActive() ? new QuarantineQueue(engine, b.quarantine, b.clock) : null;
    }

    /** Starts the definition of an arena named {@code label}. */
    public static Builder builder(String label) {
        return new Builder(label);
    }

    @Override
    public String label() {
        return label;
    }

    @Override
    public long quantum() {
        return quantum;
    }

    /** The source this arena imports from, or null. */
    public Source source() {
        return importer == null ? null : importer.source();
    }

    /** The least an import asks the source for. */
    public long importQuantum() {
        return importQuantum;
    }

    /** How long a freed block is held back from reuse; {@link Quarantine#NONE} for not at all. */
    public Quarantine quarantine() {
        return engine.quarantine == null ? Quarantine.NONE : engine.quarantine.rule;
    }

    /** The largest allocation size served by quantum caches; 0 for none. */
    public long qcacheMax() {
        return qcacheMax;
    }

    /** This arena as the source of others: an import is an INSTANT_FIT {@link #xalloc}, a release a free. */
    public Source asSource() {
        return asSource;
    }

    @Override
    public void addSpan(long base, long size) {
        lockedOpen(() -> {
            engine.checkSpan(base, size);
            engine.insertSpan(base, size, Tag.SPAN);
            engine.emit(new ArenaChange.SpanAdded(base, size, false));
            return null;
        });
    }

    @Override
    public void claim(long base, long size) {
        lockedOpen(() -> {
            admit();
            return CacheClaims.claim(engine, caches, base, size);
        });
    }

    @Override
    public ReconcileReport reconcile(Iterable<Allocation> live) {
        return lockedOpen(() -> {
            admit();
            return Reconciler.run(engine, caches, live);
        });
    }

    /** Asks the source, if any, whether this arena may hand out values now ({@link Source#admit}). */
    void admit() {
        if (importer != null) {
            importer.source().admit();
        }
    }

    @Override
    public boolean contains(long value) {
        return locked(() -> engine.list.spanContaining(value) != null);
    }

    @Override
    public long alloc(long size, Policy policy) {
        return CallRouting.alloc(this, size, policy, true);
    }

    @Override
    public long tryAlloc(long size, Policy policy) {
        return CallRouting.alloc(this, size, policy, false);
    }

    @Override
    public long xalloc(Constraints constraints, Policy policy) {
        return CallRouting.xalloc(this, constraints, policy, true);
    }

    @Override
    public long tryXalloc(Constraints constraints, Policy policy) {
        return CallRouting.xalloc(this, constraints, policy, false);
    }

    @Override
    public void free(long base) {
        CallRouting.free(this, base, NONE);
    }

    @Override
    public void free(long base, long size) {
        if (size <= 0) {
            throw new IllegalArgumentException("size=" + size + " must be positive (arena '" + label + "')");
        }
        CallRouting.free(this, base, size);
    }

    /**
     * Gives every wholly idle quantum-cache slab back to the segment list (and an imported span that
     * leaves wholly free back to the source). An allocation that finds no room does this by itself
     * before it fails; call it to return idle cached space sooner. No-op without caches.
     */
    public void reapCaches() {
        if (caches == null) {
            return;
        }
        lockedOpen(() -> caches.reap(engine::releaseAt));
    }

    /**
     * Releases the quarantined blocks due now, oldest first, and returns how many (a span left wholly free
     * goes back to the source). Frees and allocations that would otherwise fail do this by themselves.
     */
    public long reapQuarantine() {
        return engine.quarantine == null ? 0 : lockedOpen(engine.quarantine::reap);
    }

    /** Runs {@code body} under the arena's lock. */
    <T> T locked(Supplier<T> body) {
        lock.lock();
        try {
            return body.get();
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code body} under the arena's lock if the arena is open; {@link IllegalStateException} if closed. */
    <T> T lockedOpen(Supplier<T> body) {
        return locked(() -> {
            ensureOpen();
            return body.get();
        });
    }

    @Override
    public ArenaStats stats() {
        lock.lock(); // not locked(...): a plain body lets the JIT drop the snapshot a caller only reads
        try {
            return statsLocked();
        } finally {
            lock.unlock();
        }
    }

    /** The callers' figures: a cache slab counts as the blocks callers hold in it. The lock is held. */
    ArenaStats statsLocked() {
        return caches == null ? engine.stats() : caches.callersStats(engine.stats());
    }

    @Override
    public long nextFitCursor() {
        lock.lock(); // not locked(...), which would box the rotor
        try {
            return engine.rotor;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<Segment> segments() {
        return locked(() -> ArenaPicture.segments(engine, caches));
    }

    @Override
    public String dump() {
        return locked(() -> ArenaPicture.dump(engine, caches, statsLocked(), closed));
    }

    @Override
    public List<String> checkInvariants() {
        return locked(() -> {
            List<String> problems = ArenaCheck.run(engine);
            if (caches != null) {
                caches.check(engine, problems);
            }
            return problems;
        });
    }

    @Override
    public String toString() {
        return "Arena[" + label + ", quantum=" + quantum + "]";
    }

    /**
     * Gives every imported span back to the source and makes the arena unusable. Live allocations at
     * this point are leaks: their count and size are logged at WARN; those inside imported spans go back
     * with their spans, and cached blocks with their slabs (both counted as frees). Afterwards the
     * read-only views ({@link #stats()}, {@link #segments()}, {@link #dump()}, {@link #checkInvariants()},
     * {@link #contains}, {@link #nextFitCursor()}) describe what the arena still holds; every mutation
     * throws {@link IllegalStateException}. If the source refuses a span, close throws its exception
     * after trying the others, and calling close again retries the refused ones.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (!closed) {
                ArenaTeardown.leave(engine, caches, statsLocked());
                closed = true;
            }
            if (importer != null) {
                importer.releaseAll();
            }
        } finally {
            lock.unlock();
        }
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("arena '" + label + "' is closed");
        }
    }

    /** Defines an arena; {@link #build()} validates the whole definition. */
    public static final class Builder {
        private final String label;
        private long quantum = 1;
        private Source source;
        private long importQuantum;
        private long qcacheMax;
        private Quarantine quarantine = Quarantine.NONE;
        private InstantSource clock = QuarantineClock.SYSTEM;
        private final List<long[]> spans = new ArrayList<>();

        private Builder(String label) {
            this.label = Objects.requireNonNull(label, "label");
        }

        /** The granularity of every allocation, a power of two. Default 1. */
        public Builder quantum(long quantum) {
            this.quantum = quantum;
            return this;
        }

        /** Where the arena imports from when it runs out. Default none. */
        public Builder source(Source source) {
            this.source = source;
            return this;
        }

        /** Imports from {@code parent}: the same as {@code source(parent.asSource())}. */
        public Builder source(Arena parent) {
            return source(parent.asSource());
        }

        /** The least an import asks for, a multiple of the quantum. Default: the quantum. */
        public Builder importQuantum(long importQuantum) {
            this.importQuantum = importQuantum;
            return this;
        }

        /** The largest size served by quantum caches, a multiple of the quantum; 0 (default) for none. */
        public Builder qcacheMax(long qcacheMax) {
            this.qcacheMax = qcacheMax;
            return this;
        }

        /** Holds every freed block back from reuse for at least {@code delay}: {@link Quarantine#withDelay}. */
        public Builder quarantine(Duration delay) {
            return quarantine(quarantine.withDelay(delay));
        }

        /** Holds every freed block back for at least {@code frees} later frees: {@link Quarantine#withFrees}. */
        public Builder quarantine(long frees) {
            return quarantine(quarantine.withFrees(frees));
        }

        /** The whole quarantine rule; default {@link Quarantine#NONE}. */
        public Builder quarantine(Quarantine rule) {
            quarantine = Objects.requireNonNull(rule, "quarantine");
            return this;
        }

        /** The clock of quarantine due times (milliseconds); default a wall clock that never goes back. */
        public Builder quarantineClock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** A span to add at creation; may be called more than once. */
        public Builder span(long base, long size) {
            spans.add(new long[] {base, size});
            return this;
        }

        /**
         * Checks the definition without building an arena: what {@link #build()} would reject.
         *
         * @throws IllegalArgumentException naming the value when the definition is invalid
         */
        public void validate() {
            ArenaDefinitionRules.check(label, quantum, effectiveImportQuantum(), qcacheMax, source, false, quarantine);
        }

        private long effectiveImportQuantum() {
            return importQuantum == 0 ? quantum : importQuantum;
        }

        /** @throws IllegalArgumentException naming the value when the definition is invalid */
        public Arena build() {
            return buildObserved(null, null);
        }

        /**
         * Builds the arena reporting to {@code observer} (or none), from {@code state} (or empty); the
         * builder's spans are added after the state, and reported.
         */
        Arena buildObserved(ArenaObserver observer, ArenaState state) {
            ArenaDefinitionRules.check(label, quantum, effectiveImportQuantum(), qcacheMax, source, observer != null,
                    quarantine);
            Arena arena = new Arena(this, effectiveImportQuantum(), observer);
            if (state != null) {
                StateTransfer.load(arena.engine, state);
            }
            for (long[] span : spans) {
                arena.addSpan(span[0], span[1]);
            }
            return arena;
        }
    }
}

package dev.vmem.micrometer;

import dev.vmem.store.StoreStats;
import dev.vmem.store.VmemStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Binds the figures of an open {@link VmemStore} to a Micrometer registry, each tagged {@code store=<directory>}
 * (plus the tags given):
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>what</th></tr>
 *   <tr><td>{@code vmem.store.fsyncs}</td><td>function timer</td><td>journal fsyncs that made records durable, and
 *       their time</td></tr>
 *   <tr><td>{@code vmem.store.fsynced.units}</td><td>function counter</td><td>units those fsyncs made durable (divided
 *       by the fsyncs' count: units per fsync)</td></tr>
 *   <tr><td>{@code vmem.store.journal.appended}</td><td>function counter, bytes</td><td>record bytes written to the
 *       journal</td></tr>
 *   <tr><td>{@code vmem.store.journal.size}</td><td>gauge, bytes</td><td>the journal's files on disk</td></tr>
 *   <tr><td>{@code vmem.store.checkpoints}</td><td>function counter, tag {@code outcome=written|failed}</td>
 *       <td>checkpoints written, and failed</td></tr>
 *   <tr><td>{@code vmem.store.checkpoint.age}, {@code vmem.store.checkpoint.duration}</td><td>time gauges</td>
 *       <td>since the newest checkpoint written ended, and how long it took (NaN before the first)</td></tr>
 *   <tr><td>{@code vmem.store.recovery.time}</td><td>time gauge</td><td>how long the store's open took</td></tr>
 *   <tr><td>{@code vmem.store.recovery.replayed}</td><td>gauge</td><td>journal records that open replayed</td></tr>
 *   <tr><td>{@code vmem.store.appended.seq}, {@code vmem.store.durable.seq}</td><td>gauges</td><td>the newest unit
 *       appended, and the newest known durable</td></tr>
 *   <tr><td>{@code vmem.store.rotor.moves}, {@code vmem.store.rotor.waits}</td><td>function counters</td><td>see
 *       {@link StoreStats}</td></tr>
 * </table>
 *
 * <p>Every meter reads {@link VmemStore#stats()} when the registry asks, so binding costs the store nothing
 * between reads. The registry holds the store weakly, as Micrometer's function meters do: keep the store
 * open and referenced while it is to be watched, and {@link MeterRegistry#remove} the meters after closing it
 * if the registry outlives it.
 */
public final class VmemStoreMetrics implements MeterBinder {
    private final VmemStore store;
    private final Tags tags;

    /** Meters of {@code store}, tagged with its directory. */
    public VmemStoreMetrics(VmemStore store) {
        this(store, Tags.empty());
    }

    /** Meters of {@code store}, tagged with its directory and {@code tags}. */
    public VmemStoreMetrics(VmemStore store, Iterable<Tag> tags) {
        this.store = Objects.requireNonNull(store, "store");
        this.tags = Tags.concat(tags, "store", store.directory().toAbsolutePath().toString());
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionTimer.builder("vmem.store.fsyncs", store, s -> s.stats().journal().fsyncs(),
                s -> s.stats().journal().fsyncTime().toNanos(), TimeUnit.NANOSECONDS)
                .description("journal fsyncs that made records durable").tags(tags).register(registry);
        counter(registry, "vmem.store.fsynced.units", "units the journal's fsyncs made durable", null,
                s -> s.journal().fsyncedUnits());
        counter(registry, "vmem.store.journal.appended", "record bytes written to the journal", BaseUnits.BYTES,
                s -> s.journal().appendedBytes());
        Gauge.builder("vmem.store.journal.size", store, s -> s.stats().journal().sizeBytes())
                .description("the journal's files on disk").baseUnit(BaseUnits.BYTES).tags(tags).register(registry);
        FunctionCounter.builder("vmem.store.checkpoints", store, s -> s.stats().checkpoints().written())
                .description("checkpoints").tags(tags).tag("outcome", "written").register(registry);
        FunctionCounter.builder("vmem.store.checkpoints", store, s -> s.stats().checkpoints().failed())
                .description("checkpoints").tags(tags).tag("outcome", "failed").register(registry);
        time(registry, "vmem.store.checkpoint.age", "since the newest checkpoint written ended",
                s -> s.checkpoints().lastAge());
        time(registry, "vmem.store.checkpoint.duration", "how long the newest checkpoint written took",
                s -> s.checkpoints().lastDuration());
        time(registry, "vmem.store.recovery.time", "how long the store's open took",
                s -> Optional.of(s.recoveryTime()));
        Gauge.builder("vmem.store.recovery.replayed", store, s -> s.recovery().replayed())
                .description("journal records the store's open replayed").tags(tags).register(registry);
        Gauge.builder("vmem.store.appended.seq", store, s -> s.stats().appendedSeq())
                .description("the newest unit appended").tags(tags).register(registry);
        Gauge.builder("vmem.store.durable.seq", store, s -> s.stats().durableSeq())
                .description("the newest unit known to be on disk").tags(tags).register(registry);
        counter(registry, "vmem.store.rotor.moves", "units acknowledged before their fsync that moved a rotor", null,
                StoreStats::rotorMoves);
        counter(registry, "vmem.store.rotor.waits", "rotor moves that waited for a mark's fsync", null,
                StoreStats::rotorWaits);
    }

    private void counter(MeterRegistry registry, String name, String description, String unit,
            ToDoubleFunction<StoreStats> figure) {
        FunctionCounter.builder(name, store, s -> figure.applyAsDouble(s.stats())).description(description)
                .baseUnit(unit).tags(tags).register(registry);
    }

    private void time(MeterRegistry registry, String name, String description,
            Function<StoreStats, Optional<Duration>> figure) {
        TimeGauge.builder(name, store, TimeUnit.NANOSECONDS,
                s -> figure.apply(s.stats()).map(d -> (double) d.toNanos()).orElse(Double.NaN))
                .description(description).tags(tags).register(registry);
    }
}

package dev.vmem.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import dev.vmem.store.ArenaDefinition;
import dev.vmem.store.PersistentArena;
import dev.vmem.store.StoreOptions;
import dev.vmem.store.VmemStore;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VmemStoreMetricsTest {
    @TempDir
    Path dir;

    @Test
    void theStoresFigures_areMeters_thatMoveWithItsWork() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        StoreOptions options = StoreOptions.builder(dir).checkpointInterval(Duration.ZERO).jmx(false).build();
        try (VmemStore store = VmemStore.open(options)) {
            new VmemStoreMetrics(store, Tags.of("app", "test")).bindTo(registry);
            String where = dir.toAbsolutePath().toString();
            FunctionTimer fsyncs = registry.get("vmem.store.fsyncs").tags("store", where, "app", "test").functionTimer();
            assertEquals(0, fsyncs.count());
            assertTrue(Double.isNaN(registry.get("vmem.store.checkpoint.age").timeGauge().value()), "none yet");

            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(0, 100);
            ids.alloc(1, Policy.INSTANT_FIT);
            assertEquals(3, fsyncs.count(), "one caller at SYNC: an fsync per unit");
            assertTrue(fsyncs.totalTime(TimeUnit.NANOSECONDS) > 0);
            assertEquals(3, registry.get("vmem.store.fsynced.units").functionCounter().count());
            assertEquals(store.stats().journal().appendedBytes(),
                    registry.get("vmem.store.journal.appended").functionCounter().count());
            assertEquals("bytes", registry.get("vmem.store.journal.size").gauge().getId().getBaseUnit());
            assertTrue(registry.get("vmem.store.journal.size").gauge().value() > 0);
            assertEquals(store.stats().durableSeq(), registry.get("vmem.store.durable.seq").gauge().value());
            assertEquals(store.stats().appendedSeq(), registry.get("vmem.store.appended.seq").gauge().value());

            assertTrue(store.checkpoint());
            assertEquals(1, registry.get("vmem.store.checkpoints").tag("outcome", "written").functionCounter().count());
            assertEquals(0, registry.get("vmem.store.checkpoints").tag("outcome", "failed").functionCounter().count());
            assertTrue(registry.get("vmem.store.checkpoint.age").timeGauge().value(TimeUnit.NANOSECONDS) >= 0);
            assertTrue(registry.get("vmem.store.checkpoint.duration").timeGauge().value(TimeUnit.NANOSECONDS) > 0);
            assertTrue(registry.get("vmem.store.recovery.time").timeGauge().value(TimeUnit.NANOSECONDS) > 0);
            assertEquals(0, registry.get("vmem.store.recovery.replayed").gauge().value(), "a new store");
            assertEquals(0, registry.get("vmem.store.rotor.moves").functionCounter().count(), "SYNC moves no mark");
            assertEquals(0, registry.get("vmem.store.rotor.waits").functionCounter().count());
            assertEquals(14, registry.getMeters().size(), "every meter of the table, once");
            assertEquals(List.of(), store.verify());
        }
    }
}

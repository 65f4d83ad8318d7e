package dev.vmem.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * A store's presence in JMX: its {@link StoreMXBean} and, through {@link ArenaJmx}, a bean per open arena, from
 * open to close. With {@link StoreOptions#jmx()} off there is none, and the platform MBean server is never
 * started (a one-shot command saves its start-up).
 *
 * <p>Assumptions: called under the store's lock.
 */
final class StoreJmx {
    private final Path dir;
    /** Null with JMX off. */
    private final ArenaJmx arenas;

    StoreJmx(Path dir, boolean on) {
        this.dir = dir;
        this.arenas = on ? new ArenaJmx(dir) : null;
    }

    /** Registers the store and its arenas, once the store has opened. */
    void open(VmemStore store, ArenaRegistry registry) {
        if (arenas != null) {
            MBeans.register(() -> name(dir), new Bean(store), "store " + dir);
            arenas.sync(registry, true);
        }
    }

    /** See {@link ArenaJmx#sync}. */
    void sync(ArenaRegistry registry, boolean dropped) {
        if (arenas != null) {
            arenas.sync(registry, dropped);
        }
    }

    /** Takes the store and its arenas out of JMX. */
    void unregisterAll() {
        if (arenas != null) {
            arenas.unregisterAll();
            MBeans.unregister(() -> name(dir), "store " + dir);
        }
    }

    static ObjectName name(Path store) throws JMException {
        return new ObjectName("dev.vmem:type=Store,store=" + ObjectName.quote(store.toAbsolutePath().toString()));
    }

    /** The MXBean of a store: each getter reads one snapshot of {@link VmemStore#stats()}, lock-free. */
    static final class Bean implements StoreMXBean {
        private final VmemStore store;

        Bean(VmemStore store) {
            this.store = store;
        }

        private StoreStats s() {
            return store.stats();
        }

        private static long millis(Optional<Duration> d) {
            return d.map(Duration::toMillis).orElse(-1L);
        }

        @Override
        public String getDirectory() {
            return store.directory().toAbsolutePath().toString();
        }

        @Override
        public long getAppendedSeq() {
            return s().appendedSeq();
        }

        @Override
        public long getDurableSeq() {
            return s().durableSeq();
        }

        @Override
        public long getRotorMoves() {
            return s().rotorMoves();
        }

        @Override
        public long getRotorWaits() {
            return s().rotorWaits();
        }

        @Override
        public long getFsyncs() {
            return s().journal().fsyncs();
        }

        @Override
        public long getFsyncedUnits() {
            return s().journal().fsyncedUnits();
        }

        @Override
        public double getUnitsPerFsync() {
            return s().journal().unitsPerFsync();
        }

        @Override
        public long getFsyncTimeMillis() {
            return s().journal().fsyncTime().toMillis();
        }

        @Override
        public long getJournalAppendedBytes() {
            return s().journal().appendedBytes();
        }

        @Override
        public long getJournalBytes() {
            return s().journal().sizeBytes();
        }

        @Override
        public long getCheckpoints() {
            return s().checkpoints().written();
        }

        @Override
        public long getCheckpointFailures() {
            return s().checkpoints().failed();
        }

        @Override
        public long getLastCheckpointAgeMillis() {
            return millis(s().checkpoints().lastAge());
        }

        @Override
        public long getLastCheckpointMillis() {
            return millis(s().checkpoints().lastDuration());
        }

        @Override
        public long getRecoveryMillis() {
            return s().recoveryTime().toMillis();
        }

        @Override
        public long getRecoveredCheckpointSeq() {
            return store.recovery().checkpointSeq();
        }

        @Override
        public long getRecoveryReplayed() {
            return store.recovery().replayed();
        }

        @Override
        public long getRecoveryCutRecords() {
            return store.recovery().cut().map(RecoveryReport.LostTail::units).orElse(0L);
        }

        @Override
        public long getRecoveryLostUnits() {
            return store.recovery().lostAcknowledged().map(RecoveryReport.LostUnits::units).orElse(0L);
        }

        @Override
        public long getRecoveryRotorSkips() {
            return store.recovery().rotorSkips().size();
        }
    }
}

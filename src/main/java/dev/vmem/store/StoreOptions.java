package dev.vmem.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How to open a store. Built with {@link #builder(Path)}; every setting is validated by
 * {@link Builder#build()}.
 *
 * @param directory          the store's directory
 * @param createIfMissing    create an empty store when the directory holds none (default true)
 * @param journalSegmentBytes journal segments roll over past this size (default 64 MiB)
 * @param checkpointInterval the checkpointer brings the checkpoint up to date this often when the
 *                           journal has grown (default 10 s); {@link Duration#ZERO} checkpoints only
 *                           at close and on {@link VmemStore#checkpoint()}
 * @param checkpointBytes    the checkpointer also runs once the journal has grown by this much since the
 *                           last checkpoint (default 32 MiB)
 * @param durability         when operations are acknowledged, unless a batch says otherwise (default
 *                           {@link Durability#SYNC})
 * @param flushInterval      at {@link Durability#WRITE} and {@link Durability#BUFFERED}, a background flusher
 *                           writes and fsyncs the journal at least this often: what a crash may lose (default
 *                           100 ms; from 1 ms to 1 minute)
 * @param rotorReserve       how far, in quanta, the NEXT_FIT rotor of an arena may run ahead of its last
 *                           fsynced mark: the most values the store never handed out that a crash can skip, per
 *                           arena (default 65,536; the step adapts between 1/64 of it and all of it as the rate
 *                           of allocation changes). Only allocations acknowledged before they are fsynced
 *                           (WRITE, BUFFERED) use marks.
 * @param jmx                register the store's {@link StoreMXBean} and an {@link ArenaMXBean} per arena with the
 *                           platform MBean server (default true); off, the store never starts JMX, which saves a
 *                           short-lived process its start-up cost
 */
public record StoreOptions(Path directory, boolean createIfMissing, long journalSegmentBytes,
        Duration checkpointInterval, long checkpointBytes, Durability durability, Duration flushInterval,
        long rotorReserve, boolean jmx) {

    /** The longest {@link #flushInterval()} accepted. */
    public static final Duration MAX_FLUSH_INTERVAL = Duration.ofMinutes(1);

    public StoreOptions {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(checkpointInterval, "checkpointInterval");
        if (journalSegmentBytes < 4096) {
            throw new IllegalArgumentException("journalSegmentBytes=" + journalSegmentBytes + " is below 4096");
        }
        if (checkpointInterval.isNegative()) {
            throw new IllegalArgumentException("checkpointInterval=" + checkpointInterval + " is negative");
        }
        if (checkpointBytes < 4096) {
            throw new IllegalArgumentException("checkpointBytes=" + checkpointBytes + " is below 4096");
        }
        Objects.requireNonNull(durability, "durability");
        Objects.requireNonNull(flushInterval, "flushInterval");
        if (flushInterval.compareTo(Duration.ofMillis(1)) < 0 || flushInterval.compareTo(MAX_FLUSH_INTERVAL) > 0) {
            throw new IllegalArgumentException("flushInterval=" + flushInterval + " is not between 1 ms and "
                    + MAX_FLUSH_INTERVAL);
        }
        if (rotorReserve < 1) {
            throw new IllegalArgumentException("rotorReserve=" + rotorReserve + " is not positive");
        }
    }

    public static Builder builder(Path directory) {
        return new Builder(directory);
    }

    /** Options for {@code directory} with every default. */
    public static StoreOptions of(Path directory) {
        return builder(directory).build();
    }

    public static final class Builder {
        private final Path directory;
        private boolean createIfMissing = true;
        private long journalSegmentBytes = 64L << 20;
        private Duration checkpointInterval = Duration.ofSeconds(10);
        private long checkpointBytes = 32L << 20;
        private Durability durability = Durability.SYNC;
        private Duration flushInterval = Duration.ofMillis(100);
        private long rotorReserve = 1 << 16;
        private boolean jmx = true;

        private Builder(Path directory) {
            this.directory = directory;
        }

        public Builder createIfMissing(boolean createIfMissing) {
            this.createIfMissing = createIfMissing;
            return this;
        }

        public Builder journalSegmentBytes(long bytes) {
            this.journalSegmentBytes = bytes;
            return this;
        }

        public Builder checkpointInterval(Duration interval) {
            this.checkpointInterval = interval;
            return this;
        }

        public Builder checkpointBytes(long bytes) {
            this.checkpointBytes = bytes;
            return this;
        }

        public Builder durability(Durability durability) {
            this.durability = durability;
            return this;
        }

        public Builder flushInterval(Duration interval) {
            this.flushInterval = interval;
            return this;
        }

        public Builder rotorReserve(long quanta) {
            this.rotorReserve = quanta;
            return this;
        }

        public Builder jmx(boolean jmx) {
            this.jmx = jmx;
            return this;
        }

        public StoreOptions build() {
            return new StoreOptions(directory, createIfMissing, journalSegmentBytes, checkpointInterval,
                    checkpointBytes, durability, flushInterval, rotorReserve, jmx);
        }
    }
}

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
 */
public record StoreOptions(Path directory, boolean createIfMissing, long journalSegmentBytes,
        Duration checkpointInterval, long checkpointBytes) {

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

        public StoreOptions build() {
            return new StoreOptions(directory, createIfMissing, journalSegmentBytes, checkpointInterval,
                    checkpointBytes);
        }
    }
}

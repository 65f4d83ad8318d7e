package dev.vmem.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The fault-injection seam: how the store changes its files, and how checkpoints are written. Only
 * the package-private {@link VmemStore#open(StoreOptions, StoreHooks)} takes it, so that tests can make
 * writes, fsyncs and checkpoints fail; every public way of opening a store uses {@link #DEFAULT}.
 */
record StoreHooks(StoreFiles files, CheckpointWriter checkpointWriter) {
    static final StoreHooks DEFAULT = new StoreHooks(StoreFiles.DEFAULT, Checkpoint::write);

    StoreHooks {
        Objects.requireNonNull(files, "files");
        Objects.requireNonNull(checkpointWriter, "checkpointWriter");
    }

    /** Writes a checkpoint file; replaced in tests to make checkpoints fail. */
    @FunctionalInterface
    interface CheckpointWriter {
        void write(StoreFiles files, Path file, StoreImage image) throws IOException;
    }
}

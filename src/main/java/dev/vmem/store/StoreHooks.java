package dev.vmem.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The fault-injection seam: how the journal touches its files, and how checkpoints are written. Only
 * the package-private {@link VmemStore#open(StoreOptions, StoreHooks)} takes it, so that tests can make
 * writes, fsyncs and checkpoints fail; every public way of opening a store uses {@link #DEFAULT}.
 */
record StoreHooks(JournalFiles journalFiles, CheckpointWriter checkpointWriter) {
    static final StoreHooks DEFAULT = new StoreHooks(JournalFiles.DEFAULT, Checkpoint::write);

    StoreHooks {
        Objects.requireNonNull(journalFiles, "journalFiles");
        Objects.requireNonNull(checkpointWriter, "checkpointWriter");
    }

    /** Writes a checkpoint file; replaced in tests to make checkpoints fail. */
    @FunctionalInterface
    interface CheckpointWriter {
        void write(Path file, StoreImage image) throws IOException;
    }
}

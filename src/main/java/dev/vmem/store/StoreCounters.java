package dev.vmem.store;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A store's running figures (see {@link StoreStats}), counted where the work happens, and its JFR events
 * ({@link StoreEvents}), ended with them. Nothing here is on the path of a unit but {@link #wrote}, a volatile add
 * under a lock the writer holds anyway; the rest runs once per fsync, checkpoint or open.
 *
 * <h2>Assumptions and guarantees</h2>
 * Each figure has one writer at a time: {@link #wrote} is called under the journal's write lock,
 * {@link #fsyncStarting} and {@link #fsynced} under the group commit's lock, {@link #checkpointed} by the
 * checkpointer (one checkpoint at a time), {@link #recovered} once, by the opening thread. Any thread may read
 * ({@link #stats}): each figure is current, the set of them is not one instant's.
 */
final class StoreCounters {
    private final Path dir;
    private final String store;
    private volatile long writtenBytes;
    /** {@link #writtenBytes} when the last fsync started: the bytes after it are the next fsync's. */
    private long fsyncedBytes;
    private volatile long fsyncs;
    private volatile long fsyncedUnits;
    private volatile long fsyncNanos;
    private volatile long checkpoints;
    private volatile long checkpointFailures;
    /** When the newest checkpoint written ended ({@link System#nanoTime}), and how long it took. */
    private volatile long lastCheckpointEnd;
    private volatile long lastCheckpointNanos;
    private volatile long recoveryNanos;

    StoreCounters(Path dir) {
        this.dir = dir;
        this.store = dir.toString();
    }

    /** {@code bytes} of records were written to the journal's current segment. */
    void wrote(long bytes) {
        writtenBytes += bytes;
    }

    /** An fsync is about to start: returns the bytes written since the last one started, which it makes durable. */
    long fsyncStarting() {
        long bytes = writtenBytes - fsyncedBytes;
        fsyncedBytes += bytes;
        return bytes;
    }

    /**
     * An fsync made {@code units} units durable in {@code nanos}; {@code event} is what {@link StoreEvents#fsyncBegins}
     * returned before it, {@code bytes} what {@link #fsyncStarting} did.
     */
    void fsynced(Object event, long units, long bytes, long nanos) {
        fsyncs++;
        fsyncedUnits += units;
        fsyncNanos += nanos;
        StoreEvents.fsynced(event, store, units, bytes);
    }

    /**
     * A checkpoint begun at {@code started} ({@link System#nanoTime}; {@code event} from
     * {@link StoreEvents#checkpointBegins}) ended: written, at journal sequence {@code seq} with {@code arenas}
     * arenas, or failed.
     */
    void checkpointed(Object event, long started, boolean written, long seq, int arenas) {
        long end = System.nanoTime();
        if (written) {
            lastCheckpointNanos = end - started;
            lastCheckpointEnd = end;
            checkpoints++;
        } else {
            checkpointFailures++;
        }
        StoreEvents.checkpointed(event, store, written, seq, arenas);
    }

    /**
     * The open begun at {@code started} ({@link System#nanoTime}; {@code event} from
     * {@link StoreEvents#recoveryBegins}) recovered {@code report}.
     */
    void recovered(Object event, long started, RecoveryReport report) {
        recoveryNanos = System.nanoTime() - started;
        StoreEvents.recovered(event, store, report);
    }

    /** The figures now, with those that the store's journal and rotor marks keep. */
    StoreStats stats(long appendedSeq, long durableSeq, long rotorMoves, long rotorWaits) {
        StoreStats.JournalStats journal = new StoreStats.JournalStats(fsyncs, fsyncedUnits,
                Duration.ofNanos(fsyncNanos), writtenBytes, journalSize());
        long written = checkpoints;
        Optional<Duration> age = Optional.empty();
        Optional<Duration> took = Optional.empty();
        if (written > 0) {
            age = Optional.of(Duration.ofNanos(System.nanoTime() - lastCheckpointEnd));
            took = Optional.of(Duration.ofNanos(lastCheckpointNanos));
        }
        return new StoreStats(appendedSeq, durableSeq, rotorMoves, rotorWaits, journal,
                new StoreStats.CheckpointStats(written, checkpointFailures, age, took),
                Duration.ofNanos(recoveryNanos));
    }

    /** The size of the journal's files; a segment deleted while they are listed counts for nothing. */
    private long journalSize() {
        long size = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir.resolve(StoreFormat.JOURNAL_DIR))) {
            for (Path f : files) {
                try {
                    size += Files.size(f);
                } catch (NoSuchFileException deleted) {
                    // a checkpoint let the journal drop it
                }
            }
        } catch (IOException e) {
            return size; // a figure for watching: what could be read
        }
        return size;
    }
}

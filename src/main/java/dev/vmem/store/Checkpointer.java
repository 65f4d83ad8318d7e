package dev.vmem.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the MapDB checkpoint up to date with two generations used in turn: each checkpoint overwrites
 * the older generation, is read back and verified, and only then lets the journal drop the records
 * that both generations hold. A failed checkpoint is logged and changes nothing else: the journal still
 * holds every record, and the store stays usable.
 *
 * <p>Thread-safe: checkpoints run one at a time, on the background thread or a caller's.
 */
final class Checkpointer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);

    /**
     * Journal bytes a close may leave for the next open to replay instead of writing a checkpoint. A close's
     * checkpoint writes, reads back and copies the whole image with several fsyncs: 134 to 238 ms in a one-shot
     * command on a 13-segment store (a busy two-core machine), 180 ms more on a 300,000-segment one. Replaying
     * 64 KiB of records (1,303 single allocations) added about 25 ms to the next open on the same machine.
     */
    static final long CLOSE_REPLAY_BYTES = 64 << 10;

    private final Path dir;
    private final Journal journal;
    private final StoreFiles files;
    private final StoreHooks.CheckpointWriter writer;
    private final Supplier<StoreImage> snapshot;
    private final long bytesThreshold;
    private final long[] generationSeqs;
    /** Failed allocations (summed over arenas) in the newest checkpoint: they change no journalled state. */
    private long checkpointedFailures;
    /** Rotor marks set in the newest checkpoint (none after recovery, which spends every mark it finds). */
    private long checkpointedMarks;
    /** The epoch of the newest checkpoint written; each checkpoint gets the next one. */
    private long epoch;
    private final AtomicLong bytesSince = new AtomicLong();
    private final AtomicBoolean queued = new AtomicBoolean();
    private final ScheduledExecutorService executor;
    private final StoreCounters counters;

    Checkpointer(Path dir, long[] generationSeqs, long epoch, StoreImage recovered, Journal journal,
            StoreOptions options, StoreHooks hooks, Supplier<StoreImage> snapshot, StoreCounters counters) {
        this.dir = dir;
        this.counters = counters;
        this.generationSeqs = generationSeqs.clone();
        this.epoch = epoch;
        this.checkpointedFailures = failuresIn(recovered);
        this.journal = journal;
        this.files = hooks.files();
        this.writer = hooks.checkpointWriter();
        this.snapshot = snapshot;
        this.bytesThreshold = options.checkpointBytes();
        this.executor = Executors.newSingleThreadScheduledExecutor(
                DaemonThreads.named("vmem-checkpointer " + dir.getFileName()));
        Duration interval = options.checkpointInterval();
        if (!interval.isZero()) {
            long ms = Math.max(1, interval.toMillis());
            executor.scheduleWithFixedDelay(() -> {
                if (bytesSince.get() > 0) {
                    checkpoint();
                }
            }, ms, ms, TimeUnit.MILLISECONDS);
        }
    }

    /** Records journal growth; past the threshold, queues a checkpoint on the background thread. */
    void written(long bytes) {
        if (bytesSince.addAndGet(bytes) >= bytesThreshold && queued.compareAndSet(false, true)) {
            queueQuietly(() -> {
                queued.set(false);
                checkpoint();
            });
        }
    }

    /** Queues a checkpoint on the background thread. */
    void requestSoon() {
        queueQuietly(this::checkpoint);
    }

    /**
     * Queues background work, unless the store is closing: then the close writes the last checkpoint itself.
     * Never throws, since it runs after a unit was written, when failing would misreport a durable unit.
     */
    private void queueQuietly(Runnable work) {
        try {
            executor.execute(work);
        } catch (RejectedExecutionException closing) {
            queued.set(false);
        }
    }

    /** How the store changes its files: a backup writes through the same seam. */
    StoreFiles files() {
        return files;
    }

    /**
     * {@code image} once the journal holds it durably, as a checkpoint makes sure before it writes one: a backup
     * never holds what a crash of the store could still take back.
     */
    StoreImage durable(StoreImage image) throws IOException {
        journal.sync(image.seq);
        return image;
    }

    /** Sequence numbers of the two generations (-1 for none), for verification. */
    synchronized long[] generationSeqs() {
        return generationSeqs.clone();
    }

    /** Runs {@code work} while no checkpoint is being written. */
    synchronized <T> T paused(Supplier<T> work) {
        return work.get();
    }

    /** Writes a checkpoint now. Returns whether it succeeded; failures are logged, never thrown. */
    synchronized boolean checkpoint() {
        Object event = StoreEvents.checkpointBegins();
        long started = System.nanoTime();
        long pending = bytesSince.get();
        StoreImage image;
        try {
            image = snapshot.get();
        } catch (RuntimeException e) {
            LOG.warn("checkpoint of {} skipped: {}", dir, e.getMessage());
            return false;
        }
        int g = generationSeqs[0] <= generationSeqs[1] ? 0 : 1;
        long failures = failuresIn(image);
        long marks = marksIn(image);
        if (image.seq == generationSeqs[1 - g] && generationSeqs[g] >= 0 && failures == checkpointedFailures
                && marks == checkpointedMarks) {
            bytesSince.addAndGet(-pending);
            return true;
        }
        Path file = dir.resolve(StoreFormat.checkpointName(g));
        image.epoch = epoch + 1;
        try {
            journal.sync(image.seq);
            generationSeqs[g] = -1;
            writer.write(files, file, image);
            StoreImage back = Checkpoint.read(file);
            if (back.seq != image.seq || back.arenas.size() != image.arenas.size()) {
                throw new IOException("checkpoint read back differs from what was written");
            }
            generationSeqs[g] = image.seq;
            epoch = image.epoch;
            checkpointedFailures = failures;
            checkpointedMarks = marks;
            journal.checkpointed(image.seq, Math.min(generationSeqs[0], generationSeqs[1]));
            bytesSince.addAndGet(-pending);
            counters.checkpointed(event, started, true, image.seq, image.arenas.size());
            LOG.info("checkpoint {} of {} at journal sequence {} ({} arenas) in {} ms", g, dir, image.seq,
                    image.arenas.size(), (System.nanoTime() - started) / 1_000_000);
            return true;
        } catch (IOException | RuntimeException e) {
            counters.checkpointed(event, started, false, image.seq, image.arenas.size());
            LOG.warn("checkpoint {} of {} failed; the journal keeps every record and the store stays usable: {}",
                    g, dir, e.toString());
            return false;
        }
    }

    /**
     * Whether a clean close must write a checkpoint. It need not when both generations are sound, the journal
     * holds less than {@link #CLOSE_REPLAY_BYTES}, and the checkpoint would only repeat the journal: no rotor
     * mark set (only units acknowledged before their fsync set one, and a close spends them in a checkpoint)
     * and no failed allocation since the last checkpoint (their counts are not journalled). The journal keeps
     * every record until a checkpoint covers it, so the next open replays what this close left.
     */
    synchronized boolean neededAtClose() {
        if (generationSeqs[0] < 0 || generationSeqs[1] < 0 || journal.heldBytes() >= CLOSE_REPLAY_BYTES) {
            return true;
        }
        StoreImage image;
        try {
            image = snapshot.get();
        } catch (RuntimeException e) {
            return true; // checkpoint() logs why
        }
        return marksIn(image) > 0 || failuresIn(image) != checkpointedFailures;
    }

    /**
     * Copies the newest generation over the other one, so that both hold everything and the journal can
     * be emptied: what a store does at close. Returns whether it succeeded; failures are logged.
     */
    synchronized boolean mirror() {
        int newest = generationSeqs[0] >= generationSeqs[1] ? 0 : 1;
        long seq = generationSeqs[newest];
        if (seq < 0 || generationSeqs[1 - newest] == seq) {
            return seq >= 0;
        }
        Path from = dir.resolve(StoreFormat.checkpointName(newest));
        Path to = dir.resolve(StoreFormat.checkpointName(1 - newest));
        Path tmp = dir.resolve(StoreFormat.checkpointName(1 - newest) + ".tmp");
        try {
            // The other generation goes first: on a nearly full disk its space is what the copy needs.
            generationSeqs[1 - newest] = -1;
            files.delete(to);
            files.syncDirectory(dir);
            try (StoreFiles.Channel ch = files.open(tmp)) {
                ch.truncate(0);
                ch.write(ByteBuffer.wrap(Files.readAllBytes(from)), 0);
                ch.force();
            } catch (IOException | RuntimeException e) {
                files.delete(tmp);
                throw e;
            }
            files.move(tmp, to);
            files.syncDirectory(dir);
            generationSeqs[1 - newest] = seq;
            journal.checkpointed(seq, seq);
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warn("copying checkpoint {} of {} to generation {} failed; the journal keeps every record: {}", newest,
                    dir, 1 - newest, e.toString());
            return false;
        }
    }

    /** Rotor marks set in an image: spending them all at close is news even without a new record. */
    private static long marksIn(StoreImage image) {
        long set = 0;
        for (StoreImage.ArenaImage a : image.arenas.values()) {
            set += a.mark != RotorMarks.NONE ? 1 : 0;
        }
        return set;
    }

    private static long failuresIn(StoreImage image) {
        long sum = 0;
        for (StoreImage.ArenaImage a : image.arenas.values()) {
            sum += a.state().counters().failures();
        }
        return sum;
    }

    /** Stops the background thread, waiting for a checkpoint in progress. */
    @Override
    public void close() {
        if (!DaemonThreads.stop(executor, 60)) {
            LOG.warn("checkpointer of {} did not stop within 60 s", dir);
        }
    }
}

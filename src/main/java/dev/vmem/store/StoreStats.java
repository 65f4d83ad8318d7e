package dev.vmem.store;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link VmemStore} has done since it opened, from {@link VmemStore#stats()}: the one snapshot that JMX
 * ({@link StoreMXBean}) and metrics binders read. Each figure is current when the snapshot is taken; the
 * figures are not taken at one instant (taking them costs no lock).
 *
 * @param appendedSeq  the sequence number of the newest unit acknowledged or in progress (0: none yet)
 * @param durableSeq   the newest unit known to be on disk: a crash keeps every unit up to here
 * @param rotorMoves   units acknowledged before their fsync ({@link Durability#WRITE}, {@link Durability#BUFFERED})
 *                     that moved a NEXT_FIT rotor
 * @param rotorWaits   how many of those had to wait for an fsync to make a new rotor mark durable; the marks
 *                     are extended in the background, so at a steady rate this stays a small fraction
 * @param journal      the journal's fsyncs and bytes
 * @param checkpoints  the checkpoints written and failed
 * @param recoveryTime how long the open took: recovery from the newest checkpoint and the journal, the invariant
 *                     check of what it rebuilt, and the journal's opening (what {@link VmemStore#recovery()} reports)
 */
public record StoreStats(long appendedSeq, long durableSeq, long rotorMoves, long rotorWaits, JournalStats journal,
        CheckpointStats checkpoints, Duration recoveryTime) {

    public StoreStats {
        Objects.requireNonNull(journal, "journal");
        Objects.requireNonNull(checkpoints, "checkpoints");
        Objects.requireNonNull(recoveryTime, "recoveryTime");
    }

    /**
     * The journal since the store opened.
     *
     * @param fsyncs        fsyncs that made journal records durable: group commits, shared by every unit they
     *                      cover, and the forces at segment rolls and close
     * @param fsyncedUnits  units (one journal record each) those fsyncs made durable
     * @param fsyncTime     the time spent in them
     * @param appendedBytes bytes of records written to the journal's files (a buffered record counts once it
     *                      leaves the buffer)
     * @param sizeBytes     the journal's files on disk now, their preallocated room included
     */
    public record JournalStats(long fsyncs, long fsyncedUnits, Duration fsyncTime, long appendedBytes,
            long sizeBytes) {
        /** Units per fsync on average (0 before the first): how well concurrent callers share fsyncs. */
        public double unitsPerFsync() {
            return fsyncs == 0 ? 0 : (double) fsyncedUnits / fsyncs;
        }
    }

    /**
     * The checkpoints since the store opened. One that finds nothing new to write writes nothing and is not
     * counted.
     *
     * @param written      checkpoints written and verified
     * @param failed       checkpoints that failed (each logged at WARN; the journal kept every record)
     * @param lastAge      how long ago the newest one written ended; empty before the first
     * @param lastDuration how long the newest one written took; empty before the first
     */
    public record CheckpointStats(long written, long failed, Optional<Duration> lastAge,
            Optional<Duration> lastDuration) {
    }
}

package dev.vmem.store;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What the last open of a store recovered, from {@link VmemStore#recovery()}.
 *
 * @param checkpointSeq the journal sequence number of the checkpoint recovery started from (0: none)
 * @param replayed      journal records replayed after that checkpoint
 * @param lastSeq       the sequence number of the newest record recovered: the store goes on after it
 * @param cut           the journal tail that was cut off, if any: records that were written but never
 *                      acknowledged as durable (a crash or power loss during their write)
 * @param upgradedFrom  the format version the store had before this open upgraded it, or 0
 * @param repairs       how many times a loss was accepted in this store with {@code vmem repair}
 * @param rotorSkips    the NEXT_FIT rotors recovery moved up to their durable mark, because units acknowledged
 *                      before their fsync ({@link Durability#WRITE}, {@link Durability#BUFFERED}) may have handed
 *                      out values the journal lost; empty after a clean close and for a store used only at
 *                      {@link Durability#SYNC}
 * @param lostAcknowledged acknowledged work the crash took back, as far as the store head knew of it: units
 *                      acknowledged before their fsync ({@link Durability#WRITE}, {@link Durability#BUFFERED}) that
 *                      the journal lost, as its level allows
 */
public record RecoveryReport(long checkpointSeq, long replayed, long lastSeq, Optional<LostTail> cut,
        int upgradedFrom, int repairs, List<RotorSkip> rotorSkips, Optional<LostUnits> lostAcknowledged) {

    public RecoveryReport {
        rotorSkips = List.copyOf(rotorSkips);
    }

    /**
     * A NEXT_FIT rotor moved forward at recovery: the values in {@code [from, to)} are not handed out again
     * until the rotor comes round. Some of them may have been handed out by units the crash took back (so
     * they must not be reused); the rest, at most {@link StoreOptions#rotorReserve()} quanta, were never
     * handed out.
     *
     * @param arena   the arena's name
     * @param arenaId the arena's id in the store
     * @param from    where the recovered journal left the rotor
     * @param to      the durable mark, where the rotor now is
     */
    public record RotorSkip(String arena, int arenaId, long from, long to) {
    }

    /**
     * Units lost by a crash that were acknowledged before their fsync. The store head records the newest such
     * unit at least once a second, so the range is known up to its last update: later ones may be lost too,
     * and a record that never reached the disk leaves nothing else to count. The numbers are used again by
     * the units that follow the recovery.
     *
     * @param fromSeq the first sequence number lost (the journal ends just before it)
     * @param toSeq   the newest unit the head knew was acknowledged
     */
    public record LostUnits(long fromSeq, long toSeq) {
        /** How many units the range holds (some may have been SYNC units not yet acknowledged). */
        public long units() {
            return toSeq - fromSeq + 1;
        }
    }

    /**
     * A journal tail cut off at open. Nothing in it was acknowledged: a damaged record that any later
     * record or the store head proves durable is never cut, the store refuses to open instead.
     *
     * @param file    the segment it was cut from
     * @param offset  where the cut starts in that file
     * @param fromSeq the first sequence number cut
     * @param toSeq   the last sequence number seen in the cut part (at least {@code fromSeq})
     * @param units   the records cut: the damaged one and the whole ones found after it
     * @param bytes   the bytes cut, up to the last non-zero byte
     */
    public record LostTail(Path file, long offset, long fromSeq, long toSeq, long units, long bytes) {
    }
}

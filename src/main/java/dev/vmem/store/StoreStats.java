package dev.vmem.store;

/**
 * What a {@link VmemStore} has done since it opened, from {@link VmemStore#stats()}.
 *
 * @param appendedSeq the sequence number of the newest unit acknowledged or in progress (0: none yet)
 * @param durableSeq  the newest unit known to be on disk: a crash keeps every unit up to here
 * @param rotorMoves  units acknowledged before their fsync ({@link Durability#WRITE}, {@link Durability#BUFFERED})
 *                    that moved a NEXT_FIT rotor
 * @param rotorWaits  how many of those had to wait for an fsync to make a new rotor mark durable; the marks
 *                    are extended in the background, so at a steady rate this stays a small fraction
 */
public record StoreStats(long appendedSeq, long durableSeq, long rotorMoves, long rotorWaits) {
}

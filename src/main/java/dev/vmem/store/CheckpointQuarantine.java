package dev.vmem.store;

import dev.vmem.Quarantine;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * An arena's reuse quarantine in a checkpoint (format 4, layout: {@link StoreFormat}): the rule as two meta
 * numbers, the quarantined blocks oldest first in the quarantine map, both under the checkpoint's checksum.
 * Checkpoint hands it the open maps (as plain maps: MapDB stays in Checkpoint); it touches nothing else.
 */
final class CheckpointQuarantine {
    private CheckpointQuarantine() {
    }

    /** Writes arena {@code id}'s {@code rule} and its blocks ({@code base, size, due} triples), if it has a rule. */
    static void write(Map<String, Long> meta, Map<long[], long[]> blocks, CRC32C crc, int id,
            Quarantine rule, long[] queue) {
        if (!rule.isActive()) {
            return;
        }
        meta.put(StoreFormat.META_QUARANTINE_DELAY_PREFIX + id, rule.delayMillis());
        meta.put(StoreFormat.META_QUARANTINE_FREES_PREFIX + id, rule.frees());
        Checkpoint.update(crc, id, StoreFormat.CHECKSUM_QUARANTINE_KEY, new long[] {rule.delayMillis(), rule.frees()});
        for (int i = 0; i < queue.length; i += 3) {
            long[] value = {queue[i], queue[i + 1], queue[i + 2]};
            blocks.put(new long[] {id, i / 3}, value);
            Checkpoint.update(crc, id, i / 3, value);
        }
    }

    /**
     * Arena {@code id}'s rule, {@link Quarantine#NONE} if it has none ({@code version} before 4 never has one).
     *
     * @throws StoreCorruptedException if only one of its two numbers is there, or they make no rule
     */
    static Quarantine rule(Map<String, Long> meta, int id, CRC32C crc, long version, Path file) {
        Long delay = version < 4 ? null : meta.get(StoreFormat.META_QUARANTINE_DELAY_PREFIX + id);
        Long frees = version < 4 ? null : meta.get(StoreFormat.META_QUARANTINE_FREES_PREFIX + id);
        if (delay == null && frees == null) {
            return Quarantine.NONE;
        }
        try {
            if (delay == null || frees == null) {
                throw new IllegalArgumentException("one of its two numbers is missing");
            }
            Checkpoint.update(crc, id, StoreFormat.CHECKSUM_QUARANTINE_KEY, new long[] {delay, frees});
            return UnitCodec.rule(delay, frees);
        } catch (IllegalArgumentException e) {
            throw new StoreCorruptedException(file, -1, "arena " + id + ": quarantine is damaged: " + e.getMessage(), e);
        }
    }

    /**
     * Arena {@code id}'s quarantined blocks as {@code base, size, due} triples, oldest first (none without a
     * rule), from {@code mine}, the arena's part of the quarantine map in key order. What they say is checked
     * where the arena is rebuilt; here only their shape.
     *
     * @throws StoreCorruptedException if an entry is not a triple, or the positions do not count from 0
     */
    static long[] blocks(Map<long[], long[]> mine, int id, CRC32C crc, Quarantine rule, Path file) {
        if (mine == null || !rule.isActive()) {
            return new long[0];
        }
        long[] queue = new long[3 * mine.size()];
        int i = 0;
        for (Map.Entry<long[], long[]> e : mine.entrySet()) {
            long[] v = e.getValue();
            if (v.length != 3 || e.getKey()[1] != i / 3) {
                throw new StoreCorruptedException(file, -1, "arena " + id + ": quarantine entry " + e.getKey()[1]
                        + " is damaged (" + v.length + " numbers at position " + i / 3 + ")");
            }
            Checkpoint.update(crc, id, e.getKey()[1], v);
            System.arraycopy(v, 0, queue, i, 3);
            i += 3;
        }
        return queue;
    }
}

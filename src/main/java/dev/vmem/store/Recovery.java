package dev.vmem.store;

import dev.vmem.ArenaChange;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restart: the newest checkpoint that verifies, plus a replay of the journal after it, checked against
 * the store head. A checkpoint that fails is passed over for the older one (the journal still holds
 * everything the older one lacks) and reported so that it gets rebuilt. Reads only: nothing on disk
 * changes until the journal opens.
 */
final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    /**
     * What recovery produced. {@code generationSeqs[g]} is -1 for a missing or damaged generation;
     * {@code head} is null for a format 1 store, which has none.
     */
    record Result(StoreImage image, JournalReader.Scan scan, long[] generationSeqs, long epoch,
            boolean rebuildCheckpoint, int replayed, StoreHead.State head, long checkpointSeq) {

        /** What the open reports, given the store's format {@code version} and the rotors it moved. */
        RecoveryReport report(int version, List<RecoveryReport.RotorSkip> skips) {
            long lastSeq = scan.nextSeq() - 1;
            long acknowledged = head == null ? 0 : head.acknowledgedSeq();
            return new RecoveryReport(checkpointSeq, replayed, lastSeq, Optional.ofNullable(scan.cut()),
                    version < StoreFormat.VERSION ? version : 0, head == null ? 0 : head.repairs(), skips,
                    acknowledged > lastSeq ? Optional.of(new RecoveryReport.LostUnits(lastSeq + 1, acknowledged))
                            : Optional.empty());
        }
    }

    private Recovery() {
    }

    /**
     * Refuses, naming the damaged checkpoint rather than the journal, when a checkpoint had to be passed over
     * and the journal no longer reaches back to the one recovery fell back to.
     */
    private static void checkCoverage(Path dir, long fallbackSeq, StoreCorruptedException unusable) throws IOException {
        List<Long> firsts;
        try {
            firsts = JournalReader.listSegments(dir.resolve(StoreFormat.JOURNAL_DIR));
        } catch (StoreCorruptedException e) {
            return; // reported by the scan
        }
        if (!firsts.isEmpty() && firsts.get(0) > fallbackSeq + 1) {
            throw new StoreCorruptedException(unusable.file(), -1, "checkpoint " + unusable.file().getFileName()
                    + " is damaged (" + unusable.getMessage() + "), and the journal starts at sequence " + firsts.get(0)
                    + ", after what the checkpoint recovery fell back to reflects (" + fallbackSeq
                    + "): the records between are missing from every file", unusable);
        }
    }

    /** The store head, or null for a format 1 store; when salvaging, also null for a missing or damaged one. */
    private static StoreHead.State headOf(Path dir, int version, JournalReader.Salvage salvage) throws IOException {
        if (version < 2) {
            return null;
        }
        try {
            return StoreHead.read(dir);
        } catch (StoreCorruptedException e) {
            if (salvage == null) {
                throw e;
            }
            salvage.damaged(e);
            return null;
        }
    }

    /** @param version the store's format version, from its FORMAT file */
    static Result recover(Path dir, int version) throws IOException {
        return recover(dir, version, null, Long.MAX_VALUE);
    }

    /**
     * As {@link #recover(Path, int)}, for repair: with a {@code salvage}, damage stops the replay where it is
     * found instead of refusing, no head is required, and no record at or above {@code limit} is replayed.
     */
    static Result recover(Path dir, int version, JournalReader.Salvage salvage, long limit) throws IOException {
        StoreHead.State head = headOf(dir, version, salvage);
        long[] seqs = new long[2];
        long[] epochs = new long[2];
        for (int g = 0; g < 2; g++) {
            long[] peeked = Checkpoint.peek(dir.resolve(StoreFormat.checkpointName(g)));
            seqs[g] = peeked[0];
            epochs[g] = peeked[1];
        }
        long epoch = Math.max(epochs[0], epochs[1]);
        boolean damaged = false;
        StoreCorruptedException unusable = null;
        for (int g = 0; g < 2; g++) {
            // A generation file that does not even say which sequence it holds was torn while being written.
            Path file = dir.resolve(StoreFormat.checkpointName(g));
            if (seqs[g] < 0 && Files.exists(file)) {
                damaged = true;
                unusable = unusable != null ? unusable
                        : new StoreCorruptedException(file, -1, "checkpoint does not open or is not marked complete");
            }
        }
        StoreImage image = null;
        boolean zeroFirst = seqs[0] > seqs[1] || (seqs[0] == seqs[1] && epochs[0] >= epochs[1]);
        for (int g : zeroFirst ? new int[] {0, 1} : new int[] {1, 0}) {
            Path file = dir.resolve(StoreFormat.checkpointName(g));
            if (seqs[g] < 0) {
                continue;
            }
            try {
                image = Checkpoint.read(file);
                break;
            } catch (StoreCorruptedException e) {
                LOG.warn("checkpoint {} is unusable, falling back to the other generation: {}", file, e.getMessage());
                unusable = unusable == null ? e : unusable;
                seqs[g] = -1;
                damaged = true;
            }
        }
        if (image == null) {
            image = new StoreImage(0);
        }
        long checkpointSeq = image.seq;
        if (unusable != null && salvage == null) {
            checkCoverage(dir, image.seq, unusable);
        }
        StoreImage target = image;
        int[] replayed = {0};
        Path journalDir = dir.resolve(StoreFormat.JOURNAL_DIR);
        JournalReader.Scan scan = JournalReader.scan(journalDir, image.seq, head,
                (seq, payload, file, offset) -> {
            if (seq >= limit) {
                throw new StoreCorruptedException(file, offset, "repair stops before journal record " + seq);
            }
            List<Op> ops;
            try {
                ops = UnitCodec.decode(payload);
            } catch (IllegalArgumentException e) {
                throw new StoreCorruptedException(file, offset, "journal record " + seq + " is malformed: "
                        + e.getMessage(), e);
            }
            for (Op op : ops) {
                String problem = target.apply(op);
                if (problem != null) {
                    throw new StoreCorruptedException(file, offset, "journal record " + seq
                            + " does not fit the recovered state: " + problem);
                }
            }
            target.seq = seq;
            replayed[0]++;
        }, salvage);
        return new Result(image, scan, seqs, epoch, damaged, replayed[0], head, checkpointSeq);
    }

    /**
     * Moves the rotor of every arena of a recovered image whose mark is still set up to the mark
     * ({@link RotorMarks}): every value a lost unit may have handed out lies behind it. The image then holds
     * the rotor there, and whoever goes on from it journals (or checkpoints) the moves before taking work. Not
     * part of the replay: {@link StoreVerifier} replays to compare with a running store, whose marks are live.
     */
    static List<RecoveryReport.RotorSkip> skipToMarks(StoreImage image) {
        List<RecoveryReport.RotorSkip> skips = new ArrayList<>();
        for (StoreImage.ArenaImage a : image.arenas.values()) {
            long from = a.state().cursor();
            long mark = a.mark;
            if (mark != RotorMarks.NONE && mark > from) {
                String problem = a.apply(new ArenaChange.CursorMoved(from, mark));
                if (problem != null) {
                    throw new IllegalStateException("rotor mark " + mark + " of '" + a.definition.name()
                            + "' does not fit: " + problem);
                }
                skips.add(new RecoveryReport.RotorSkip(a.definition.name(), a.definition.arena(), from, mark));
            }
            a.mark = RotorMarks.NONE;
        }
        return List.copyOf(skips);
    }
}

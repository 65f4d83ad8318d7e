package dev.vmem.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Reads the journal at open: checks every segment and record, tells a tail that was never durable (cut
 * off and reported) from damage to durable records (refused, naming file and offset), checks that the
 * journal reaches as far as the store head proves it did, and hands each record after the checkpoint to
 * a consumer in sequence order. It changes nothing on disk: the journal does the cutting when it opens.
 *
 * <h2>The rule (format 2)</h2>
 * Every record carries the watermark: the newest sequence number known to be on disk when it was written.
 * If record <i>n</i> of the last segment is damaged and a whole later record has a watermark of
 * <i>n</i> or more, or the head says <i>n</i> was durable, <i>n</i> had been fsynced and the store is
 * corrupted. Otherwise <i>n</i> and everything after it were written after the last fsync, so nothing
 * from <i>n</i> on was acknowledged, and cutting there is exactly what a power loss may do. Every segment
 * but the last was forced whole before the next one was created, so damage in one is always corruption.
 * Format 1 records have no watermark: a damaged one is cut only when no whole record follows it.
 */
final class JournalReader {
    /** Receives each record's payload. */
    @FunctionalInterface
    interface RecordConsumer {
        void accept(long seq, byte[] payload, Path file, long offset);
    }

    /**
     * What the scan found.
     *
     * @param segments    the segments to keep, oldest first
     * @param nextSeq     the sequence number the next record gets
     * @param tailSize    the valid length of the last kept segment
     * @param tailVersion the format version of the last kept segment (0 if none)
     * @param discard     segments to delete at open: those the checkpoint holds whole, and a last one that never
     *                    got a whole header (created by a crash, holding nothing)
     * @param cut         the tail to cut off, or null
     */
    record Scan(Deque<Long> segments, long nextSeq, long tailSize, int tailVersion, List<Path> discard,
            RecoveryReport.LostTail cut) {
    }

    private JournalReader() {
    }

    /**
     * Scans every segment in {@code dir}, passing records with a sequence number above {@code afterSeq}
     * to {@code consumer}.
     *
     * @param head the store head, or null for a format 1 store (which has none)
     * @throws StoreCorruptedException if anything other than a tail that was never durable is wrong
     */
    static Scan scan(Path dir, long afterSeq, StoreHead.State head, RecordConsumer consumer) throws IOException {
        return scan(dir, afterSeq, head, consumer, null);
    }

    /**
     * Repair's view of a scan: told of the first damage instead of refusing, then of every whole record
     * found after it (which accepting the loss drops).
     */
    interface Salvage {
        void damaged(StoreCorruptedException e);

        void dropped(long seq, byte[] payload);
    }

    /**
     * As {@link #scan(Path, long, StoreHead.State, RecordConsumer)}; with a {@code salvage}, damage stops
     * the scan where it is found instead of refusing, and the head is not checked.
     */
    static Scan scan(Path dir, long afterSeq, StoreHead.State head, RecordConsumer consumer, Salvage salvage)
            throws IOException {
        List<Long> firsts;
        try {
            firsts = listSegments(dir);
        } catch (StoreCorruptedException e) {
            if (salvage == null) {
                throw e;
            }
            salvage.damaged(e);
            firsts = List.of();
        }
        Deque<Long> kept = new ArrayDeque<>();
        List<Path> discard = new ArrayList<>();
        RecoveryReport.LostTail cut = null;
        long expected = -1;
        long tailSize = 0;
        int tailVersion = 0;
        // Segments that the checkpoint holds whole are not read: a checkpoint's deletion of several of them
        // may reach the disk in any order (one directory fsync covers them all), leaving a gap among them.
        // The segment the head names is always read: the one after it may be a roll that never finished.
        int covered = 0;
        while (covered + 1 < firsts.size() && firsts.get(covered + 1) <= afterSeq + 1
                && (head == null || firsts.get(covered) < head.segment())) {
            discard.add(dir.resolve(StoreFormat.segmentName(firsts.get(covered))));
            covered++;
        }
        for (int i = covered; i < firsts.size(); i++) {
            long first = firsts.get(i);
            boolean last = i == firsts.size() - 1;
            Path file = dir.resolve(StoreFormat.segmentName(first));
            byte[] bytes = Files.readAllBytes(file);
            int version = StoreFormat.segmentVersion(bytes, first);
            long before = expected;
            try {
                if (version < 0) {
                    if (last && bytes.length <= StoreFormat.SEGMENT_HEADER_BYTES
                            && (head == null || head.segment() < first)) {
                        // Crashed while creating this segment: it never held a record, and no head names it.
                        discard.add(file);
                        break;
                    }
                    throw new StoreCorruptedException(file, 0, "journal segment header is damaged or names another "
                            + "sequence number, or a format version other than " + StoreFormat.OLDEST_READABLE_VERSION
                            + " to " + StoreFormat.VERSION);
                }
                if (expected == -1 && first > afterSeq + 1) {
                    throw new StoreCorruptedException(file, 0, "the journal starts at sequence " + first
                            + " but the checkpoint reflects only up to " + afterSeq + ": records are missing");
                }
                if (expected != -1 && first != expected) {
                    throw new StoreCorruptedException(file, 0, "journal segment starts at sequence " + first
                            + " but the previous segment ends before " + expected + " (a segment is missing)");
                }
                expected = first;
                int headerBytes = StoreFormat.recordHeaderBytes(version);
                int pos = StoreFormat.SEGMENT_HEADER_BYTES;
                while (pos < bytes.length) {
                    int length = recordLength(bytes, pos, expected, version);
                    if (length < 0) {
                        if (!last && allZero(bytes, pos)) {
                            throw new StoreCorruptedException(file, pos, "journal segment " + file.getFileName()
                                    + " runs on in " + (bytes.length - pos) + " zero bytes after its last record ("
                                    + (expected - 1) + "), but it is not the last segment: it was cut to its last"
                                    + " record and forced before the next one began, so it has been changed since");
                        }
                        if (!last) {
                            throw new StoreCorruptedException(file, pos, "journal record " + expected
                                    + " is damaged in a segment that was forced whole before the next one"
                                    + " began");
                        }
                        cut = tornTail(file, bytes, pos, expected, version, head);
                        if (cut != null && salvage != null) {
                            // Never acknowledged; a repair still moves rotors past them.
                            wholeRecords(bytes, pos, salvage);
                        }
                        break;
                    }
                    if (expected > afterSeq) {
                        byte[] payload = new byte[length];
                        System.arraycopy(bytes, pos + headerBytes, payload, 0, length);
                        consumer.accept(expected, payload, file, pos);
                    }
                    expected++;
                    pos += headerBytes + length;
                }
                kept.addLast(first);
                tailSize = Math.min(pos, bytes.length);
                tailVersion = version;
            } catch (StoreCorruptedException e) {
                if (salvage == null) {
                    throw e;
                }
                salvage.damaged(e);
                long from = e.offset() > 0 ? e.offset() : StoreFormat.SEGMENT_HEADER_BYTES;
                for (int j = i; j < firsts.size(); j++) {
                    Path f = dir.resolve(StoreFormat.segmentName(firsts.get(j)));
                    byte[] rest = j == i ? bytes : Files.readAllBytes(f);
                    wholeRecords(rest, j == i ? from : StoreFormat.SEGMENT_HEADER_BYTES, salvage);
                }
                if (expected == -1) {
                    expected = before;
                }
                break;
            }
        }
        long firstSeq = kept.isEmpty() ? afterSeq + 1 : kept.getFirst();
        long nextSeq = expected == -1 ? afterSeq + 1 : expected;
        if (salvage != null) {
            return new Scan(kept, nextSeq, tailSize, tailVersion, discard, cut);
        }
        if (firstSeq > afterSeq + 1) {
            throw new StoreCorruptedException(dir, -1, "the journal starts at sequence " + firstSeq
                    + " but the checkpoint reflects only up to " + afterSeq + ": records are missing");
        }
        if (nextSeq <= afterSeq) {
            throw new StoreCorruptedException(dir, -1, "the journal ends at sequence " + (nextSeq - 1)
                    + " but the checkpoint reflects up to " + afterSeq + ": the journal lost records");
        }
        if (head != null) {
            checkAgainstHead(dir, head, kept, nextSeq);
        }
        return new Scan(kept, nextSeq, tailSize, tailVersion, discard, cut);
    }

    /** Refuses a journal that ends before what the head proves was durable, or lacks the segment it names. */
    private static void checkAgainstHead(Path dir, StoreHead.State head, Deque<Long> kept, long nextSeq) {
        if (!kept.contains(head.segment()) && (kept.isEmpty() || kept.getLast() < head.segment())) {
            throw new StoreCorruptedException(dir.resolve(StoreFormat.segmentName(head.segment())), -1,
                    "journal segment " + StoreFormat.segmentName(head.segment()) + " is missing, but the store head"
                    + " records that it was created: the journal lost its newest segment"
                    + (head.durableSeq() >= nextSeq ? " and records " + nextSeq + " to " + head.durableSeq() : ""));
        }
        if (nextSeq - 1 < head.durableSeq()) {
            throw new StoreCorruptedException(dir.resolve(StoreFormat.segmentName(kept.getLast())), -1,
                    "the journal ends at sequence " + (nextSeq - 1) + " but the store head records that sequence "
                    + head.durableSeq() + " was durable: records " + nextSeq + " to " + head.durableSeq()
                    + " are missing");
        }
    }

    /**
     * Decides about the damaged record {@code seq} at {@code pos} of the last segment: returns the tail to
     * cut (null if the segment just ends, in zeros), or refuses if the damaged record was durable.
     */
    private static RecoveryReport.LostTail tornTail(Path file, byte[] bytes, int pos, long seq, int version,
            StoreHead.State head) {
        int end = bytes.length;
        while (end > pos && bytes[end - 1] == 0) {
            end--;
        }
        if (end == pos) {
            return null; // zeros the writer put ahead of its records: the journal simply ends here
        }
        long units = 1;
        long lastSeq = seq;
        int headerBytes = StoreFormat.recordHeaderBytes(version);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        for (int p = pos + 1; p <= end - headerBytes; p++) {
            long recordSeq = b.getLong(p + StoreFormat.RECORD_SEQ_OFFSET);
            if (recordSeq < seq || recordSeq - seq >= 1L << 32) {
                continue;
            }
            int length = recordLength(bytes, p, recordSeq, version);
            if (length < 0) {
                continue;
            }
            if (version == 1) {
                throw new StoreCorruptedException(file, pos, "journal record " + seq + " is damaged and valid"
                        + " records follow it");
            }
            long watermark = b.getLong(p + StoreFormat.RECORD_WATERMARK_OFFSET);
            if (watermark >= seq) {
                throw new StoreCorruptedException(file, pos, "journal record " + seq + " is damaged, but record "
                        + recordSeq + " (at offset " + p + ") was written after it was on disk");
            }
            units++;
            lastSeq = Math.max(lastSeq, recordSeq);
            p += headerBytes + length - 1;
        }
        if (head != null && seq <= head.durableSeq()) {
            throw new StoreCorruptedException(file, pos, "journal record " + seq + " is damaged, but the store head"
                    + " records that sequence " + head.durableSeq() + " was on disk");
        }
        return new RecoveryReport.LostTail(file, pos, seq, lastSeq, units, end - pos);
    }

    private static boolean allZero(byte[] bytes, int from) {
        for (int p = from; p < bytes.length; p++) {
            if (bytes[p] != 0) {
                return false;
            }
        }
        return true;
    }

    /** Hands every whole record found at or after {@code from} (of any sequence number) to {@code salvage}. */
    private static void wholeRecords(byte[] bytes, long from, Salvage salvage) {
        int version = bytes.length >= StoreFormat.SEGMENT_HEADER_BYTES
                ? ByteBuffer.wrap(bytes).getInt(StoreFormat.SEGMENT_VERSION_OFFSET) : StoreFormat.VERSION;
        version = StoreFormat.readable(version) ? version : StoreFormat.VERSION;
        int headerBytes = StoreFormat.recordHeaderBytes(version);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        for (int p = (int) from; p <= bytes.length - headerBytes; p++) {
            long seq = b.getLong(p + StoreFormat.RECORD_SEQ_OFFSET);
            int length = recordLength(bytes, p, seq, version);
            if (length >= 0) {
                salvage.dropped(seq, java.util.Arrays.copyOfRange(bytes, p + headerBytes, p + headerBytes + length));
                p += headerBytes + length - 1;
            }
        }
    }

    /** The first sequence numbers of the segments in {@code dir}, in order. */
    static List<Long> listSegments(Path dir) throws IOException {
        List<Long> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                long first = StoreFormat.segmentFirstSeq(p.getFileName().toString());
                if (first >= 0) {
                    out.add(first);
                }
            }
        } catch (NoSuchFileException e) {
            throw new StoreCorruptedException(dir, -1, "the journal directory is missing");
        }
        out.sort(null);
        return out;
    }

    /** The payload length of a whole record with sequence {@code seq} at {@code pos}, or -1. */
    private static int recordLength(byte[] bytes, int pos, long seq, int version) {
        int headerBytes = StoreFormat.recordHeaderBytes(version);
        if (bytes.length - pos < headerBytes) {
            return -1;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int length = b.getInt(pos + StoreFormat.RECORD_LENGTH_OFFSET);
        if (length < 0 || length > StoreFormat.MAX_PAYLOAD_BYTES || length > bytes.length - pos - headerBytes
                || b.getLong(pos + StoreFormat.RECORD_SEQ_OFFSET) != seq) {
            return -1;
        }
        return b.getInt(pos + StoreFormat.RECORD_CRC_OFFSET) == StoreFormat.recordCrc(bytes, pos, version, length)
                ? length : -1;
    }
}

package dev.vmem.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Reads the journal at open: checks every segment and record, tells a torn tail (a crash during the
 * last write: cut off) from corruption (refused, naming file and offset), and hands each record after
 * the checkpoint to a consumer in sequence order.
 */
final class JournalReader {
    /** Receives each record's payload. */
    @FunctionalInterface
    interface RecordConsumer {
        void accept(long seq, byte[] payload, Path file, long offset);
    }

    /** What the scan found: the segments to keep, and where appending resumes. */
    record Scan(Deque<Long> segments, long nextSeq, long tailSize) {
    }

    private JournalReader() {
    }

    /**
     * Scans every segment in {@code dir}, passing records with a sequence number above {@code afterSeq}
     * to {@code consumer}. An empty last segment whose header is torn is deleted.
     *
     * @throws StoreCorruptedException if anything other than a torn tail is wrong
     */
    static Scan scan(Path dir, long afterSeq, RecordConsumer consumer) throws IOException {
        List<Long> firsts = listSegments(dir);
        Deque<Long> kept = new ArrayDeque<>();
        long expected = -1;
        long tailSize = 0;
        for (int i = 0; i < firsts.size(); i++) {
            long first = firsts.get(i);
            boolean last = i == firsts.size() - 1;
            Path file = dir.resolve(StoreFormat.segmentName(first));
            byte[] bytes = Files.readAllBytes(file);
            if (!StoreFormat.segmentHeaderValid(bytes, first)) {
                if (last && bytes.length <= StoreFormat.SEGMENT_HEADER_BYTES) {
                    // Crashed while creating this segment: it never held a record.
                    Files.delete(file);
                    StoreDirectory.sync(dir);
                    break;
                }
                throw new StoreCorruptedException(file, 0, "journal segment header is damaged or names another "
                        + "sequence number or format version than " + StoreFormat.VERSION);
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
            int pos = StoreFormat.SEGMENT_HEADER_BYTES;
            while (pos < bytes.length) {
                int length = recordLength(bytes, pos, expected);
                if (length < 0) {
                    if (!last || !zeroFrom(bytes, pos) && validRecordAfter(bytes, pos + 1, expected)) {
                        throw new StoreCorruptedException(file, pos, "journal record " + expected
                                + " is damaged and valid records follow it");
                    }
                    break; // torn tail: cut off when the journal is reopened for writing
                }
                if (expected > afterSeq) {
                    byte[] payload = new byte[length];
                    System.arraycopy(bytes, pos + StoreFormat.RECORD_HEADER_BYTES, payload, 0, length);
                    consumer.accept(expected, payload, file, pos);
                }
                expected++;
                pos += StoreFormat.RECORD_HEADER_BYTES + length;
            }
            kept.addLast(first);
            tailSize = Math.min(pos, bytes.length);
        }
        long firstSeq = kept.isEmpty() ? afterSeq + 1 : kept.getFirst();
        long nextSeq = expected == -1 ? afterSeq + 1 : expected;
        if (firstSeq > afterSeq + 1) {
            throw new StoreCorruptedException(dir, -1, "the journal starts at sequence " + firstSeq
                    + " but the checkpoint reflects only up to " + afterSeq + ": records are missing");
        }
        if (nextSeq <= afterSeq) {
            throw new StoreCorruptedException(dir, -1, "the journal ends at sequence " + (nextSeq - 1)
                    + " but the checkpoint reflects up to " + afterSeq + ": the journal lost records");
        }
        return new Scan(kept, nextSeq, tailSize);
    }

    static List<Long> listSegments(Path dir) throws IOException {
        List<Long> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                long first = StoreFormat.segmentFirstSeq(p.getFileName().toString());
                if (first >= 0) {
                    out.add(first);
                }
            }
        }
        out.sort(null);
        return out;
    }

    /** The payload length of a valid record with sequence {@code seq} at {@code pos}, or -1. */
    private static int recordLength(byte[] bytes, int pos, long seq) {
        if (bytes.length - pos < StoreFormat.RECORD_HEADER_BYTES) {
            return -1;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int length = b.getInt(pos + StoreFormat.RECORD_LENGTH_OFFSET);
        int crc = b.getInt(pos + StoreFormat.RECORD_CRC_OFFSET);
        long recordSeq = b.getLong(pos + StoreFormat.RECORD_SEQ_OFFSET);
        if (length < 0 || length > StoreFormat.MAX_PAYLOAD_BYTES
                || length > bytes.length - pos - StoreFormat.RECORD_HEADER_BYTES || recordSeq != seq) {
            return -1;
        }
        int actual = StoreFormat.recordCrc(length, recordSeq, bytes, pos + StoreFormat.RECORD_HEADER_BYTES, length);
        return actual == crc ? length : -1;
    }

    /** Whether every byte from {@code from} on is zero: a preallocated tail, which holds no record. */
    private static boolean zeroFrom(byte[] bytes, int from) {
        for (int p = from; p < bytes.length; p++) {
            if (bytes[p] != 0) {
                return false;
            }
        }
        return true;
    }

    /** Whether any valid record with a sequence number at or above {@code seq} starts at or after {@code from}. */
    private static boolean validRecordAfter(byte[] bytes, int from, long seq) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        for (int p = from; p <= bytes.length - StoreFormat.RECORD_HEADER_BYTES; p++) {
            long recordSeq = b.getLong(p + StoreFormat.RECORD_SEQ_OFFSET);
            if (recordSeq >= seq && recordSeq < seq + (1L << 32) && recordLength(bytes, p, recordSeq) >= 0) {
                return true;
            }
        }
        return false;
    }
}

package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a store's journal by the layout {@link StoreFormat} documents (not through the reader under test, and
 * without checking: tests damage it), damages its bytes, and forges records that only their meaning can tell from
 * real ones.
 */
final class JournalForgery {
    private JournalForgery() {
    }

    /** A whole record of a segment: where it starts, its header size, payload length and sequence number. */
    record Rec(long offset, int headerBytes, int length, long seq) {
        long end() {
            return offset + headerBytes + length;
        }

        /** Where its payload starts. */
        long payload() {
            return offset + headerBytes;
        }
    }

    static Path journalDir(Path store) {
        return store.resolve(StoreFormat.JOURNAL_DIR);
    }

    /** The store's journal segments, oldest first. */
    static List<Path> segments(Path store) throws IOException {
        List<Path> out = new ArrayList<>();
        for (long first : JournalReader.listSegments(journalDir(store))) {
            out.add(journalDir(store).resolve(StoreFormat.segmentName(first)));
        }
        return out;
    }

    /**
     * The records of a segment up to the first that is not whole, or whose length field is not positive (a
     * record's payload holds at least its operation count, so a zero length is the preallocated tail).
     */
    static List<Rec> records(Path segment) throws IOException {
        byte[] bytes = Files.readAllBytes(segment);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        List<Rec> out = new ArrayList<>();
        int pos = StoreFormat.SEGMENT_HEADER_BYTES;
        int header = StoreFormat.recordHeaderBytes(b.getInt(StoreFormat.SEGMENT_VERSION_OFFSET));
        while (bytes.length - pos >= header) {
            int length = b.getInt(pos);
            if (length <= 0 || length > bytes.length - pos - header) {
                break;
            }
            out.add(new Rec(pos, header, length, b.getLong(pos + StoreFormat.RECORD_SEQ_OFFSET)));
            pos += header + length;
        }
        return out;
    }

    /** Where each record of {@link #records} starts, then where the last one ends. */
    static List<Long> recordOffsets(Path segment) throws IOException {
        List<Long> out = new ArrayList<>();
        long end = StoreFormat.SEGMENT_HEADER_BYTES;
        for (Rec r : records(segment)) {
            out.add(r.offset());
            end = r.end();
        }
        out.add(end);
        return out;
    }

    /** Where the segment's records end: the file may run on in zeros. */
    static long recordsEnd(Path segment) throws IOException {
        List<Long> offsets = recordOffsets(segment);
        return offsets.get(offsets.size() - 1);
    }

    static boolean zerosFrom(Path file, long from) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        for (int i = (int) from; i < bytes.length; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** Flips bits of the byte at {@code offset}; a second call undoes it. */
    static void xorByte(Path file, long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, offset);
            one.flip();
            byte v = one.get();
            ch.write(ByteBuffer.wrap(new byte[] {(byte) (v ^ 0x5A)}), offset);
        }
    }

    static void overwrite(Path file, long offset, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), offset);
        }
    }

    static void truncate(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    static void append(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes, StandardOpenOption.APPEND);
    }

    /**
     * Appends a record holding {@code ops} to the store's last segment, with a correct frame, checksum and the
     * next sequence number: a record that only its meaning can tell from a real one.
     *
     * @return the record's offset
     */
    static long forgeRecord(Path store, List<Op> ops) throws IOException {
        return forgeRecord(store, UnitCodec.encode(ops));
    }

    static long forgeRecord(Path store, byte[] payload) throws IOException {
        return forgeRecord(store, payload, -1);
    }

    /**
     * As {@link #forgeRecord(Path, byte[])}, with the given durable watermark ({@code -1}: the sequence number
     * before the record's, as a record written right after an fsync carries).
     */
    static long forgeRecord(Path store, byte[] payload, long watermark) throws IOException {
        List<Path> segs = segments(store);
        Path last = segs.get(segs.size() - 1);
        List<Rec> recs = records(last);
        long seq = recs.isEmpty() ? JournalReader.listSegments(journalDir(store)).get(segs.size() - 1)
                : recs.get(recs.size() - 1).seq() + 1;
        long offset = recs.isEmpty() ? StoreFormat.SEGMENT_HEADER_BYTES : recs.get(recs.size() - 1).end();
        assertEquals(offset, Files.size(last), "the journal ends with a whole record");
        append(last, StoreFormat.record(seq, watermark < 0 ? seq - 1 : watermark, payload).array());
        return offset;
    }

    /**
     * Appends to the last segment a copy of its last record under the next sequence number: a record that
     * was written but never acknowledged (the store head and every record's watermark are behind it), as a
     * crash during its write would leave it before a test tears it.
     *
     * @return the forged record
     */
    static Rec forgeUnacknowledged(Path store) throws IOException {
        List<Path> segs = segments(store);
        Path last = segs.get(segs.size() - 1);
        List<Rec> recs = records(last);
        Rec model = recs.get(recs.size() - 1);
        byte[] payload = java.util.Arrays.copyOfRange(Files.readAllBytes(last), (int) model.payload(),
                (int) model.end());
        long offset = forgeRecord(store, payload);
        List<Rec> after = records(last);
        Rec forged = after.get(after.size() - 1);
        assertEquals(offset, forged.offset());
        return forged;
    }

    /**
     * Rewrites the store head to say that only records up to {@code durableSeq} were durable: the head as it
     * stands when the process dies before its next update (it lags the journal by up to a second).
     */
    static void rewindHead(Path store, long durableSeq) throws IOException {
        StoreHead.State s = StoreHead.read(store);
        StoreHead.State older = new StoreHead.State(s.count() + 1, durableSeq, s.segment(), s.checkpointSeq(),
                s.repairs());
        try (FileChannel ch = FileChannel.open(store.resolve(StoreFormat.HEAD_FILE), StandardOpenOption.WRITE)) {
            ch.write(StoreFormat.headSlot(older), StoreFormat.headSlotOffset(older.count()));
        }
    }
}

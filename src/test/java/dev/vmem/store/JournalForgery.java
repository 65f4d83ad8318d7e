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

    /** A whole record of a segment: where it starts, its payload length and sequence number. */
    record Rec(long offset, int length, long seq) {
        long end() {
            return offset + StoreFormat.RECORD_HEADER_BYTES + length;
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
        while (bytes.length - pos >= StoreFormat.RECORD_HEADER_BYTES) {
            int length = b.getInt(pos);
            if (length <= 0 || length > bytes.length - pos - StoreFormat.RECORD_HEADER_BYTES) {
                break;
            }
            out.add(new Rec(pos, length, b.getLong(pos + 8)));
            pos += StoreFormat.RECORD_HEADER_BYTES + length;
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
        List<Path> segs = segments(store);
        Path last = segs.get(segs.size() - 1);
        List<Rec> recs = records(last);
        long seq = recs.isEmpty() ? JournalReader.listSegments(journalDir(store)).get(segs.size() - 1)
                : recs.get(recs.size() - 1).seq() + 1;
        long offset = recs.isEmpty() ? StoreFormat.SEGMENT_HEADER_BYTES : recs.get(recs.size() - 1).end();
        assertEquals(offset, Files.size(last), "the journal ends with a whole record");
        ByteBuffer frame = ByteBuffer.allocate(StoreFormat.RECORD_HEADER_BYTES + payload.length);
        frame.putInt(payload.length).putInt(StoreFormat.recordCrc(payload.length, seq, payload, 0, payload.length))
                .putLong(seq).put(payload);
        append(last, frame.array());
        return offset;
    }
}

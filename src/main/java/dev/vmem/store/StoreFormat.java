package dev.vmem.store;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The on-disk format of a store, version {@value #VERSION}: the one place that defines file names,
 * layouts, and the checksum rule. Every multi-byte number is big-endian.
 *
 * <h2>Directory</h2>
 * <pre>
 *   FORMAT                    "vmem-store format 1\n": written once at creation
 *   LOCK                      held with an OS file lock while the store is open
 *   journal/J&lt;seq&gt;.wal        journal segments; &lt;seq&gt; = first sequence number, 20 digits
 *   checkpoint-0.db           MapDB checkpoint, generation 0
 *   checkpoint-1.db           MapDB checkpoint, generation 1 (the two are written in turn)
 * </pre>
 *
 * <h2>Journal segment</h2>
 * <pre>
 *   0        8        12       20       24
 *   +--------+--------+--------+--------+---------------------------
 *   | magic  | version| first  | crc32c | record | record | ...
 *   |"VMEMJRNL"       |  seq   | of 0-20|
 *   +--------+--------+--------+--------+---------------------------
 * </pre>
 *
 * <h2>Journal record</h2>
 * <pre>
 *   0        4        8                16
 *   +--------+--------+----------------+----------------------+
 *   | length | crc32c | sequence       | payload (length B)   |
 *   +--------+--------+----------------+----------------------+
 * </pre>
 * {@code crc32c} covers the length, the sequence number and the payload (bytes 0-3 and 8 to the end).
 * Sequence numbers start at 1 and rise by exactly 1 across segments. A record is one unit: it is
 * acknowledged, replayed and lost as a whole.
 *
 * <h2>Payload: a unit of operations</h2>
 * <pre>
 *   count:int32, then count times:
 *   CREATE   1 | arena:int32 | quantum | importQuantum | qcacheMax | source:int32 (-1 none) | nameLen:int16 | name (UTF-8)
 *   DROP     2 | arena:int32
 *   SPAN     3 | arena:int32 | base | size | imported:int8
 *   UNSPAN   4 | arena:int32 | base | size
 *   ALLOC    5 | arena:int32 | base | size
 *   FREE     6 | arena:int32 | base | size
 *   CURSOR   7 | arena:int32 | from | to
 *   (unlabelled fields are int64)
 * </pre>
 *
 * <h2>Checksum rule</h2>
 * CRC32C ({@link java.util.zip.CRC32C}) everywhere. A record whose checksum fails is torn if nothing
 * valid follows it in its segment and it is in the last segment (a crash during the final write: it is
 * cut off); otherwise the store is corrupted and refuses to open, naming the file and offset. The last
 * segment may end in zeros after its last record (the writer grows it ahead of its records, so that an
 * fsync need not commit a new file size): zeros hold no valid record, so by the same rule they are a
 * torn tail, and a damaged record before them is still refused if any valid record follows it. Every
 * other segment ends exactly at the end of its last record. A checkpoint stores the CRC32C of its
 * content, in the order it is written, and is used only if it opens, is marked complete and its content
 * matches that checksum.
 */
public final class StoreFormat {
    /** The format version this build writes and reads. */
    public static final int VERSION = 1;

    static final String FORMAT_FILE = "FORMAT";
    static final String LOCK_FILE = "LOCK";
    static final String JOURNAL_DIR = "journal";
    static final String FORMAT_LINE_PREFIX = "vmem-store format ";

    static final long SEGMENT_MAGIC = 0x564D454D4A524E4CL; // "VMEMJRNL"
    static final int SEGMENT_HEADER_BYTES = 24;
    static final int RECORD_HEADER_BYTES = 16;
    /** Largest payload accepted: a unit of about 100,000 operations. */
    static final int MAX_PAYLOAD_BYTES = 4 << 20;

    static final byte OP_CREATE = 1;
    static final byte OP_DROP = 2;
    static final byte OP_SPAN = 3;
    static final byte OP_UNSPAN = 4;
    static final byte OP_ALLOC = 5;
    static final byte OP_FREE = 6;
    static final byte OP_CURSOR = 7;

    private StoreFormat() {
    }

    static String segmentName(long firstSeq) {
        return String.format("J%020d.wal", firstSeq);
    }

    static String checkpointName(int generation) {
        return "checkpoint-" + generation + ".db";
    }

    static ByteBuffer segmentHeader(long firstSeq) {
        ByteBuffer b = ByteBuffer.allocate(SEGMENT_HEADER_BYTES).order(ByteOrder.BIG_ENDIAN);
        b.putLong(SEGMENT_MAGIC).putInt(VERSION).putLong(firstSeq);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 20);
        b.putInt((int) crc.getValue());
        return b.flip();
    }

    /** The checksum of a record: over its length, sequence number and payload. */
    static int recordCrc(int length, long seq, byte[] payload, int off, int len) {
        CRC32C crc = new CRC32C();
        ByteBuffer head = ByteBuffer.allocate(12).putInt(length).putLong(seq);
        crc.update(head.array(), 0, 12);
        crc.update(payload, off, len);
        return (int) crc.getValue();
    }
}

package dev.vmem.store;

import java.nio.ByteBuffer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * The on-disk format of a store, version {@value #VERSION}: the one place that defines file names,
 * every layout (FORMAT file, store head, journal segment, record, payload, checkpoint) and the checksum
 * rule. The offset constants below are the diagrams' numbers; readers and writers use them, never bare
 * numbers. Every multi-byte number is big-endian. Format 1 (records without a watermark, no head, a
 * checkpoint checksum that did not cover its meta numbers), format 2 (no MARK operation, no rotor marks in
 * checkpoints) and format 3 (checkpoint allocations as pairs of int64s; its journal and head are format 4's)
 * are still read; opening an older store creates its head if it has none, starts a segment of this format
 * and then rewrites FORMAT, so it is upgraded in place (its checkpoints are replaced by the next ones).
 *
 * <h2>Directory</h2>
 * <pre>
 *   FORMAT                    "vmem-store format 4\n": written last at creation (via FORMAT.tmp, renamed)
 *   LOCK                      held with an OS file lock while the store is open
 *   HEAD                      the store head: how far the journal reached (below)
 *   journal/J&lt;seq&gt;.wal        journal segments; &lt;seq&gt; = first sequence number, 20 digits
 *   checkpoint-0.db           MapDB checkpoint, generation 0
 *   checkpoint-1.db           MapDB checkpoint, generation 1 (the two are written in turn)
 *   repair.tmp/, damaged-N/   only after {@code vmem repair}: the repair being moved in; the files it replaced
 * </pre>
 * A new name is durable only once its directory is fsynced, so every create, rename and unlink is followed
 * by an fsync of its directory; creation makes journal/, the first segment and HEAD durable before FORMAT.
 *
 * <h2>Store head (HEAD)</h2>
 * Two slots of 60 bytes at offsets 0 and 4096 (a page apart), written in turn and forced; the whole slot
 * with the higher count wins, so a write torn by a power loss leaves the previous head:
 * <pre>
 *   0        8        12       20           28        36              44       48               56
 *   +--------+--------+--------+------------+---------+---------------+--------+----------------+--------+
 *   | magic  | version| count  | durableSeq | segment | checkpointSeq | repairs| acknowledgedSeq| crc32c |
 *   |"VMEMHEAD"       |        |            |         |               | int32  |                | of 0-55|
 *   +--------+--------+--------+------------+---------+---------------+--------+----------------+--------+
 * </pre>
 * {@code acknowledgedSeq} (format 3): the newest record of a unit acknowledged before its fsync
 * ({@code WRITE}, {@code BUFFERED}); a journal that ends before it lost acknowledged work, which recovery
 * reports (the store opens: those levels allow the loss). Reset to the journal's end at every open. A format 2
 * slot ends with its crc32c at 48 (52 bytes) and has no {@code acknowledgedSeq}.
 * {@code durableSeq}: every record up to it was on disk; {@code segment}: the first sequence number of the
 * newest segment, which exists. Updated at every segment roll, every checkpoint, at a clean close, and at
 * least every second while records become durable.
 *
 * <h2>Journal segment</h2>
 * <pre>
 *   0        8        12       20       24
 *   +--------+--------+--------+--------+---------------------------
 *   | magic  | version| first  | crc32c | record | record | ...
 *   |"VMEMJRNL"       |  seq   | of 0-20|
 *   +--------+--------+--------+--------+---------------------------
 * </pre>
 * The header's version says how its records are laid out (a format 1 segment has format 1 records).
 *
 * <h2>Journal record</h2>
 * <pre>
 *   0        4        8                16               24
 *   +--------+--------+----------------+----------------+----------------------+
 *   | length | crc32c | sequence       | watermark      | payload (length B)   |
 *   +--------+--------+----------------+----------------+----------------------+
 * </pre>
 * {@code crc32c} covers every byte of the record but itself. The watermark is the newest sequence number
 * known to be on disk when the record was written (records that share an fsync all carry the watermark
 * from before it). Sequence numbers start at 1 and rise by exactly 1 across segments. A record is one unit:
 * it is acknowledged, replayed and lost as a whole. (Format 1: no watermark; the payload starts at 16.)
 *
 * <h2>Payload: a unit of operations</h2>
 * <pre>
 *   count:int32, then count times:
 *   CREATE   1 | arena:int32 | quantum | importQuantum | qcacheMax | source:int32 (-1 none, -2 outside: format 4) | nameLen:int16 | name (UTF-8)
 *   DROP     2 | arena:int32
 *   SPAN     3 | arena:int32 | base | size | imported:int8
 *   UNSPAN   4 | arena:int32 | base | size
 *   ALLOC    5 | arena:int32 | base | size
 *   FREE     6 | arena:int32 | base | size
 *   CURSOR   7 | arena:int32 | from | to
    MARK     8 | arena:int32 | mark                 (format 3)
 *   QUARANTINE 9 | arena:int32 | delayMillis | frees (format 4)
 *   (the first field is an int8; unlabelled fields are int64)
 * </pre>
 * MARK is the log-ahead NEXT_FIT rotor ({@code RotorMarks}): the arena's rotor may reach {@code mark} without
 * another MARK. Replaying, a MARK sets the arena's mark; a CURSOR that wraps ({@code to <= from}) or reaches
 * the mark ({@code to >= mark}) clears it. After recovery, an arena whose mark is still set has its rotor
 * moved up to the mark, and that move is journalled as a CURSOR before the store takes work.
 * QUARANTINE is the reuse quarantine of the arena created by the CREATE just before it, in the same unit (so
 * a crash never leaves the arena without it): at least one of the two is positive ({@code dev.vmem.Quarantine},
 * the delay in whole milliseconds). Nothing else journals the quarantine: a FREE of an arena that has one
 * queues the block, and its later release is no operation (a release that gives a span back is an UNSPAN).
 * Replaying, each FREE queues its block for the whole delay from the open (its free time is not recorded,
 * and holding a block longer is safe), an ALLOC over a queued block or an UNSPAN around one proves that it
 * and every older block had left, and a count-only quarantine drops its oldest block once more are queued.
 *
 * <h2>Checkpoint</h2>
 * A MapDB file (MapDB's own transactions off) with four B-tree maps:
 * <pre>
 *   meta         String -&gt; Long     version, seq, epoch, arenas, checksum, complete (written last);
 *                                   epoch numbers checkpoints, so the newer of two at one seq wins;
 *                                   "mark:&lt;arena id&gt;" -&gt; the arena's rotor mark, if set (format 3)
 *   arenas       Integer -&gt; byte[]  arena header (below): definition, cursor and counters
 *   spans        {arena, base} -&gt; {size, imported (1 or 0)}
 *   packedAllocations  {arena, first base} -&gt; byte[]  chunks of up to 2048 allocations (format 4)
 *   allocations  {arena, first base} -&gt; {base0, size0, base1, size1, ...}  the same chunks, formats 1 to 3
 *   quarantine   {arena, position} -&gt; {base, size, due}  the quarantined blocks, oldest first (format 4)
 * </pre>
 * An arena with a quarantine has the meta keys "quarantine:&lt;arena id&gt;" -&gt; delayMillis and
 * "quarantineFrees:&lt;arena id&gt;" -&gt; frees (format 4). A block's {@code due} is the wall-clock time
 * (milliseconds since the epoch) at which its delay is over, or -1 when only the count holds it; the
 * position counts from 0 per arena. An open holds a block until its due time, but never longer than the whole
 * delay from the open (a clock that went back must not hold it for ever).

 * A packed chunk is a run of unsigned LEB128 numbers (seven bits a byte, low first, the high bit set on
 * every byte but the last; at most ten bytes): the allocation count, the first base in quanta, then per
 * allocation {@code gap << 1 | (size == 1 quantum ? 0 : 1)} and, if that bit is set, the size in quanta,
 * where the gap is the distance in quanta from the end of the previous allocation (from the first base, for
 * the first). The first base equals the entry's key. An arena of single-quantum IDs takes one to two bytes
 * per allocation instead of 16.
 * Arena header, then its trailer from {@code n = 34 + nameLen}:
 * <pre>
 *   0      4         12              20          28       32        34
 *   +------+---------+---------------+-----------+--------+---------+---------------+
 *   | id   | quantum | importQuantum | qcacheMax | source | nameLen | name (UTF-8)  |
 *   |int32 |         |               |           | int32  | int16   |               |
 *   +------+---------+---------------+-----------+--------+---------+---------------+
 *   n        n+8           n+16    n+24       n+32      n+40       n+48
 *   +--------+-------------+-------+----------+---------+----------+
 *   | cursor | allocations | frees | failures | imports | releases |
 *   +--------+-------------+-------+----------+---------+----------+
 * </pre>
 * The checksum in {@code meta} is a CRC32C over: the meta numbers {@code version | seq | epoch | arenas |
 * 1} (five int64s: so that editing any of them fails it; format 1 lacked them); then, arena by arena in id
 * order, the header; each span as the entry {@code id:int32 | base | size | imported}; each allocation
 * chunk as the entry {@code id:int32 | first base | base0 | size0 | ...} (format 4: {@code id:int32 | first
 * base} and the chunk's bytes); (format 4) its quarantine, if any, as the entry
 * {@code id:int32 | Long.MIN_VALUE + 1 | delayMillis | frees}, then each quarantined block as the entry
 * {@code id:int32 | position | base | size | due}; (format 3) its rotor mark, if set,
 * as the entry {@code id:int32 | Long.MIN_VALUE | mark}.
 *
 * <h2>Checksum rule, and what recovery cuts</h2>
 * CRC32C ({@link java.util.zip.CRC32C}) everywhere. Every segment but the last was forced whole before the
 * next one was created: damage in one is corruption. In the last segment, a damaged record <i>n</i> is
 * cut off with everything after it when no whole later record has a watermark of <i>n</i> or more and the
 * head's {@code durableSeq} is below <i>n</i> (it was written after the last fsync, so never acknowledged);
 * otherwise the store is corrupted and refuses to open, naming the file and offset. Zeros after the last
 * record (the writer grows the segment ahead of its records) are the journal's end. A journal that ends
 * before the head's {@code durableSeq}, or lacks the head's segment, is refused. A checkpoint is used only if
 * it opens, is marked complete and its content matches its checksum.
 */
public final class StoreFormat {
    /** The format version this build writes. */
    public static final int VERSION = 4;
    /** The oldest format version this build reads (and upgrades to {@link #VERSION} when it opens it). */
    public static final int OLDEST_READABLE_VERSION = 1;

    static final String FORMAT_FILE = "FORMAT";
    /** Written first and renamed to {@link #FORMAT_FILE}, so that a FORMAT file is always whole. */
    static final String FORMAT_TMP_FILE = FORMAT_FILE + ".tmp";
    static final String LOCK_FILE = "LOCK";
    static final String JOURNAL_DIR = "journal";
    static final String HEAD_FILE = "HEAD";
    static final String FORMAT_LINE_PREFIX = "vmem-store format ";

    private static final Pattern SEGMENT_NAME = Pattern.compile("J(\\d{20})\\.wal");
    static final long SEGMENT_MAGIC = 0x564D454D4A524E4CL; // "VMEMJRNL"
    static final int SEGMENT_MAGIC_OFFSET = 0;
    static final int SEGMENT_VERSION_OFFSET = 8;
    static final int SEGMENT_FIRST_SEQ_OFFSET = 12;
    /** Also the number of header bytes the header's checksum covers. */
    static final int SEGMENT_CRC_OFFSET = 20;
    static final int SEGMENT_HEADER_BYTES = 24;

    static final int RECORD_LENGTH_OFFSET = 0;
    static final int RECORD_CRC_OFFSET = 4;
    static final int RECORD_SEQ_OFFSET = 8;
    static final int RECORD_WATERMARK_OFFSET = 16;
    /** Also where the payload starts. */
    static final int RECORD_HEADER_BYTES = 24;
    /** A format 1 record has no watermark: its payload starts here. */
    static final int RECORD_HEADER_BYTES_V1 = 16;
    /** Largest payload accepted: a unit of about 100,000 operations. */
    static final int MAX_PAYLOAD_BYTES = 4 << 20;

    /** The operation count that starts a payload. */
    static final int UNIT_COUNT_BYTES = Integer.BYTES;
    /** Type and arena id, which start every operation. */
    static final int OP_HEAD_BYTES = Byte.BYTES + Integer.BYTES;
    /** CREATE after its head, without the name: quantum, importQuantum, qcacheMax, source, nameLen. */
    static final int OP_CREATE_FIXED_BYTES = 3 * Long.BYTES + Integer.BYTES + Short.BYTES;
    /** Every arena change after its head: two int64s (SPAN adds {@link #OP_SPAN_FLAG_BYTES}). */
    static final int OP_CHANGE_BYTES = 2 * Long.BYTES;
    static final int OP_SPAN_FLAG_BYTES = Byte.BYTES;

    static final byte OP_CREATE = 1;
    static final byte OP_DROP = 2;
    static final byte OP_SPAN = 3;
    static final byte OP_UNSPAN = 4;
    static final byte OP_ALLOC = 5;
    static final byte OP_FREE = 6;
    static final byte OP_CURSOR = 7;
    /** Format 3: a rotor mark (one int64 after the head). */
    static final byte OP_MARK = 8;
    static final int OP_MARK_BYTES = Long.BYTES;
    /** Format 4: an arena's reuse quarantine (delayMillis, frees after the head), right after its CREATE. */
    static final byte OP_QUARANTINE = 9;
    static final int OP_QUARANTINE_BYTES = 2 * Long.BYTES;

    static final String MAP_META = "meta";
    static final String MAP_ARENAS = "arenas";
    static final String MAP_SPANS = "spans";
    static final String MAP_ALLOCATIONS = "allocations";
    /** Format 4: the allocations map, each chunk encoded by {@link PackedAllocations}. */
    static final String MAP_PACKED_ALLOCATIONS = "packedAllocations";
    static final String META_VERSION = "version";
    static final String META_SEQ = "seq";
    static final String META_EPOCH = "epoch";
    static final String META_ARENAS = "arenas";
    static final String META_CHECKSUM = "checksum";
    /** Written last, as 1: a checkpoint without it was torn while being written. */
    static final String META_COMPLETE = "complete";
    /** Format 3: the meta key of an arena's rotor mark is this, then the arena id. */
    static final String META_MARK_PREFIX = "mark:";
    /** The checksum entry key of an arena's rotor mark (no span or allocation starts below 0). */
    static final long CHECKSUM_MARK_KEY = Long.MIN_VALUE;
    /** Format 4: the quarantined blocks, {@code {arena, position} -> {base, size, due}}. */
    static final String MAP_QUARANTINE = "quarantine";
    /** Format 4: the meta keys of an arena's quarantine are these, then the arena id. */
    static final String META_QUARANTINE_DELAY_PREFIX = "quarantine:";
    static final String META_QUARANTINE_FREES_PREFIX = "quarantineFrees:";
    /** The checksum entry key of an arena's quarantine rule. */
    static final long CHECKSUM_QUARANTINE_KEY = Long.MIN_VALUE + 1;
    /** Allocation pairs per entry of the allocations map. */
    static final int CHUNK_PAIRS = 2048;

    static final int ARENA_ID_OFFSET = 0;
    static final int ARENA_QUANTUM_OFFSET = 4;
    static final int ARENA_IMPORT_QUANTUM_OFFSET = 12;
    static final int ARENA_QCACHE_MAX_OFFSET = 20;
    static final int ARENA_SOURCE_OFFSET = 28;
    static final int ARENA_NAME_LENGTH_OFFSET = 32;
    static final int ARENA_NAME_OFFSET = 34;
    /** Trailer offsets count from the end of the name. */
    static final int ARENA_CURSOR_OFFSET = 0;
    static final int ARENA_ALLOCATIONS_OFFSET = 8;
    static final int ARENA_FREES_OFFSET = 16;
    static final int ARENA_FAILURES_OFFSET = 24;
    static final int ARENA_IMPORTS_OFFSET = 32;
    static final int ARENA_RELEASES_OFFSET = 40;
    static final int ARENA_TRAILER_BYTES = 48;

    static final long HEAD_MAGIC = 0x564D454D48454144L; // "VMEMHEAD"
    /** The two slots of the HEAD file start a page apart, so that a torn write of one leaves the other whole. */
    static final int HEAD_SLOT_STRIDE = 4096;
    static final int HEAD_MAGIC_OFFSET = 0;
    static final int HEAD_VERSION_OFFSET = 8;
    static final int HEAD_COUNT_OFFSET = 12;
    static final int HEAD_DURABLE_SEQ_OFFSET = 20;
    static final int HEAD_SEGMENT_OFFSET = 28;
    static final int HEAD_CHECKPOINT_SEQ_OFFSET = 36;
    static final int HEAD_REPAIRS_OFFSET = 44;
    static final int HEAD_ACKNOWLEDGED_SEQ_OFFSET = 48;
    /** Also the number of slot bytes the slot's checksum covers. */
    static final int HEAD_CRC_OFFSET = 56;
    static final int HEAD_SLOT_BYTES = 60;
    /** A format 1 or 2 slot: no acknowledgedSeq, the checksum at 48. */
    static final int HEAD_CRC_OFFSET_V2 = 48;
    static final int HEAD_SLOT_BYTES_V2 = 52;

    /** The meta numbers a format 2 checkpoint checksum starts with: version, seq, epoch, arenas, complete. */
    static final int CHECKSUM_META_BYTES = 5 * Long.BYTES;
    /** A checksum entry: {@code id:int32 | key | values...}. */
    static final int CHECKSUM_ENTRY_HEAD_BYTES = Integer.BYTES + Long.BYTES;

    private StoreFormat() {
    }

    /** The whole content of the FORMAT file. */
    static String formatLine() {
        return FORMAT_LINE_PREFIX + VERSION + "\n";
    }

    static String segmentName(long firstSeq) {
        return String.format("J%020d.wal", firstSeq);
    }

    /** The first sequence number a segment's file name gives, or -1 if it is not a segment's name. */
    static long segmentFirstSeq(String fileName) {
        Matcher m = SEGMENT_NAME.matcher(fileName);
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    static String checkpointName(int generation) {
        return "checkpoint-" + generation + ".db";
    }

    /** The size of the arena header of an arena whose name takes {@code nameBytes} bytes. */
    static int arenaHeaderBytes(int nameBytes) {
        return ARENA_NAME_OFFSET + nameBytes + ARENA_TRAILER_BYTES;
    }

    /** The header of a new segment (of this version) whose first record is {@code firstSeq}. */
    static ByteBuffer segmentHeader(long firstSeq) {
        ByteBuffer b = ByteBuffer.allocate(SEGMENT_HEADER_BYTES);
        b.putLong(SEGMENT_MAGIC_OFFSET, SEGMENT_MAGIC)
                .putInt(SEGMENT_VERSION_OFFSET, VERSION)
                .putLong(SEGMENT_FIRST_SEQ_OFFSET, firstSeq)
                .putInt(SEGMENT_CRC_OFFSET, segmentHeaderCrc(b.array()));
        return b;
    }

    /**
     * The format version of a whole, readable header for the segment starting at {@code first} at the
     * start of {@code bytes}, or -1.
     */
    static int segmentVersion(byte[] bytes, long first) {
        if (bytes.length < SEGMENT_HEADER_BYTES) {
            return -1;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int version = b.getInt(SEGMENT_VERSION_OFFSET);
        boolean valid = b.getLong(SEGMENT_MAGIC_OFFSET) == SEGMENT_MAGIC && readable(version)
                && b.getLong(SEGMENT_FIRST_SEQ_OFFSET) == first && b.getInt(SEGMENT_CRC_OFFSET) == segmentHeaderCrc(bytes);
        return valid ? version : -1;
    }

    static boolean readable(long version) {
        return version >= OLDEST_READABLE_VERSION && version <= VERSION;
    }

    private static int segmentHeaderCrc(byte[] header) {
        CRC32C crc = new CRC32C();
        crc.update(header, 0, SEGMENT_CRC_OFFSET);
        return (int) crc.getValue();
    }

    /** Where a record's payload starts, in a segment of {@code version}. */
    static int recordHeaderBytes(int version) {
        return version == 1 ? RECORD_HEADER_BYTES_V1 : RECORD_HEADER_BYTES;
    }

    /** A whole record of this version: header and payload, ready to write. */
    static ByteBuffer record(long seq, long watermark, byte[] payload) {
        ByteBuffer frame = ByteBuffer.allocate(RECORD_HEADER_BYTES + payload.length);
        putRecord(frame, seq, watermark, payload);
        return frame.flip();
    }

    /**
     * Puts a whole record of this version into {@code into} (a heap buffer with room for it) at its position,
     * and moves the position past it.
     */
    static void putRecord(ByteBuffer into, long seq, long watermark, byte[] payload) {
        int at = into.position();
        into.putInt(at + RECORD_LENGTH_OFFSET, payload.length)
                .putLong(at + RECORD_SEQ_OFFSET, seq)
                .putLong(at + RECORD_WATERMARK_OFFSET, watermark)
                .put(at + RECORD_HEADER_BYTES, payload)
                .putInt(at + RECORD_CRC_OFFSET, recordCrc(into.array(), into.arrayOffset() + at, VERSION, payload.length))
                .position(at + RECORD_HEADER_BYTES + payload.length);
    }

    /**
     * The checksum of the record at {@code pos} in {@code bytes} whose payload is {@code length} bytes:
     * over everything in it but the checksum itself (format 1: length, sequence number, payload; format
     * 2 adds the watermark).
     */
    static int recordCrc(byte[] bytes, int pos, int version, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, pos + RECORD_LENGTH_OFFSET, Integer.BYTES);
        crc.update(bytes, pos + RECORD_SEQ_OFFSET, recordHeaderBytes(version) - RECORD_SEQ_OFFSET + length);
        return (int) crc.getValue();
    }

    /** One slot of the HEAD file, ready to write at {@link #headSlotOffset}. */
    static ByteBuffer headSlot(StoreHead.State head) {
        ByteBuffer b = ByteBuffer.allocate(HEAD_SLOT_BYTES);
        b.putLong(HEAD_MAGIC_OFFSET, HEAD_MAGIC)
                .putInt(HEAD_VERSION_OFFSET, VERSION)
                .putLong(HEAD_COUNT_OFFSET, head.count())
                .putLong(HEAD_DURABLE_SEQ_OFFSET, head.durableSeq())
                .putLong(HEAD_SEGMENT_OFFSET, head.segment())
                .putLong(HEAD_CHECKPOINT_SEQ_OFFSET, head.checkpointSeq())
                .putInt(HEAD_REPAIRS_OFFSET, head.repairs())
                .putLong(HEAD_ACKNOWLEDGED_SEQ_OFFSET, head.acknowledgedSeq())
                .putInt(HEAD_CRC_OFFSET, headCrc(b.array(), 0, HEAD_CRC_OFFSET));
        return b;
    }

    /** Each head write goes to the slot the previous one did not use. */
    static long headSlotOffset(long count) {
        return (count & 1) * HEAD_SLOT_STRIDE;
    }

    /** The head in the slot at {@code offset} of {@code bytes}, or null if that slot is not whole. */
    static StoreHead.State headFromSlot(byte[] bytes, int offset) {
        if (bytes.length - offset < HEAD_SLOT_BYTES_V2) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int version = b.getInt(offset + HEAD_VERSION_OFFSET);
        boolean v2 = version < 3;
        int crcAt = v2 ? HEAD_CRC_OFFSET_V2 : HEAD_CRC_OFFSET;
        if (b.getLong(offset + HEAD_MAGIC_OFFSET) != HEAD_MAGIC || !readable(version)
                || bytes.length - offset < crcAt + Integer.BYTES
                || b.getInt(offset + crcAt) != headCrc(bytes, offset, crcAt)) {
            return null;
        }
        return new StoreHead.State(b.getLong(offset + HEAD_COUNT_OFFSET), b.getLong(offset + HEAD_DURABLE_SEQ_OFFSET),
                b.getLong(offset + HEAD_SEGMENT_OFFSET), b.getLong(offset + HEAD_CHECKPOINT_SEQ_OFFSET),
                b.getInt(offset + HEAD_REPAIRS_OFFSET), v2 ? 0 : b.getLong(offset + HEAD_ACKNOWLEDGED_SEQ_OFFSET));
    }

    private static int headCrc(byte[] bytes, int offset, int covered) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, covered);
        return (int) crc.getValue();
    }
}

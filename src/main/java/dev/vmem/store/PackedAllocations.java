package dev.vmem.store;

import java.io.ByteArrayOutputStream;

/**
 * Format 4's encoding of one chunk of a checkpoint's allocations (layout: {@link StoreFormat}). Format 3
 * stored each allocation as two int64s, 16 bytes, against the two bits per value the arena's dense form
 * holds it in; most allocations sit close to the one before them and span few quanta, so this stores the
 * gap and the size in quanta as variable-length numbers, and a size of one quantum (an ID, a block) in one
 * bit: an arena of IDs at any occupancy then takes one to two bytes per allocation.
 *
 * <p>Decoding checks everything a damaged chunk could get wrong (count, overflow, zero sizes, trailing
 * bytes), so that it fails with a message rather than building a state the checksum then rejects.
 */
final class PackedAllocations {
    private PackedAllocations() {
    }

    /**
     * Encodes allocations {@code from} (inclusive) to {@code to} (exclusive) of {@code pairs} ({@code base,
     * size} in address order, each a multiple of {@code 2^shift}).
     */
    static byte[] encode(long[] pairs, int from, int to, int shift) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(2 + (to - from) * 2);
        putUnsigned(out, to - from);
        long end = pairs[2 * from];
        putUnsigned(out, end >>> shift);
        for (int i = from; i < to; i++) {
            long gap = (pairs[2 * i] - end) >>> shift; // below 2^63: shifting it left by one stays unsigned
            long quanta = pairs[2 * i + 1] >>> shift;
            putUnsigned(out, gap << 1 | (quanta == 1 ? 0 : 1));
            if (quanta != 1) {
                putUnsigned(out, quanta);
            }
            end = pairs[2 * i] + pairs[2 * i + 1];
        }
        return out.toByteArray();
    }

    /**
     * Decodes a chunk of at most {@code maxCount} allocations into {@code base, size} pairs.
     *
     * @throws IllegalArgumentException saying what is wrong when the bytes are not a chunk
     */
    static long[] decode(byte[] chunk, int shift, int maxCount) {
        Reader r = new Reader(chunk);
        long count = r.unsigned();
        if (count <= 0 || count > maxCount) {
            throw new IllegalArgumentException("chunk claims " + Long.toUnsignedString(count) + " allocations");
        }
        long[] pairs = new long[(int) count * 2];
        long end = value(r.unsigned(), shift);
        for (int i = 0; i < count; i++) {
            long head = r.unsigned();
            long base = add(end, value(head >>> 1, shift));
            long size = (head & 1) == 0 ? 1L << shift : value(r.unsigned(), shift);
            if (size == 0) {
                throw new IllegalArgumentException("allocation " + i + " has size 0");
            }
            end = add(base, size);
            pairs[2 * i] = base;
            pairs[2 * i + 1] = size;
        }
        if (r.at != chunk.length) {
            throw new IllegalArgumentException((chunk.length - r.at) + " bytes after the last allocation");
        }
        return pairs;
    }

    private static long value(long quanta, int shift) {
        if (quanta < 0 || quanta > Long.MAX_VALUE >>> shift) {
            throw new IllegalArgumentException(Long.toUnsignedString(quanta) + " quanta of 2^" + shift
                    + " pass Long.MAX_VALUE");
        }
        return quanta << shift;
    }

    private static long add(long a, long b) {
        if (b > Long.MAX_VALUE - a) {
            throw new IllegalArgumentException(a + " + " + b + " passes Long.MAX_VALUE");
        }
        return a + b;
    }

    /** LEB128: seven bits a byte, low first, the high bit set on every byte but the last. */
    private static void putUnsigned(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) (v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static final class Reader {
        private final byte[] bytes;
        private int at;

        Reader(byte[] bytes) {
            this.bytes = bytes;
        }

        long unsigned() {
            long v = 0;
            for (int s = 0; s < 64; s += 7) {
                if (at == bytes.length) {
                    throw new IllegalArgumentException("chunk ends inside a number at byte " + at);
                }
                byte b = bytes[at++];
                if (s == 63 && (b & 0xFE) != 0) {
                    throw new IllegalArgumentException("number at byte " + (at - 1) + " passes 64 bits");
                }
                v |= (long) (b & 0x7F) << s;
                if (b >= 0) {
                    return v;
                }
            }
            throw new AssertionError("the tenth byte returns or throws");
        }
    }
}

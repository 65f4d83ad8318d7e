package dev.vmem;

/**
 * Free segments by power-of-two size class: list {@code n} holds sizes in {@code [2^n, 2^(n+1))}. Bit
 * {@code n} of {@link #bitmap} is set exactly when list {@code n} is non-empty, so "the first list all of
 * whose members are at least {@code size}" is one mask and one {@code numberOfTrailingZeros}.
 */
final class FreeLists {
    static final int CLASSES = 64;

    final Tag[] heads = new Tag[CLASSES];
    long bitmap;

    /** The class holding segments of exactly {@code size}: floor(log2(size)). */
    static int classOf(long size) {
        return 63 - Long.numberOfLeadingZeros(size);
    }

    /** The lowest class all of whose members are at least {@code size}: ceil(log2(size)). */
    static int firstSureClass(long size) {
        return size == 1 ? 0 : 64 - Long.numberOfLeadingZeros(size - 1);
    }

    void insert(Tag t) {
        assert t.type == Tag.FREE : t;
        int c = classOf(t.size);
        Tag head = heads[c];
        t.lprev = null;
        t.lnext = head;
        if (head != null) {
            head.lprev = t;
        }
        heads[c] = t;
        bitmap |= 1L << c;
    }

    void remove(Tag t) {
        int c = classOf(t.size);
        if (t.lprev != null) {
            t.lprev.lnext = t.lnext;
        } else {
            assert heads[c] == t : t;
            heads[c] = t.lnext;
            if (t.lnext == null) {
                bitmap &= ~(1L << c);
            }
        }
        if (t.lnext != null) {
            t.lnext.lprev = t.lprev;
        }
        t.lprev = null;
        t.lnext = null;
    }

    /** Non-empty classes at or above {@code from}, as a bitmap; 0 when {@code from >= 64}. */
    long classesFrom(int from) {
        return from >= CLASSES ? 0 : bitmap & (-1L << from);
    }
}

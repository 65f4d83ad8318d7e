package dev.vmem.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * One file of a {@link DiskModel}, as a power loss sees it: its 4 KiB pages and size as of its last
 * completed fsync, and every version of each page written since, oldest first. Bytes at and past the
 * file's size are zeros in its pages. Not thread-safe.
 */
final class ModelFile implements DiskModel.Node {
    static final int PAGE = 4096;
    static final int SECTOR = 512;
    static final byte[] ZERO = new byte[PAGE];

    /** A page as it was right after the event at {@code index}. */
    record Version(int index, byte[] page) {
    }

    /** A file as it was when an fsync of it started. */
    record Forced(ModelFile file, int index, byte[][] pages, long size) {
    }

    private byte[][] pages = new byte[0][];
    private long size;
    private byte[][] durablePages = new byte[0][];
    private long durableSize;
    /** Pages written since the last completed fsync, each with its versions oldest first. */
    private final TreeMap<Integer, List<Version>> dirty = new TreeMap<>();
    private int forcedAt = -1;

    /** How many pages hold {@code size} bytes. */
    static int pageCount(long size) {
        return (int) ((size + PAGE - 1) / PAGE);
    }

    long size() {
        return size;
    }

    long durableSize() {
        return durableSize;
    }

    /** The page as last written. */
    byte[] page(int p) {
        return at(pages, p);
    }

    /** The page as of the last completed fsync. */
    byte[] durablePage(int p) {
        return at(durablePages, p);
    }

    /** The versions of page {@code p} written since the last completed fsync; empty if it is clean. */
    List<Version> versions(int p) {
        return dirty.getOrDefault(p, List.of());
    }

    private static byte[] at(byte[][] pages, int p) {
        return p < pages.length && pages[p] != null ? pages[p] : ZERO;
    }

    private void set(int index, int p, byte[] page) {
        if (p >= pages.length) {
            pages = Arrays.copyOf(pages, Math.max(p + 1, pages.length * 2));
        }
        pages[p] = page;
        dirty.computeIfAbsent(p, k -> new ArrayList<>()).add(new Version(index, page));
    }

    void write(int index, long position, byte[] bytes) {
        long end = position + bytes.length;
        for (long at = position; at < end; ) {
            int p = (int) (at / PAGE);
            int offset = (int) (at % PAGE);
            int n = (int) Math.min(PAGE - offset, end - at);
            byte[] page = page(p).clone();
            System.arraycopy(bytes, (int) (at - position), page, offset, n);
            set(index, p, page);
            at += n;
        }
        size = Math.max(size, end);
    }

    void truncate(int index, long newSize) {
        if (newSize >= size) {
            size = newSize;
            return;
        }
        int first = (int) (newSize / PAGE);
        if (newSize % PAGE != 0) {
            byte[] page = page(first).clone();
            Arrays.fill(page, (int) (newSize % PAGE), PAGE, (byte) 0);
            set(index, first++, page);
        }
        for (int p = first; p < pageCount(size); p++) {
            // Zeros, not absent: the page may still be on disk from before, which a state may keep.
            set(index, p, ZERO);
        }
        size = newSize;
    }

    void extend(long newSize) {
        size = Math.max(size, newSize);
    }

    /** The file as last written, for an fsync that starts now. */
    Forced snapshot(int index) {
        return new Forced(this, index, pages.clone(), size);
    }

    /** An fsync that started at {@code f.index} returned: everything written before it is durable. */
    void forced(Forced f) {
        if (f.index < forcedAt) {
            return; // a later fsync already covered more
        }
        forcedAt = f.index;
        durablePages = f.pages;
        durableSize = f.size;
        dirty.values().forEach(v -> v.removeIf(version -> version.index < f.index));
        dirty.values().removeIf(List::isEmpty);
    }
}

package dev.vmem.store;

import java.io.IOException;
import java.nio.file.Path;

/** A write refused or failed for want of space: {@link UnitOfWork} reports it as {@link StoreDiskFullException}. */
final class DiskFull extends IOException {
    private static final long serialVersionUID = 1L;
    final transient Path dir;
    final long needed;
    final long usable;

    DiskFull(Path dir, long needed, long usable, Throwable cause) {
        super("disk full: " + dir + " has " + usable + " bytes usable, " + needed + " needed", cause);
        this.dir = dir;
        this.needed = needed;
        this.usable = usable;
    }

    /** {@code e} as a {@link DiskFull} if the file system has less than {@code needed} left, else {@code e}. */
    static IOException ifShort(StoreFiles files, Path dir, long needed, IOException e) {
        try {
            long usable = files.usableSpace(dir);
            return usable < needed + Journal.RESERVE_BYTES ? new DiskFull(dir, needed, usable, e) : e;
        } catch (IOException unknown) {
            e.addSuppressed(unknown);
            return e;
        }
    }
}

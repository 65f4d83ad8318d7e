package dev.vmem.store;

import java.nio.file.Path;

/**
 * The file system holding the store is full: the operation did not happen (it is taken back in memory
 * and is not in the journal), and the store goes on. Operations that give space back (frees, dropping
 * spans or arenas) keep working from a reserve the journal holds back, and work that needs space
 * succeeds again, by itself, once space is freed on the file system.
 */
public final class StoreDiskFullException extends StoreIOException {
    private static final long serialVersionUID = 1L;

    private final transient Path directory;
    private final long neededBytes;
    private final long usableBytes;

    public StoreDiskFullException(Path directory, long neededBytes, long usableBytes, Throwable cause) {
        super("disk full: " + directory + " has " + usableBytes + " bytes usable; the journal needed " + neededBytes
                + " bytes (plus its reserve of " + Journal.RESERVE_BYTES + " bytes for frees); the operation did not"
                + " happen", cause);
        this.directory = directory;
        this.neededBytes = neededBytes;
        this.usableBytes = usableBytes;
    }

    /** The directory whose file system is full. */
    public Path directory() {
        return directory;
    }

    /** What the journal needed to write, in bytes. */
    public long neededBytes() {
        return neededBytes;
    }

    /** What the file system had left for this user, in bytes. */
    public long usableBytes() {
        return usableBytes;
    }
}

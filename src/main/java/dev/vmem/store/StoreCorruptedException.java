package dev.vmem.store;

import java.nio.file.Path;

/**
 * The store's files are damaged in a way recovery must not guess about: the store refuses to open.
 * The message names the file and, where it applies, the byte offset.
 */
public final class StoreCorruptedException extends StoreException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final long offset;

    public StoreCorruptedException(Path file, long offset, String message) {
        super(file + (offset >= 0 ? " at offset " + offset : "") + ": " + message);
        this.file = file;
        this.offset = offset;
    }

    public StoreCorruptedException(Path file, long offset, String message, Throwable cause) {
        super(file + (offset >= 0 ? " at offset " + offset : "") + ": " + message, cause);
        this.file = file;
        this.offset = offset;
    }

    /** The damaged file. */
    public Path file() {
        return file;
    }

    /** The byte offset of the damage, or -1 when it concerns the whole file. */
    public long offset() {
        return offset;
    }
}

package dev.vmem.store;

/**
 * The journal's fsync failed after the operation's record was written: <strong>the outcome is
 * unknown</strong>. The operation stays applied in memory, and its record may or may not be on disk
 * (the kernel may have written the page, or dropped it). Treat it as possibly durable: do not hand out
 * again a value the operation freed, nor assume a value it allocated is free. The store stops accepting
 * work; reopen it to learn the truth, since recovery keeps exactly what reached the disk.
 *
 * <p>Every caller whose record the failed fsync was to cover gets this exception, not only the one
 * that ran it.
 */
public final class StoreSyncFailedException extends StoreIOException {
    private static final long serialVersionUID = 1L;

    public StoreSyncFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}

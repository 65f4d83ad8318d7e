package dev.vmem.store;

/**
 * Reading or writing the store's files failed. When a journal write or sync fails the operation did
 * not happen; when a sync fails the store also stops accepting work (it cannot tell what reached the
 * disk) and must be reopened, which recovers exactly what was durable.
 */
public final class StoreIOException extends StoreException {
    private static final long serialVersionUID = 1L;

    public StoreIOException(String message, Throwable cause) {
        super(message, cause);
    }
}

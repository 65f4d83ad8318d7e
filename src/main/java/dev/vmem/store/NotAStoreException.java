package dev.vmem.store;

/** The path is not a vmem store, or is a store of a format version this build cannot read. */
public final class NotAStoreException extends StoreException {
    private static final long serialVersionUID = 1L;

    public NotAStoreException(String message) {
        super(message);
    }
}

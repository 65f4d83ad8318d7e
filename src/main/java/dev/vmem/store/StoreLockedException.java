package dev.vmem.store;

/** Another process, or another open store in this JVM, holds the store directory. */
public final class StoreLockedException extends StoreException {
    private static final long serialVersionUID = 1L;

    public StoreLockedException(String message) {
        super(message);
    }
}

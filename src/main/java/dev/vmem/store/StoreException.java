package dev.vmem.store;

/** A store could not do what was asked because of its files: locked, damaged, unreadable or failing. */
public abstract class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    protected StoreException(String message) {
        super(message);
    }

    protected StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}

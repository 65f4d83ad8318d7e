package dev.vmem;

/**
 * An expected outcome that the caller must handle: space ran out, or a free did not name a live
 * allocation. Bad arguments are {@link IllegalArgumentException}s instead; they are programming errors.
 */
public abstract class VmemException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    protected VmemException(String message) {
        super(message);
    }

    protected VmemException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.vmem;

/** A free named a value that is not the base of a live allocation, or gave the wrong size for it. */
public final class InvalidFreeException extends VmemException {
    private static final long serialVersionUID = 1L;

    public InvalidFreeException(String message) {
        super(message);
    }
}

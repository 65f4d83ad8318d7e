package dev.vmem;

/** No free range of the arena, nor anything its source could give, holds the request. */
public final class ArenaExhaustedException extends VmemException {
    private static final long serialVersionUID = 1L;

    public ArenaExhaustedException(String message) {
        super(message);
    }
}

package dev.vmem;

/**
 * A claim named a range that is not wholly free: part of it is a live allocation, which {@link #held()}
 * names (for a quantum-cache block a caller holds, that block).
 */
public final class RangeInUseException extends VmemException {
    private static final long serialVersionUID = 1L;

    private final Allocation held;

    public RangeInUseException(String message, Allocation held) {
        super(message);
        this.held = held;
    }

    /**
     * The live allocation the claimed range overlaps (the lowest, if it overlaps several). A range that
     * overlaps only idle blocks of a quantum-cache slab whose other blocks are held, and is not exactly one
     * such block, names that slab: a cache hands out whole blocks, so part of one or several cannot be taken.
     */
    public Allocation held() {
        return held;
    }
}

package dev.vmem.store;

import java.util.Locale;

/**
 * When an operation of a {@link VmemStore} is acknowledged (returns), and so what a crash can take back.
 * A store-wide default ({@link StoreOptions#durability()}), overridable per
 * {@link VmemStore#batch(Durability, java.util.function.Supplier) batch}; {@link VmemStore#sync()} makes
 * everything acknowledged before it survive a power loss, whatever the level. Declared from the weakest to
 * the strongest: a batch nested in another is acknowledged with the outer one, at the stronger of the two.
 *
 * <p>At every level recovery yields a prefix of the acknowledged history: no holes, no reordering, a batch
 * whole or absent, every invariant holding, and what was lost reported ({@link RecoveryReport}). No value a
 * NEXT_FIT allocation returned is handed out again before the rotor comes round: the rotor's mark is fsynced
 * before a value past it escapes (see {@link StoreOptions#rotorReserve()}).
 */
public enum Durability {
    /**
     * Acknowledged once the record is in the store's own buffer in this process: any crash, of the process
     * too, may lose what was acknowledged in the last {@link StoreOptions#flushInterval()} (a background
     * flusher writes and fsyncs the buffer at least that often). The fastest.
     */
    BUFFERED,
    /**
     * Acknowledged once the record is written to the operating system: a crash of the process loses nothing
     * acknowledged; a power loss (or an operating-system crash) may lose what was acknowledged in the last
     * {@link StoreOptions#flushInterval()}.
     */
    WRITE,
    /** Acknowledged once the record is fsynced: survives a power loss. The default. */
    SYNC;

    /** The stronger of this and {@code other}. */
    Durability atLeast(Durability other) {
        return compareTo(other) >= 0 ? this : other;
    }

    /**
     * The level named {@code name}, in any case ({@code sync}, {@code write}, {@code buffered}).
     *
     * @throws IllegalArgumentException naming the value and the choices
     */
    public static Durability parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("durability '" + name + "' is not one of sync, write, buffered", e);
        }
    }
}

package dev.vmem.store;

import dev.vmem.Arena;
import dev.vmem.Quarantine;
import java.time.Duration;
import java.util.Objects;

/**
 * What a persistent arena is: everything but its contents. Validated when the store creates the arena,
 * and again when recovery reads it back, by {@link #validate()}: the store's own rule on names, and the
 * core's rules on the rest ({@link Arena.Builder#validate()}).
 *
 * @param name          unique within the store: 1 to 200 characters of printable text, no white space at
 *                      either end, held in Unicode NFC form (the rule: {@code ArenaNames})
 * @param quantum       power of two
 * @param source        name of another arena of the same store to import from, or null (NFC form)
 * @param importQuantum least an import asks for; 0 means the quantum
 * @param qcacheMax     largest size served by quantum caches; 0 for none
 * @param quarantine    how long a freed block is held back from reuse ({@link Quarantine#NONE} for not at all),
 *                      kept in whole milliseconds (a delay is rounded up to one) and surviving restarts: see
 *                      {@link PersistentArena#reapQuarantine()}
 * @param outsideSource whether the arena imports from a {@link dev.vmem.Source} outside the store, given to
 *                      each open by {@link VmemStore#attachSource} (then {@code source} is null)
 */
public record ArenaDefinition(String name, long quantum, String source, long importQuantum, long qcacheMax,
        Quarantine quarantine, boolean outsideSource) {

    /** @throws IllegalArgumentException if the name breaks the rule (the message names it and the rule) */
    public ArenaDefinition {
        name = ArenaNames.forNewArena(name);
        source = source == null ? null : ArenaNames.normal(source);
        Objects.requireNonNull(quarantine, "quarantine");
        quarantine = quarantine.isActive() ? new Quarantine(Duration.ofMillis(quarantine.delayMillis()), quarantine.frees())
                : Quarantine.NONE;
        if (outsideSource && source != null) {
            throw new IllegalArgumentException("arena '" + name + "' cannot import both from arena '" + source
                    + "' and from an outside source");
        }
    }

    /** A definition whose source, if any, is an arena of the same store, and without a quarantine. */
    public ArenaDefinition(String name, long quantum, String source, long importQuantum, long qcacheMax) {
        this(name, quantum, source, importQuantum, qcacheMax, Quarantine.NONE, false);
    }

    /** A definition whose source, if any, is an arena of the same store. */
    public ArenaDefinition(String name, long quantum, String source, long importQuantum, long qcacheMax,
            Quarantine quarantine) {
        this(name, quantum, source, importQuantum, qcacheMax, quarantine, false);
    }

    /** A definition without a quarantine. */
    public ArenaDefinition(String name, long quantum, String source, long importQuantum, long qcacheMax,
            boolean outsideSource) {
        this(name, quantum, source, importQuantum, qcacheMax, Quarantine.NONE, outsideSource);
    }

    /**
     * Checks everything but the source's existence (that needs the store).
     *
     * @throws IllegalArgumentException naming the value when the definition is invalid
     */
    public void validate() {
        validate(name, quantum, importQuantum, qcacheMax, quarantine);
    }

    /** As {@link #validate()}, for a definition read back from disk. */
    static void validate(String name, long quantum, long importQuantum, long qcacheMax, Quarantine quarantine) {
        ArenaNames.checkStored(name);
        Arena.builder(name).quantum(quantum).importQuantum(importQuantum).qcacheMax(qcacheMax).quarantine(quarantine)
                .validate();
    }

    /** An arena named {@code name} with quantum {@code quantum} and no source. */
    public static ArenaDefinition of(String name, long quantum) {
        return new ArenaDefinition(name, quantum, null, 0, 0);
    }

    /** This definition importing from {@code sourceName}, at least {@code importQuantum} at a time. */
    public ArenaDefinition withSource(String sourceName, long importQuantum) {
        return new ArenaDefinition(name, quantum, sourceName, importQuantum, qcacheMax, quarantine, false);
    }

    /** This definition holding every freed block back from reuse by {@code rule}. */
    public ArenaDefinition withQuarantine(Quarantine rule) {
        return new ArenaDefinition(name, quantum, source, importQuantum, qcacheMax, rule, outsideSource);
    }

    /**
     * This definition importing from a source outside the store (a cluster's leases, say), at least
     * {@code importQuantum} at a time: {@link VmemStore#attachSource} gives it that source after each open.
     */
    public ArenaDefinition withOutsideSource(long importQuantum) {
        return new ArenaDefinition(name, quantum, null, importQuantum, qcacheMax, quarantine, true);
    }
}

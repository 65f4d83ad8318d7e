package dev.vmem.store;

import java.util.Objects;

/**
 * What a persistent arena is: everything but its contents. Validated when the store creates the arena.
 *
 * @param name          unique within the store; 1 to 200 characters
 * @param quantum       power of two
 * @param source        name of another arena of the same store to import from, or null
 * @param importQuantum least an import asks for; 0 means the quantum
 * @param qcacheMax     largest size served by quantum caches; 0 for none
 */
public record ArenaDefinition(String name, long quantum, String source, long importQuantum, long qcacheMax) {

    public ArenaDefinition {
        Objects.requireNonNull(name, "name");
        if (name.isBlank() || name.length() > 200) {
            throw new IllegalArgumentException("arena name '" + name + "' must have 1 to 200 characters");
        }
    }

    /** An arena named {@code name} with quantum {@code quantum} and no source. */
    public static ArenaDefinition of(String name, long quantum) {
        return new ArenaDefinition(name, quantum, null, 0, 0);
    }

    /** This definition importing from {@code sourceName}, at least {@code importQuantum} at a time. */
    public ArenaDefinition withSource(String sourceName, long importQuantum) {
        return new ArenaDefinition(name, quantum, sourceName, importQuantum, qcacheMax);
    }
}

package dev.vmem.testing;

/**
 * A range {@code [base, base + size)} that a source handed out or took back. Tests compare what an
 * arena imported with what it released, so the two must be the same value type.
 */
public record Range(long base, long size) {
}

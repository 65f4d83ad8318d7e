package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@code Constraints.feasible}, which arenas use after rounding a request, accepts exactly what the
 * constructor accepts; and {@code isPlain} is true only without any constraint beyond the size.
 */
class ConstraintsFeasibilityTest {

    private static boolean constructs(long size, long align, long phase, long nocross, long min, long max) {
        try {
            new Constraints(size, align, phase, nocross, min, max);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Test
    void feasible_agreesWithTheConstructor_onEveryCombinationOfSmallValues() {
        // Each boundary on both sides: size 0/1, align not a power of two, phase -1 and phase == align,
        // size == nocross and one more, max == min, and ranges too short for the block.
        long[] sizes = {-1, 0, 1, 3, 4, 8};
        long[] aligns = {0, 1, 2, 3, 4};
        long[] phases = {-1, 0, 1, 3, 4};
        long[] nocrosses = {0, 1, 3, 4};
        long[] mins = {-1, 0, 1, 5};
        long[] maxes = {0, 1, 5, 6, 9, Constraints.NO_MAX};
        int accepted = 0;
        for (long size : sizes) {
            for (long align : aligns) {
                for (long phase : phases) {
                    for (long nocross : nocrosses) {
                        for (long min : mins) {
                            for (long max : maxes) {
                                boolean ok = constructs(size, align, phase, nocross, min, max);
                                assertEquals(ok, Constraints.feasible(size, align, phase, nocross, min, max),
                                        "size=" + size + " align=" + align + " phase=" + phase + " nocross="
                                                + nocross + " min=" + min + " max=" + max);
                                accepted += ok ? 1 : 0;
                            }
                        }
                    }
                }
            }
        }
        assertTrue(accepted > 300, "the grid holds feasible requests too: " + accepted);
    }

    @Test
    void aMaxEqualToMin_isRejectedForThat_notAsOverConstrained() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Constraints(1, 1, 0, 0, 5, 5));
        assertEquals("min=5 must be below max=5", e.getMessage());
    }

    @Test
    void isPlain_onlyWithNoConstraintBeyondTheSize() {
        assertTrue(Constraints.of(8).isPlain());
        assertTrue(Constraints.builder(8).build().isPlain());
        assertFalse(Constraints.builder(8).align(2).build().isPlain());
        assertFalse(Constraints.builder(8).nocross(8).build().isPlain());
        assertFalse(Constraints.builder(8).min(1).build().isPlain());
        assertFalse(Constraints.builder(8).max(100).build().isPlain());
    }
}

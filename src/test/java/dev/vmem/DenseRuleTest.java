package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link DenseRule#singlesBeforeLeaving}: the count down that lets a dense span skip asking the rule. It must
 * never be too long (the span would stay dense past the operation that should move it back, and the form is
 * part of what the tests pin), and should not be needlessly short.
 */
class DenseRuleTest {

    /**
     * For random rules and spans that do not leave now: after one operation fewer than the count down, no
     * sequence of one-quantum operations can have made the rule leave. The bounds are linear, so the sequences
     * that move the allocations (with the used quanta) and the gaps as far as they can, either way, are the
     * worst; and after exactly the count down, one of them does leave (the count is not longer than it must be,
     * up to the rounding of a division).
     */
    @Test
    void noSequenceOfOneQuantumOperations_leavesBeforeTheCountDownRunsOut() {
        long seed = 4242;
        System.out.println("DenseRuleTest seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        int checked = 0;
        for (int round = 0; round < 200_000; round++) {
            long leavePacked = switch (rnd.nextInt(3)) {
                case 0 -> Long.MAX_VALUE;
                case 1 -> rnd.nextLong(4);
                default -> rnd.nextLong(1L << 20);
            };
            DenseRule rule = new DenseRule(64, 256, 2, 16, 1 + rnd.nextInt(4096), rnd.nextInt(12), rnd.nextInt(200), 0,
                    0, Long.MAX_VALUE, leavePacked);
            long quanta = 1 + rnd.nextLong(1L << 20);
            long allocations = rnd.nextLong(quanta + 1);
            long used = allocations + (allocations == 0 ? 0 : rnd.nextLong(Math.min(quanta - allocations + 1,
                    1 + allocations * 12)));
            long gaps = rnd.nextLong(Math.max(1, quanta - used + 1));
            long below = rule.leaveBelow(quanta);
            if (rule.leaves(allocations, used, gaps, below)) {
                continue;
            }
            checked++;
            long n = rule.singlesBeforeLeaving(allocations, used, gaps, below);
            String where = "round=" + round + " " + rule + " allocations=" + allocations + " used=" + used + " gaps="
                    + gaps + " below=" + below + " n=" + n;
            assertTrue(n >= 1, where);
            long m = n - 1;
            for (long a : moves(allocations, m, rule)) {
                for (int g = -1; g <= 1; g += 2) {
                    assertFalse(rule.leaves(allocations + a, used + a, Math.max(0, gaps + g * m), below),
                            where + ": leaves after " + m + " operations, allocations moving " + a + " and gaps " + g);
                }
            }
            boolean leavesAtN = false;
            for (long a : moves(allocations, n, rule)) {
                for (int g = -1; g <= 1; g += 2) {
                    leavesAtN |= rule.leaves(allocations + a, used + a, Math.max(0, gaps + g * n), below);
                }
            }
            assertTrue(leavesAtN || n == 1, where + ": no worst sequence leaves after the count down either");
        }
        assertTrue(checked > 50_000, "spans that do not leave now: " + checked);
    }

    /**
     * The changes of the allocations that {@code steps} one-quantum operations can make that come nearest to
     * each bound: all the way down or up (the bounds of the count and of the mean are linear), or to just
     * below {@code leavePacked} (the gap bound holds only there, and more allocations per gap are nearer it).
     */
    private static long[] moves(long allocations, long steps, DenseRule rule) {
        long toPacked = rule.leavePacked() - 1 - allocations;
        return Math.abs(toPacked) <= steps ? new long[] {-steps, steps, toPacked} : new long[] {-steps, steps};
    }

    /**
     * A pool of single IDs side by side (one gap): below the packed bound the gap rule sends it back, at or
     * above it the pool stays, and the count down lasts until the pool could fall below that bound.
     */
    @Test
    void aPackedPool_staysAboveThePackedBound_andLeavesBelowIt() {
        DenseRule rule = DenseRule.DEFAULT;
        assertEquals(1 << 16, rule.enterPacked());
        assertEquals(1 << 15, rule.leavePacked());
        long quanta = 1_000_000;
        long below = rule.leaveBelow(quanta);
        assertTrue(rule.enters(1 << 16, 1 << 16, 1, quanta));
        assertFalse(rule.enters((1 << 16) - 1, (1 << 16) - 1, 1, quanta), "a packed pool below the bound");
        assertTrue(rule.enters(4000, 4000, 4000 / 16, quanta), "a gapped pool, as before");
        assertFalse(rule.enters(1 << 16, 3 << 16, 1, quanta), "too large on average, however many");
        assertFalse(rule.leaves(1 << 15, 1 << 15, 1, below));
        assertTrue(rule.leaves((1 << 15) - 1, (1 << 15) - 1, 1, below));
        assertFalse(rule.leaves((1 << 15) - 1, (1 << 15) - 1, 1000, below), "enough gaps below the bound");
        assertEquals(100_000 - (1 << 15) + 1, rule.singlesBeforeLeaving(100_000, 100_000, 1, below));
        assertTrue(rule.mightEnter(1 << 16, 1 << 16, 0));
        assertFalse(rule.mightEnter((1 << 16) - 1, (1 << 16) - 1, 0));
        assertTrue(rule.mightEnter(16, 16, 1));
        assertFalse(rule.mightEnter(17, 17, 1));
        assertFalse(DenseRule.NEVER.mightEnter(Long.MAX_VALUE / 2, 0, 0));
    }

    @Test
    void negativePackedBounds_areRefusedWithTheirValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DenseRule(64, 256, 2, 16, 1024, 8, 64, 0, 0, -1, 5));
        assertEquals("dense rule packed bounds -1, 5 must not be negative", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DenseRule(64, 256, 2, 16, 1024, 8, 64, 0, 0, 5, -1));
    }

    /** An ID pool far inside the default rule's bounds is asked again only after many operations. */
    @Test
    void aPoolFarInsideTheBounds_isAskedRarely() {
        DenseRule rule = DenseRule.DEFAULT;
        long quanta = 1_000_000;
        long below = rule.leaveBelow(quanta);
        assertEquals(976, below);
        // 100,000 one-quantum IDs in 95,000 gaps: the nearest bound is the one of allocations per gap (64 per gap),
        // which holds only below 32,768 allocations: the gaps must close to 511 for those to be 64 per gap
        long n = rule.singlesBeforeLeaving(100_000, 100_000, 95_000, below);
        long byCount = 100_000 - below + 1;
        long byMean = (8 * 100_000 - 100_000) / 7 + 1;
        long byGaps = 95_000 - 511;
        assertEquals(Math.min(byCount, Math.min(byMean, byGaps)), n);
        assertTrue(n > 90_000, "n=" + n);
    }
}

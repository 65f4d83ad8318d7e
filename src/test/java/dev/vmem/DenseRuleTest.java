package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
            DenseRule rule = new DenseRule(64, 256, 2, 16, 1 + rnd.nextInt(4096), rnd.nextInt(12), rnd.nextInt(200), 0,
                    0);
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
            for (int a = -1; a <= 1; a += 2) {
                for (int g = -1; g <= 1; g += 2) {
                    assertFalse(rule.leaves(allocations + a * m, used + a * m, Math.max(0, gaps + g * m), below),
                            where + ": leaves after " + m + " operations, allocations moving " + a + " and gaps " + g);
                }
            }
            boolean leavesAtN = false;
            for (int a = -1; a <= 1; a += 2) {
                for (int g = -1; g <= 1; g += 2) {
                    leavesAtN |= rule.leaves(allocations + a * n, used + a * n, gaps + g * n, below);
                }
            }
            assertTrue(leavesAtN || n == 1, where + ": no worst sequence leaves after the count down either");
        }
        assertTrue(checked > 50_000, "spans that do not leave now: " + checked);
    }

    /** An ID pool far inside the default rule's bounds is asked again only after many operations. */
    @Test
    void aPoolFarInsideTheBounds_isAskedRarely() {
        DenseRule rule = DenseRule.DEFAULT;
        long quanta = 1_000_000;
        long below = rule.leaveBelow(quanta);
        assertEquals(976, below);
        // 100,000 one-quantum IDs in 95,000 gaps: the nearest bound is the one of allocations per gap (64 per gap)
        long n = rule.singlesBeforeLeaving(100_000, 100_000, 95_000, below);
        long byCount = 100_000 - below + 1;
        long byMean = (8 * 100_000 - 100_000) / 7 + 1;
        long byGaps = (64 * 95_000 - 100_000) / 65 + 1;
        assertEquals(Math.min(byCount, Math.min(byMean, byGaps)), n);
        assertTrue(n > 90_000, "n=" + n);
    }
}

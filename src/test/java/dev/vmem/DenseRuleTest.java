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
                    0, Long.MAX_VALUE, 0, leavePacked,
                    rnd.nextInt(4) == 0 ? DenseSpan.MAX_QUANTA : rnd.nextLong(1 << 11));
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
            for (long a : moves(allocations, m, rule.leavePacked() - 1)) {
                for (long g : moves(gaps, m, rule.leavePackedGaps() + 1)) {
                    assertFalse(rule.leaves(allocations + a, used + a, Math.max(0, gaps + g), below),
                            where + ": leaves after " + m + " operations, allocations moving " + a + " and gaps " + g);
                }
            }
            boolean leavesAtN = false;
            for (long a : moves(allocations, n, rule.leavePacked() - 1)) {
                for (long g : moves(gaps, n, rule.leavePackedGaps() + 1)) {
                    leavesAtN |= rule.leaves(allocations + a, used + a, Math.max(0, gaps + g), below);
                }
            }
            assertTrue(leavesAtN || n == 1, where + ": no worst sequence leaves after the count down either");
        }
        assertTrue(checked > 50_000, "spans that do not leave now: " + checked);
    }

    /**
     * The changes of a count (the allocations, or the gaps) that {@code steps} one-quantum operations can make
     * that come nearest to each bound: all the way down or up (the bounds are linear in each), or exactly to
     * {@code edge}: the gap bound holds only below {@code leavePacked} allocations or above {@code leavePackedGaps}
     * gaps, and nearer it with more allocations and fewer gaps, so the best point may be that edge.
     */
    private static long[] moves(long count, long steps, long edge) {
        long toEdge = edge - count;
        return Math.abs(toEdge) <= steps ? new long[] {-steps, steps, toEdge} : new long[] {-steps, steps};
    }

    /**
     * A pool of single IDs side by side: below the packed bound the gap rule sends it back, at or above it the
     * pool stays while its gaps are few, and the count down lasts until its gaps could be too many.
     */
    @Test
    void aPackedPool_staysAboveThePackedBound_andLeavesBelowIt() {
        DenseRule rule = DenseRule.DEFAULT;
        assertEquals(1 << 16, rule.enterPacked());
        assertEquals(1 << 15, rule.leavePacked());
        assertEquals(16, rule.enterPackedGaps());
        assertEquals(64, rule.leavePackedGaps());
        long quanta = 1_000_000;
        long below = rule.leaveBelow(quanta);
        assertTrue(rule.enters(1 << 16, 1 << 16, 1, quanta));
        assertFalse(rule.enters((1 << 16) - 1, (1 << 16) - 1, 1, quanta), "a packed pool below the bound");
        assertTrue(rule.enters(1 << 16, 1 << 16, 16, quanta));
        assertFalse(rule.enters(1 << 16, 1 << 16, 17, quanta), "too many gaps to be packed, too few per allocation");
        assertTrue(rule.enters(4000, 4000, 4000 / 16, quanta), "a gapped pool, as before");
        assertFalse(rule.enters(1 << 16, 3 << 16, 1, quanta), "too large on average, however many");
        assertFalse(rule.leaves(1 << 15, 1 << 15, 1, below));
        assertTrue(rule.leaves((1 << 15) - 1, (1 << 15) - 1, 1, below));
        assertFalse(rule.leaves((1 << 15) - 1, (1 << 15) - 1, 1000, below), "enough gaps below the bound");
        assertFalse(rule.leaves(1 << 15, 1 << 15, 64, below));
        assertTrue(rule.leaves(1 << 15, 1 << 15, 65, below), "65 gaps: no longer packed, and over 64 per gap");
        assertFalse(rule.leaves(1 << 15, 1 << 15, 1 << 9, below), "64 per gap");
        assertEquals(64, rule.singlesBeforeLeaving(100_000, 100_000, 1, below), "the gaps could reach 65 by then");
        assertEquals((64 * 8_000 - 100_000) / 65 + 1, rule.singlesBeforeLeaving(100_000, 100_000, 8_000, below),
                "8,000 gaps closing as allocations grow: over 64 per gap with more than 64 gaps, not packed");
        assertTrue(rule.mightEnter(1 << 16, 1 << 16, 0));
        assertFalse(rule.mightEnter(1 << 20, 1 << 20, 17));
        assertFalse(rule.mightEnter((1 << 16) - 1, (1 << 16) - 1, 0));
        assertTrue(rule.mightEnter(16, 16, 1));
        assertFalse(rule.mightEnter(17, 17, 1));
        assertFalse(DenseRule.NEVER.mightEnter(Long.MAX_VALUE / 2, 0, 0));
    }

    @Test
    void negativePackedBounds_areRefusedWithTheirValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DenseRule(64, 256, 2, 16, 1024, 8, 64, 0, 0, -1, 0, 5, 0));
        assertEquals("dense rule packed bounds -1, 5 must not be negative", e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new DenseRule(64, 256, 2, 16, 1024, 8, 64, 0, 0, 5, 0, -1, 0));
        IllegalArgumentException gaps = assertThrows(IllegalArgumentException.class,
                () -> new DenseRule(64, 256, 2, 16, 1024, 8, 64, 0, 0, 5, 0, 5, (1L << 26) + 1));
        assertEquals("dense rule packed gaps=67108865 is not in [0, 2^26]", gaps.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new DenseRule(64, 256, 2, 16, 1024, 8, 64, 0, 0, 5, -1, 5, 0));
    }

    /** An ID pool far inside the default rule's bounds is asked again only after many operations. */
    @Test
    void aPoolFarInsideTheBounds_isAskedRarely() {
        DenseRule rule = DenseRule.DEFAULT;
        long quanta = 1_000_000;
        long below = rule.leaveBelow(quanta);
        assertEquals(976, below);
        // 100,000 one-quantum IDs in 95,000 gaps: the nearest bound is the one of allocations per gap (64 per gap);
        // with more than 64 gaps the pool is not packed, so it holds at any count
        long n = rule.singlesBeforeLeaving(100_000, 100_000, 95_000, below);
        long byCount = 100_000 - below + 1;
        long byMean = (8 * 100_000 - 100_000) / 7 + 1;
        long byGaps = (64 * 95_000 - 100_000) / 65 + 1;
        assertEquals(Math.min(byCount, Math.min(byMean, byGaps)), n);
        assertTrue(n > 90_000, "n=" + n);
    }
}

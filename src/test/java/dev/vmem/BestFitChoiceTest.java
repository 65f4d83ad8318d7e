package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Which free segment BEST_FIT takes when several of one size class would hold the block: the smallest,
 * and of equal sizes the lowest, whatever order the freelist holds them in. Each span here is one free
 * segment, and a freelist holds the most recently added span first, so the order the spans are added in
 * sets the order BEST_FIT meets them in.
 */
class BestFitChoiceTest {

    private static Arena withSpans(long q, long... baseAndSizeInQuanta) {
        Arena a = Arena.builder("best").quantum(q).build();
        for (int i = 0; i < baseAndSizeInQuanta.length; i += 2) {
            a.addSpan(baseAndSizeInQuanta[i] * q, baseAndSizeInQuanta[i + 1] * q);
        }
        return a;
    }

    private static void assertAllocatedAt(Arena a, long base, long size) {
        assertEquals(List.of(new Segment(base, size, Segment.Kind.ALLOCATED)),
                a.segments().stream().filter(s -> s.kind() == Segment.Kind.ALLOCATED).toList(), a.dump());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void equalSizes_theLowestBaseWins_whenTheFreelistMeetsTheHigherOneFirst(long q) {
        Arena a = withSpans(q, 0, 16, 1000, 16); // the freelist holds [1000q, 1016q) first
        assertEquals(0, a.alloc(16 * q, Policy.BEST_FIT));
        assertAllocatedAt(a, 0, 16 * q);
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void equalSizes_theLowestBaseWins_whenTheFreelistMeetsItFirst(long q) {
        Arena a = withSpans(q, 1000, 16, 0, 16); // the freelist holds [0, 16q) first
        assertEquals(0, a.alloc(12 * q, Policy.BEST_FIT));
        assertAllocatedAt(a, 0, 12 * q);
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void theSmallerSegmentOfAClassWins_whenItLiesHigherAndIsMetLater(long q) {
        // Both in class 3 ([8, 16) quanta); the freelist meets 12 quanta at 0 first, then 9 quanta at 1000.
        Arena a = withSpans(q, 1000, 9, 0, 12);
        assertEquals(1000 * q, a.alloc(8 * q, Policy.BEST_FIT));
        assertAllocatedAt(a, 1000 * q, 8 * q);
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void theSmallerSegmentOfAClassWins_whenItIsMetFirst(long q) {
        Arena a = withSpans(q, 0, 12, 1000, 9); // meets 9 quanta at 1000 first, then 12 at 0
        assertEquals(1000 * q, a.alloc(8 * q, Policy.BEST_FIT));
        assertAllocatedAt(a, 1000 * q, 8 * q);
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void theSmallestOfThree_isFoundWhereverItSitsInTheFreelist(long q) {
        Arena a = withSpans(q, 2000, 14, 0, 10, 1000, 12); // meets 12, 10, 14
        assertEquals(0, a.alloc(9 * q, Policy.BEST_FIT));
        assertEquals(1000 * q, a.alloc(9 * q, Policy.BEST_FIT), "of 12 and 14 quanta left, 12");
        assertEquals(2000 * q, a.alloc(9 * q, Policy.BEST_FIT));
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void aSmallerSegmentThatCannotHoldTheAlignedBlock_isPassedOver(long q) {
        // 9 quanta at q (an odd start) holds no block of 8 quanta aligned to 8 quanta; 12 at 16q does.
        Arena a = withSpans(q, 16, 12, 1, 9);
        Constraints aligned = Constraints.builder(8 * q).align(8 * q).build();
        assertEquals(16 * q, a.xalloc(aligned, Policy.BEST_FIT));
        assertAllocatedAt(a, 16 * q, 8 * q);
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void anExactFitInTheRequestsOwnClass_beatsEveryLargerClass(long q) {
        Arena a = withSpans(q, 0, 64, 1000, 9, 2000, 32);
        assertEquals(1000 * q, a.alloc(9 * q, Policy.BEST_FIT));
        assertEquals(2000 * q, a.alloc(9 * q, Policy.BEST_FIT), "then the smaller of the larger classes");
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void aBoundedRequest_takesTheSmallestSegmentInsideTheBounds(long q) {
        // Smallest overall is 9 quanta at 0, below min; of the rest, 10 at 2000 beats 12 at 1000.
        Arena a = withSpans(q, 1000, 12, 0, 9, 2000, 10);
        Constraints bounded = Constraints.builder(8 * q).min(500 * q).build();
        assertEquals(2000 * q, a.xalloc(bounded, Policy.BEST_FIT));
        assertEquals(List.of(), a.checkInvariants());
    }
}

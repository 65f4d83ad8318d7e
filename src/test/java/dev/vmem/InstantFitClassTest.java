package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Which size class INSTANT_FIT takes from: the first non-empty class all of whose members hold the
 * block (for a power-of-two size, its own class), counting the alignment's slack; lower classes only
 * when no such class has room. Each span here is one free segment of the size given.
 */
class InstantFitClassTest {

    private static Arena withSpans(long q, long... baseAndSizeInQuanta) {
        Arena a = Arena.builder("instant").quantum(q).build();
        for (int i = 0; i < baseAndSizeInQuanta.length; i += 2) {
            a.addSpan(baseAndSizeInQuanta[i] * q, baseAndSizeInQuanta[i + 1] * q);
        }
        return a;
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void aPowerOfTwoSize_takesItsOwnClass_beforeALargerOne(long q) {
        Arena a = withSpans(q, 1000, 8, 0, 16);
        assertEquals(1000 * q, a.alloc(8 * q, Policy.INSTANT_FIT), "8 quanta are sure to fit in class 3");
        assertEquals(0, a.alloc(8 * q, Policy.INSTANT_FIT));
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void oneQuantum_takesClassZero_beforeALargerOne(long q) {
        Arena a = withSpans(q, 1000, 1, 0, 2);
        assertEquals(1000 * q, a.alloc(q, Policy.INSTANT_FIT));
        assertEquals(0, a.alloc(q, Policy.INSTANT_FIT));
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void aSizeBetweenPowersOfTwo_skipsItsOwnClass_forTheNextOne(long q) {
        // 9 quanta: class 3 may hold segments of 8 too small, so the sure class is 4, even though the
        // segment of 12 in class 3 would hold it.
        Arena a = withSpans(q, 1000, 12, 0, 16);
        assertEquals(0, a.alloc(9 * q, Policy.INSTANT_FIT));
        assertEquals(1000 * q, a.alloc(9 * q, Policy.INSTANT_FIT), "then class 3 searched, first fit");
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void anAlignedRequest_countsTheAlignmentsSlack_inItsSureClass(long q) {
        // 8 quanta aligned to 8 need 15 quanta to be sure: class 4. The 8 at 0 would hold the block,
        // but it is in class 3 and is searched only after every sure class.
        Arena a = withSpans(q, 0, 8, 64, 32);
        Constraints aligned = Constraints.builder(8 * q).align(8 * q).build();
        assertEquals(64 * q, a.xalloc(aligned, Policy.INSTANT_FIT));
        assertEquals(72 * q, a.xalloc(aligned, Policy.INSTANT_FIT), "24 quanta left at 72: class 4");
        assertEquals(80 * q, a.xalloc(aligned, Policy.INSTANT_FIT), "16 at 80: class 4");
        assertEquals(88 * q, a.xalloc(aligned, Policy.INSTANT_FIT), "8 at 88 and 8 at 0, both class 3: first fit");
        assertEquals(0, a.xalloc(aligned, Policy.INSTANT_FIT));
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void anAlignedRequest_withOnlyLowerClassesLeft_searchesThemFirstFit(long q) {
        // 8 quanta aligned to 8 at [3, 14) do not fit (8 to 16 runs past 14); at [40, 48) they do.
        Arena a = withSpans(q, 40, 8, 3, 11);
        Constraints aligned = Constraints.builder(8 * q).align(8 * q).build();
        assertEquals(40 * q, a.xalloc(aligned, Policy.INSTANT_FIT));
        assertEquals(Arena.NONE, a.tryXalloc(aligned, Policy.INSTANT_FIT));
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void aRequestWithAMinimum_isNotServedFromTheHeadBelowIt(long q) {
        Arena a = withSpans(q, 1000, 16, 0, 16); // the head of class 4 is [0, 16q)
        Constraints above = Constraints.builder(8 * q).min(500 * q).build();
        assertEquals(1000 * q, a.xalloc(above, Policy.INSTANT_FIT));
        Constraints below = Constraints.builder(8 * q).max(800 * q).build();
        assertEquals(0, a.xalloc(below, Policy.INSTANT_FIT));
        Constraints nocross = Constraints.builder(8 * q).nocross(16 * q).build();
        assertEquals(8 * q, a.xalloc(nocross, Policy.INSTANT_FIT), "the rest of [0, 16q)");
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8})
    void theLargestRequest_searchesTheTopClass(long q) {
        long top = Long.highestOneBit(Long.MAX_VALUE / q) * q; // 2^62 or a multiple of q below 2^63
        Arena a = Arena.builder("top").quantum(q).span(0, top).build();
        assertEquals(0, a.alloc(top, Policy.INSTANT_FIT));
        assertEquals(Arena.NONE, a.tryAlloc(q, Policy.INSTANT_FIT));
        a.free(0);
        Constraints aligned = Constraints.builder(top / 2).align(top / 2).phase(0).build();
        assertEquals(0, a.xalloc(aligned, Policy.INSTANT_FIT));
        assertEquals(top / 2, a.xalloc(aligned, Policy.INSTANT_FIT));
        assertEquals(List.of(), a.checkInvariants());
    }
}

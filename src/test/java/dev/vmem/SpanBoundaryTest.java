package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A span is the half-open range {@code [base, base + size)}: its base is in it, its end is not. */
class SpanBoundaryTest {

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void contains_isTrueFromTheBaseToTheLastValue_andFalseAtTheEnd(long q) {
        Arena a = Arena.builder("span").quantum(q).span(100 * q, 50 * q).build();
        assertFalse(a.contains(100 * q - 1), "one below the base");
        assertTrue(a.contains(100 * q), "the base");
        assertTrue(a.contains(150 * q - 1), "the last value");
        assertFalse(a.contains(150 * q), "the end is not in the span");
        assertFalse(a.contains(0));
        assertFalse(a.contains(Long.MAX_VALUE));
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void contains_atTheSeamOfTwoAdjacentSpans_isTheUpperSpansBase(long q) {
        Arena a = Arena.builder("seam").quantum(q).span(0, 10 * q).span(10 * q, 10 * q).build();
        assertTrue(a.contains(10 * q - 1));
        assertTrue(a.contains(10 * q));
        assertTrue(a.contains(20 * q - 1));
        assertFalse(a.contains(20 * q));
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void spansThatTouch_areAccepted_onEitherSide(long q) {
        Arena a = Arena.builder("touch").quantum(q).span(100 * q, 10 * q).build();
        a.addSpan(110 * q, 5 * q); // starts at the end of the first
        a.addSpan(90 * q, 10 * q); // ends at the base of the first
        assertEquals(3, a.stats().spans());
        assertEquals(25 * q, a.stats().total());
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void spansThatShareOneQuantum_areRefused_andChangeNothing(long q) {
        Arena a = Arena.builder("overlap").quantum(q).span(100 * q, 10 * q).build();
        String before = a.dump();
        assertThrows(IllegalArgumentException.class, () -> a.addSpan(109 * q, 5 * q), "last quantum");
        assertThrows(IllegalArgumentException.class, () -> a.addSpan(95 * q, 6 * q), "first quantum");
        assertThrows(IllegalArgumentException.class, () -> a.addSpan(90 * q, 30 * q), "around it");
        assertThrows(IllegalArgumentException.class, () -> a.addSpan(102 * q, 2 * q), "inside it");
        assertEquals(before, a.dump());
        assertEquals(List.of(), a.checkInvariants());
    }

    @ParameterizedTest(name = "quantum={0}")
    @ValueSource(longs = {1, 8, 4096})
    void aFreeAtTheSpansEnd_saysTheValueIsInNoSpan(long q) {
        Arena a = Arena.builder("free").quantum(q).span(0, 10 * q).build();
        a.alloc(10 * q, Policy.INSTANT_FIT);
        InvalidFreeException atEnd = assertThrows(InvalidFreeException.class, () -> a.free(10 * q));
        assertTrue(atEnd.getMessage().contains("is in no span"), atEnd.getMessage());
        InvalidFreeException inside = assertThrows(InvalidFreeException.class, () -> a.free(9 * q));
        assertTrue(inside.getMessage().contains("is not the base of a live allocation"), inside.getMessage());
        assertEquals(List.of(), a.checkInvariants());
    }
}

package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** An exported state is a value: equal by content (its allocation array included), and it counts its pairs. */
class ArenaStateTest {

    private static ArenaState exported() {
        Arena a = Arena.builder("state").quantum(8).span(0, 800).build();
        a.alloc(16, Policy.INSTANT_FIT);
        a.alloc(24, Policy.NEXT_FIT);
        a.alloc(8, Policy.BEST_FIT);
        assertEquals(List.of(), a.checkInvariants());
        return new ObservedArena(a).exportState();
    }

    @Test
    void twoExportsOfTheSameState_areEqual_withEqualHashes() {
        ArenaState one = exported();
        ArenaState two = exported();
        assertEquals(one, two);
        assertEquals(one.hashCode(), two.hashCode());
        assertEquals(3, one.allocationCount());
        assertEquals("ArenaState[spans=1, allocations=3, cursor=40, counters=" + one.counters() + "]", one.toString());
    }

    @Test
    void statesThatDifferInOneAllocation_areNotEqual() {
        ArenaState one = exported();
        long[] moved = one.allocations().clone();
        moved[moved.length - 2] += 8;
        ArenaState other = new ArenaState(one.spans(), moved, one.cursor(), one.counters());
        assertNotEquals(one, other);
        assertNotEquals(one, new ArenaState(one.spans(), one.allocations(), one.cursor() + 8, one.counters()));
        assertNotEquals(one, new ArenaState(List.of(), one.allocations(), one.cursor(), one.counters()));
        assertNotEquals(one, (Object) "a string");
    }
}

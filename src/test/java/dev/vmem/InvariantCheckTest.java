package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Arena#checkInvariants()}, the check every arena test ends with, must itself find what is
 * wrong: here, counters that disagree with what the arena holds.
 */
class InvariantCheckTest {

    @Test
    void checkInvariants_comparesTheCountersWithTheContents() {
        // Guards against: checkInvariants passing counters that disagree with the live allocations and imported spans.
        Arena parent = Arena.builder("parent").span(0, 1024).build();
        Arena child = Arena.builder("child").source(parent).build();
        child.alloc(8, Policy.INSTANT_FIT);
        Invariants.assertSound(parent, child);

        for (String counter : List.of("allocations", "frees", "imports", "releases")) {
            bump(child.engine, counter, 1);
            try {
                List<String> problems = child.checkInvariants();
                assertTrue(problems.stream().anyMatch(p -> p.startsWith("counters:") && p.contains(counter + "=")),
                        counter + " off by one: " + problems);
            } finally {
                bump(child.engine, counter, -1);
            }
        }
        Invariants.assertSound(parent, child);
    }

    private static void bump(ArenaEngine e, String counter, long by) {
        switch (counter) {
            case "allocations" -> e.allocations += by;
            case "frees" -> e.frees += by;
            case "imports" -> e.imports += by;
            default -> e.releases += by;
        }
    }
}

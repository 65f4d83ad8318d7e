package dev.vmem.testing;

import dev.vmem.Policy;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Argument sources for tests parameterised over policy and quantum, as every arena test should be. Kept
 * outside the test classes so that a {@code @Nested} group anywhere can name them:
 * {@code @MethodSource("dev.vmem.testing.Configurations#policiesAndQuanta")}.
 */
public final class Configurations {
    private static final long[] QUANTA = {1, 8, 4096};

    private Configurations() {
    }

    /**
     * Every {@link Policy} with each quantum of 1 (the finest), 8 (a word) and 4096 (a page): arguments
     * {@code (Policy, long)}.
     */
    public static Stream<Arguments> policiesAndQuanta() {
        List<Arguments> out = new ArrayList<>();
        for (Policy p : Policy.values()) {
            for (long q : QUANTA) {
                out.add(Arguments.of(p, q));
            }
        }
        return out.stream();
    }
}

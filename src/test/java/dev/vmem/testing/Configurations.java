package dev.vmem.testing;

import dev.vmem.Policy;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Argument sources for tests parameterised over policy and quantum (STYLE.md §9). Kept outside the test
 * classes so that a {@code @Nested} group anywhere can name them:
 * {@code @MethodSource("dev.vmem.testing.Configurations#policiesAndQuanta")}.
 */
public final class Configurations {
    /** The quanta every parameterised test covers: the finest, a word, and a page. */
    public static final long[] QUANTA = {1, 8, 4096};

    private Configurations() {
    }

    /** Every {@link Policy} with every quantum of {@link #QUANTA}: arguments {@code (Policy, long)}. */
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

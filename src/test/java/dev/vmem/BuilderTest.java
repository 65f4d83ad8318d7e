package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * {@link Arena.Builder} as a reusable definition: each {@code build()} reads the settings as they are
 * then, and defaults are worked out per build, not stored. (The builder's rejections of bad settings
 * are in {@link BadInputTest}.)
 */
class BuilderTest {

    @Test
    void builder_reusedWithALargerQuantum_buildsAgain() {
        // Guards against: build() storing the defaulted importQuantum, so that the builder fails once given a larger
        // quantum.
        Arena.Builder b = Arena.builder("b").quantum(8);
        Arena first = b.build();
        b.quantum(16);
        Arena second = assertDoesNotThrow(b::build);

        assertEquals(8, first.importQuantum());
        assertEquals(16, second.quantum());
        assertEquals(16, second.importQuantum(), "the default import quantum follows the new quantum");
        // Guards against: an arena without a source reporting its quantum instead of the import quantum it was given.
        Arena sourceless = Arena.builder("iq").quantum(4).importQuantum(64).build();
        assertEquals(64, sourceless.importQuantum());
        Invariants.assertSound(sourceless);
        Invariants.assertSound(first, second);
    }
}

package dev.vmem;

import dev.vmem.testing.ArenaWarnings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Closing an arena: live allocations are reported as leaks at WARN (and nothing when there are none);
 * every span the source refuses is reported in one exception, and a second close retries them.
 */
class CloseReportsLeaksAndRefusalsTest {
    @RegisterExtension
    final ArenaWarnings arenaWarnings = new ArenaWarnings();

    private List<String> warnings() {
        return arenaWarnings.messages();
    }

    @Test
    void closingWithOneLiveAllocation_warnsOfTheLeak() {
        Arena a = Arena.builder("leaky").quantum(8).span(0, 800).build();
        a.alloc(24, Policy.INSTANT_FIT);
        a.close();
        assertEquals(List.of("arena 'leaky' closed with 1 live allocations (24 values) leaked"), warnings());
        assertEquals(List.of(), a.checkInvariants());
    }

    @Test
    void closingWithNothingLive_warnsOfNothing() {
        Arena a = Arena.builder("tidy").quantum(8).qcacheMax(16).span(0, 8000).build();
        a.free(a.alloc(24, Policy.INSTANT_FIT));
        a.free(a.alloc(16, Policy.INSTANT_FIT)); // an idle cache slab is no leak
        a.close();
        a.close();
        assertEquals(List.of(), warnings());
        assertEquals(List.of(), a.checkInvariants());
    }

    @Test
    void everyRefusedSpan_isReported_andASecondCloseRetriesThem() {
        Arena parent = Arena.builder("parent").quantum(1).span(0, 1000).build();
        boolean[] refuse = {true};
        int[] refused = {0};
        Source source = new Source() {
            @Override
            public long importSpan(Constraints request) {
                return parent.asSource().importSpan(request);
            }

            @Override
            public void releaseSpan(long base, long size) {
                if (refuse[0]) {
                    refused[0]++;
                    throw new IllegalStateException("refused [" + base + ", " + (base + size) + ")");
                }
                parent.asSource().releaseSpan(base, size);
            }
        };
        Arena child = Arena.builder("child").quantum(1).source(source).build();
        child.alloc(100, Policy.INSTANT_FIT);
        child.alloc(200, Policy.INSTANT_FIT);
        child.alloc(300, Policy.INSTANT_FIT);
        assertEquals(3, child.stats().spans());
        IllegalStateException e = assertThrows(IllegalStateException.class, child::close);
        assertTrue(e.getMessage().contains("could not give span"), e.getMessage());
        assertEquals(IllegalStateException.class, e.getCause().getClass());
        assertEquals(2, e.getSuppressed().length, "the other two refusals ride along");
        assertEquals(3, refused[0]);
        assertEquals(600, parent.stats().allocated(), "the parent still lends all three");
        refuse[0] = false;
        child.close();
        assertEquals(0, parent.stats().allocated());
        assertEquals(0, child.stats().total());
        assertEquals(List.of(), child.checkInvariants());
        assertEquals(List.of(), parent.checkInvariants());
    }
}

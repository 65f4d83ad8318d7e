package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vmem.Policy;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's persistent-arena example, kept compiling and true (run twice: create, then reopen). */
class StoreReadmeExampleTest {
    @TempDir
    Path tmp;

    private long[] example(Path where) {
        long first;
        long second;
        try (VmemStore store = VmemStore.open(where)) {                      // created if missing
            PersistentArena pids = store.arenas().isEmpty()
                    ? store.createArena(ArenaDefinition.of("pids", 1))
                    : store.arena("pids");
            if (pids.stats().total() == 0) {
                pids.addSpan(300, 32768 - 300);
            }
            long pid = pids.alloc(1, Policy.NEXT_FIT);   // durable (fsync) before it returns
            long[] next = new long[1];
            store.batch(() -> {                          // one unit: both or neither survive a crash
                pids.free(pid);
                next[0] = pids.alloc(1, Policy.NEXT_FIT);
            });
            first = pid;
            second = next[0];
            assertEquals(List.of(), store.verify());
        }
        return new long[] {first, second};
    }

    @Test
    void readmeStoreExample_runsAsDocumented_andContinuesAfterReopen() {
        Path where = tmp.resolve("pid-store");
        long[] first = example(where);
        assertEquals(300, first[0]);
        assertEquals(301, first[1], "NEXT_FIT does not hand out the PID just freed");
        long[] second = example(where);
        assertEquals(302, second[0], "the rotor survived close and reopen");
        assertEquals(303, second[1]);
    }
}

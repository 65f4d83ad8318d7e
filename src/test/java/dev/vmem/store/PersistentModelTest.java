package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.ArenaModelTest;
import dev.vmem.Invariants;
import dev.vmem.Policy;
import dev.vmem.VmemArena;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The core's model-based test, run against persistent arenas: every step is checked against the
 * reference model as in memory, and every few hundred steps the store is closed (cleanly, or as by a
 * crash) and reopened, and the run goes on against the recovered arenas, which must equal the ones
 * before.
 */
class PersistentModelTest {
    private static final int STEPS = Integer.getInteger("vmem.store.model.steps", 1200);
    private static final int REOPEN_EVERY = 300;

    @TempDir
    Path dir;

    static Stream<Arguments> configurations() {
        List<Arguments> out = new ArrayList<>();
        for (Policy policy : Policy.values()) {
            for (long quantum : new long[] {1, 4096}) {
                out.add(Arguments.of(policy, quantum, false));
                out.add(Arguments.of(policy, quantum, true));
            }
        }
        return out.stream();
    }

    /** Creates the run's arenas in a store; {@link #reopen} swaps in a freshly recovered store. */
    private final class StoreBackend implements ArenaModelTest.Backend {
        VmemStore store = VmemStore.open(StoreOptions.builder(dir).checkpointInterval(Duration.ofMillis(50))
                .journalSegmentBytes(64 << 10).build());

        @Override
        public VmemArena parent(long parentQ, long base, long size) {
            PersistentArena p = store.createArena(ArenaDefinition.of("parent", parentQ));
            p.addSpan(base, size);
            return p;
        }

        @Override
        public VmemArena arena(String label, long quantum, VmemArena parent, long importQuantum) {
            return store.createArena(new ArenaDefinition(label, quantum, parent == null ? null : "parent",
                    importQuantum, 0));
        }

        void reopen(ArenaModelTest.Run run, boolean crash, String ctx) {
            String label = run.arena().label();
            String before = run.arena().dump();
            String parentBefore = run.parent() == null ? null : run.parent().dump();
            assertEquals(List.of(), store.verify(), ctx + ": verify before reopening");
            if (crash) {
                StoreCrash.crash(store);
            } else {
                store.close();
            }
            store = VmemStore.open(StoreOptions.builder(dir).checkpointInterval(Duration.ofMillis(50))
                    .journalSegmentBytes(64 << 10).build());
            PersistentArena arena = store.arena(label);
            PersistentArena parent = run.parent() == null ? null : store.arena("parent");
            assertEquals(before, arena.dump(), ctx + ": arena after reopening");
            if (parent != null) {
                assertEquals(parentBefore, parent.dump(), ctx + ": parent after reopening");
            }
            assertEquals(List.of(), store.verify(), ctx + ": verify after reopening");
            run.reattach(arena, parent, !crash);
        }
    }

    @ParameterizedTest(name = "{0}, quantum={1}, source={2}")
    @MethodSource("configurations")
    void randomOperations_onPersistentArenas_agreeWithReferenceModel_acrossReopens(Policy policy, long quantum,
            boolean withSource) {
        long seed = Long.getLong("vmem.seed", 0xD15C_0000L + policy.ordinal() * 100L + quantum + (withSource ? 1 : 0));
        StoreBackend backend = new StoreBackend();
        try {
            ArenaModelTest.Run run = new ArenaModelTest.Run(backend, seed, policy, quantum, withSource);
            for (int done = 0; done < STEPS; done += REOPEN_EVERY) {
                run.execute(REOPEN_EVERY, () -> { });
                backend.reopen(run, (done / REOPEN_EVERY) % 2 == 1, "seed=" + seed + " after " + (done + REOPEN_EVERY)
                        + " steps");
            }
            run.finish();
            assertTrue(run.allocations() > STEPS / 10, "seed=" + seed + ": too few successful allocations");
            Invariants.assertSound(run.arena());
            assertEquals(List.of(), backend.store.verify(), "seed=" + seed);
        } finally {
            backend.store.close();
        }
    }
}

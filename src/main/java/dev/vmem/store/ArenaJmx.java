package dev.vmem.store;

import dev.vmem.ArenaStats;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * Keeps a store's arenas registered with the platform MBean server (see {@link ArenaMXBean}): one bean
 * per open arena, gone when the arena is dropped or the store closed (failures: see {@link MBeans}).
 *
 * <p>Assumptions: called under the store's lock.
 */
final class ArenaJmx {
    private final Path store;
    /** Arena names registered with JMX. */
    private final Set<String> names = new HashSet<>();

    ArenaJmx(Path store) {
        this.store = store;
    }

    /**
     * Brings JMX in line with the arenas of {@code registry}. Nothing can have changed unless an arena
     * was dropped or their number differs from what is registered, and then this costs nothing.
     */
    void sync(ArenaRegistry registry, boolean dropped) {
        if (!dropped && registry.size() == names.size()) {
            return;
        }
        Set<String> live = new HashSet<>();
        for (PersistentArena a : registry.arenas()) {
            register(store, a);
            live.add(a.name());
        }
        for (String name : new ArrayList<>(names)) {
            if (!live.contains(name)) {
                unregister(store, name);
                names.remove(name);
            }
        }
        names.addAll(live);
    }

    /** Takes every arena of the store out of JMX. */
    void unregisterAll() {
        for (String name : names) {
            unregister(store, name);
        }
        names.clear();
    }

    static ObjectName name(Path store, String arena) throws JMException {
        return new ObjectName("dev.vmem:type=Arena,store=" + ObjectName.quote(store.toAbsolutePath().toString())
                + ",name=" + ObjectName.quote(arena));
    }

    private static void register(Path store, PersistentArena arena) {
        MBeans.register(() -> name(store, arena.name()), new Bean(arena), what(store, arena.name()));
    }

    private static void unregister(Path store, String arena) {
        MBeans.unregister(() -> name(store, arena), what(store, arena));
    }

    private static String what(Path store, String arena) {
        return "arena '" + arena + "' of " + store;
    }

    /** The MXBean of one arena: each getter reads one O(1) snapshot of its statistics. */
    static final class Bean implements ArenaMXBean {
        private final PersistentArena arena;

        Bean(PersistentArena arena) {
            this.arena = arena;
        }

        private ArenaStats s() {
            return arena.stats();
        }

        @Override
        public String getName() {
            return arena.name();
        }

        @Override
        public long getQuantum() {
            return arena.quantum();
        }

        @Override
        public long getTotal() {
            return s().total();
        }

        @Override
        public long getAllocated() {
            return s().allocated();
        }

        @Override
        public long getFree() {
            return s().free();
        }

        @Override
        public long getImported() {
            return s().imported();
        }

        @Override
        public long getSpans() {
            return s().spans();
        }

        @Override
        public long getSegments() {
            return s().segments();
        }

        @Override
        public long getLiveAllocations() {
            return s().liveAllocations();
        }

        @Override
        public long getAllocations() {
            return s().allocations();
        }

        @Override
        public long getFrees() {
            return s().frees();
        }

        @Override
        public long getFailures() {
            return s().failures();
        }

        @Override
        public long getImports() {
            return s().imports();
        }

        @Override
        public long getReleases() {
            return s().releases();
        }

        @Override
        public long getNextFitCursor() {
            return arena.nextFitCursor();
        }
    }
}

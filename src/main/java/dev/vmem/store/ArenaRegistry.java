package dev.vmem.store;

import dev.vmem.ArenaState;
import dev.vmem.Segment;
import dev.vmem.Source;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The arenas of an open store, by name and by id: registering them (at recovery and on creation),
 * dropping them, and taking either back when the unit that did it fails. Each operation is handed to
 * a {@link Recorder} with the action that takes it back.
 *
 * <p>Assumptions: every call is made under the store's lock.
 */
final class ArenaRegistry {

    /** Receives each operation of the unit being built, with the action that takes it back. */
    @FunctionalInterface
    interface Recorder {
        void record(Op op, Runnable undo);
    }

    /** A live arena of the store. */
    record Entry(int id, Op.Create definition, ArenaHandle handle, PersistentArena arena) {
    }

    private final VmemStore store;
    private final Path dir;
    private final Recorder recorder;
    private final Map<String, Entry> byName = new LinkedHashMap<>();
    private final TreeMap<Integer, Entry> byId = new TreeMap<>();
    /** Arenas dropped by the unit being built, kept so that the drop can be taken back. */
    private final Map<Integer, Entry> dropped = new HashMap<>();
    private int nextId;

    ArenaRegistry(VmemStore store, Path dir, Recorder recorder) {
        this.store = store;
        this.dir = dir;
        this.recorder = recorder;
    }

    /**
     * Registers every arena of a recovered image.
     *
     * @throws StoreCorruptedException if one of them cannot be rebuilt
     */
    void restore(StoreImage image) {
        for (Map.Entry<Integer, StoreImage.ArenaImage> e : image.arenas.entrySet()) {
            try {
                register(e.getValue().definition, e.getValue().state());
            } catch (IllegalArgumentException invalid) {
                throw new StoreCorruptedException(dir, -1, "recovered arena " + e.getValue().definition
                        + " cannot be rebuilt: " + invalid.getMessage(), invalid);
            }
            nextId = Math.max(nextId, e.getKey() + 1);
        }
    }

    private PersistentArena register(Op.Create d, ArenaState state) {
        int id = d.arena();
        Entry parent = d.sourceInStore() ? byId.get(d.source()) : null;
        Source source = parent != null ? parent.handle().arena().asSource()
                : d.source() == Op.Create.OUTSIDE ? new UnboundSource(d.name()) : null;
        return register(d, source, state);
    }

    /** Registers arena {@code d} importing from {@code source} (null for none); replaces any entry of its id. */
    private PersistentArena register(Op.Create d, Source source, ArenaState state) {
        int id = d.arena();
        // The change is taken back on whichever arena holds the id then: the same one, since ids are never reused.
        ArenaHandle handle = ArenaHandle.build(d, source, state,
                (arena, change) -> recorder.record(new Op.Change(id, change), () -> byId.get(id).handle().revert(change)));
        PersistentArena arena = new PersistentArena(store, handle.arena(), id, d.qcacheMax());
        Entry e = new Entry(id, d, handle, arena);
        byName.put(d.name(), e);
        byId.put(id, e);
        return arena;
    }

    /**
     * Creates an arena in the unit being built.
     *
     * @throws IllegalArgumentException if the name is taken, the source is unknown, or the definition is
     *         invalid (the message names the value)
     */
    PersistentArena create(ArenaDefinition definition) {
        if (byName.containsKey(definition.name())) {
            throw new IllegalArgumentException("arena '" + definition.name() + "' exists already in " + dir);
        }
        int source = definition.outsideSource() ? Op.Create.OUTSIDE : -1;
        if (definition.source() != null) {
            Entry s = byName.get(definition.source());
            if (s == null) {
                throw new IllegalArgumentException("source arena '" + definition.source() + "' does not exist in "
                        + dir);
            }
            if (s.definition().source() == Op.Create.OUTSIDE) {
                // attachSource replaces that arena's handle at each open; an importer would keep the old one
                throw new IllegalArgumentException("source arena '" + definition.source() + "' in " + dir
                        + " has an outside source: no arena may import from it");
            }
            source = s.id();
        }
        Op.Create op = new Op.Create(nextId, definition.name(), definition.quantum(),
                definition.importQuantum() == 0 ? definition.quantum() : definition.importQuantum(),
                definition.qcacheMax(), source, definition.quarantine());
        PersistentArena arena = register(op, null); // validates the definition before anything is recorded
        nextId++;
        recorder.record(op, () -> {
            byName.remove(op.name());
            byId.remove(op.arena());
        });
        return arena;
    }

    /**
     * Drops an arena in the unit being built: its imported spans go back to its source.
     *
     * @throws IllegalArgumentException if there is no such arena, or another arena imports from it
     */
    void drop(String name) {
        Entry e = entry(name);
        for (Entry other : byId.values()) {
            if (other.definition().source() == e.id()) {
                throw new IllegalArgumentException("arena '" + name + "' is the source of arena '"
                        + other.definition().name() + "'; drop that first");
            }
        }
        // Give the imported spans back through the source's own (journalled, revertible) frees; the
        // dropped arena itself is left untouched, so taking the drop back is re-registering it.
        if (e.definition().sourceInStore()) {
            ArenaHandle parent = byId.get(e.definition().source()).handle();
            for (Segment span : e.handle().exportState().spans()) {
                if (span.kind() == Segment.Kind.IMPORTED_SPAN) {
                    parent.releaseSpan(span.base(), span.size());
                }
            }
        }
        recorder.record(new Op.Drop(e.id()), () -> {
            Entry back = dropped.remove(e.id());
            byName.put(back.definition().name(), back);
            byId.put(back.id(), back);
        });
        dropped.put(e.id(), e);
        byName.remove(e.definition().name());
        byId.remove(e.id());
    }

    /**
     * Ends the unit: what it dropped can no longer be taken back.
     *
     * @return whether it dropped any arena
     */
    boolean settle() {
        boolean any = !dropped.isEmpty();
        dropped.clear();
        return any;
    }

    /**
     * The arena named {@code name}.
     *
     * @throws IllegalArgumentException if there is none
     */
    PersistentArena arena(String name) {
        return entry(name).arena();
    }

    private Entry entry(String name) {
        Entry e = byName.get(ArenaNames.normal(name));
        if (e == null) {
            throw new IllegalArgumentException("arena " + ArenaNames.shown(name) + " does not exist in " + dir);
        }
        return e;
    }

    /** @throws IllegalStateException if {@code arena} is no longer one of these (it was dropped) */
    void checkMember(PersistentArena arena) {
        Entry e = byId.get(arena.id());
        if (e == null || e.arena() != arena) {
            throw new IllegalStateException("arena '" + arena.name() + "' was dropped from " + dir);
        }
    }

    /** The name of the arena {@code arena} imports from, or null. */
    String sourceNameOf(PersistentArena arena) {
        Entry e = byId.get(arena.id());
        if (e == null || !e.definition().sourceInStore()) {
            return null;
        }
        Entry s = byId.get(e.definition().source());
        return s == null ? null : s.definition().name();
    }

    /**
     * Gives arena {@code name}, defined with an outside source, that source for this open: a new handle on the
     * same state, whose imports and releases go to {@code source}.
     *
     * @throws IllegalArgumentException if there is no such arena or it was not defined with an outside source
     */
    PersistentArena attach(String name, Source source) {
        Entry e = entry(name);
        if (e.definition().source() != Op.Create.OUTSIDE) {
            throw new IllegalArgumentException("arena '" + name + "' in " + dir
                    + " was not defined with an outside source (ArenaDefinition.withOutsideSource)");
        }
        for (Entry other : byId.values()) {
            if (other.definition().sourceInStore() && other.definition().source() == e.id()) {
                throw new IllegalArgumentException("arena '" + name + "' in " + dir + " has importer '"
                        + other.definition().name() + "': an arena with an outside source cannot have importers");
            }
        }
        return register(e.definition(), source, e.handle().exportState());
    }

    /** Every arena, in order of creation. */
    List<PersistentArena> arenas() {
        List<PersistentArena> out = new ArrayList<>(byId.size());
        for (Entry e : byId.values()) {
            out.add(e.arena());
        }
        return out;
    }

    /** Every entry, in order of creation (id order). */
    Collection<Entry> entries() {
        return byId.values();
    }

    Entry byId(int id) {
        return byId.get(id);
    }

    /** The arena whose store id is {@code id}, or null if there is none. */
    PersistentArena arenaById(int id) {
        Entry e = byId.get(id);
        return e == null ? null : e.arena();
    }

    Set<Integer> ids() {
        return byId.keySet();
    }

    int size() {
        return byId.size();
    }

    /** The arenas as data, labelled with the journal sequence number they reflect. */
    StoreImage image(long seq) {
        StoreImage image = new StoreImage(seq);
        for (Entry e : byId.values()) {
            image.arenas.put(e.id(), new StoreImage.ArenaImage(e.definition(), e.handle().exportState()));
        }
        return image;
    }
}

package dev.vmem.store;

import dev.vmem.store.PowerLossLog.Appeared;
import dev.vmem.store.PowerLossLog.CreatedDirectory;
import dev.vmem.store.PowerLossLog.Deleted;
import dev.vmem.store.PowerLossLog.DirSyncBegan;
import dev.vmem.store.PowerLossLog.DirSyncEnded;
import dev.vmem.store.PowerLossLog.Event;
import dev.vmem.store.PowerLossLog.Extended;
import dev.vmem.store.PowerLossLog.ForceBegan;
import dev.vmem.store.PowerLossLog.ForceEnded;
import dev.vmem.store.PowerLossLog.Moved;
import dev.vmem.store.PowerLossLog.Opened;
import dev.vmem.store.PowerLossLog.Truncated;
import dev.vmem.store.PowerLossLog.WroteOutside;
import dev.vmem.store.PowerLossLog.Wrote;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a disk holds at one instant of a recorded run, as far as a power loss is concerned: every file as a
 * {@link ModelFile} (its content as of its last completed fsync and every version written since), and
 * every directory with its names as of its last completed fsync and the name changes since, in the order
 * they were made. Built by {@link #apply applying} a {@link PowerLossLog} one event at a time; it decides
 * nothing about what a power loss keeps ({@link StateDrawing} does).
 *
 * <p>A file is an inode: it keeps its pages when it is renamed, and a channel writes to the inode it
 * opened. Events about paths outside the store directory, or under a directory the model does not know,
 * are ignored. Not thread-safe.
 */
final class DiskModel {
    /** A file or a directory. */
    sealed interface Node permits Dir, ModelFile {
    }

    static final class Dir implements Node {
        /** Numbered in creation order, so that states built from the same history name them alike. */
        final int id;
        final TreeMap<String, Node> latest = new TreeMap<>();
        /** The names as of this directory's last completed fsync. */
        TreeMap<String, Node> durable = new TreeMap<>();
        private int syncedAt = -1;

        Dir(int id) {
            this.id = id;
        }
    }

    /**
     * A name change in {@code dir} not yet covered by a completed fsync of it: {@code name} now binds
     * {@code after} (null: removed). The two halves of a rename share a {@code group}.
     */
    record NameChange(int index, Dir dir, String name, Node after, int group) {
    }

    private final Dir root = new Dir(0);
    private int dirs = 1;
    private int groups;
    private final List<NameChange> pending = new ArrayList<>();
    private final Map<Integer, ModelFile> channels = new HashMap<>();
    private final Map<Integer, ModelFile.Forced> forces = new HashMap<>();
    private final Map<Integer, DirSync> syncs = new HashMap<>();

    private record DirSync(Dir dir, int index, TreeMap<String, Node> names) {
    }

    Dir root() {
        return root;
    }

    /** Name changes not yet durable, in the order they were made. */
    List<NameChange> pending() {
        return pending;
    }

    /** The directory at {@code path} ("" for the root), or null. */
    private Dir dir(String path) {
        Dir d = root;
        if (path.isEmpty()) {
            return d;
        }
        for (String part : path.split("/")) {
            if (!(d.latest.get(part) instanceof Dir next)) {
                return null;
            }
            d = next;
        }
        return d;
    }

    private Dir parent(String path) {
        int slash = path.lastIndexOf('/');
        return path.isEmpty() ? null : dir(slash < 0 ? "" : path.substring(0, slash));
    }

    private static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private void bind(int index, Dir dir, String name, Node node, int group) {
        if (node == null) {
            dir.latest.remove(name);
        } else {
            dir.latest.put(name, node);
        }
        pending.add(new NameChange(index, dir, name, node, group));
    }

    /** The file at {@code path}, created (a pending name) if it does not exist; null if its directory does not. */
    private ModelFile fileAt(int index, String path) {
        Dir parent = parent(path);
        if (parent == null) {
            return null;
        }
        if (parent.latest.get(name(path)) instanceof ModelFile f) {
            return f;
        }
        ModelFile f = new ModelFile();
        bind(index, parent, name(path), f, groups++);
        return f;
    }

    /** Applies event number {@code index}. Acknowledgements are the workload's, not the disk's: ignored. */
    void apply(int index, Event event) {
        if (event instanceof Appeared e) {
            appeared(index, e);
        } else if (event instanceof Opened e) {
            ModelFile f = fileAt(index, e.path());
            if (f != null) {
                channels.put(e.channel(), f);
            }
        } else if (event instanceof Wrote e) {
            ModelFile f = channels.get(e.channel());
            if (f != null) {
                f.write(index, e.position(), e.bytes());
            }
        } else if (event instanceof Extended e) {
            ModelFile f = channels.get(e.channel());
            if (f != null) {
                f.extend(e.size());
            }
        } else if (event instanceof Truncated e) {
            ModelFile f = channels.get(e.channel());
            if (f != null) {
                f.truncate(index, e.size());
            }
        } else if (event instanceof ForceBegan e) {
            ModelFile f = channels.get(e.channel());
            if (f != null) {
                forces.put(e.force(), f.snapshot(index));
            }
        } else if (event instanceof ForceEnded e) {
            ModelFile.Forced f = forces.remove(e.force());
            if (f != null) {
                f.file().forced(f);
            }
        } else if (event instanceof WroteOutside e) {
            ModelFile f = fileAt(index, e.path());
            if (f != null) {
                channels.put(e.channel(), f);
                f.truncate(index, 0);
                f.write(index, 0, e.content());
            }
        } else if (event instanceof CreatedDirectory e) {
            Dir parent = parent(e.path());
            if (parent != null && !parent.latest.containsKey(name(e.path()))) {
                bind(index, parent, name(e.path()), new Dir(dirs++), groups++);
            }
        } else if (event instanceof Deleted e) {
            Dir parent = parent(e.path());
            if (parent != null && parent.latest.containsKey(name(e.path()))) {
                bind(index, parent, name(e.path()), null, groups++);
            }
        } else if (event instanceof Moved e) {
            moved(index, e);
        } else if (event instanceof DirSyncBegan e) {
            Dir d = dir(e.dir());
            if (d != null) {
                syncs.put(e.sync(), new DirSync(d, index, new TreeMap<>(d.latest)));
            }
        } else if (event instanceof DirSyncEnded e) {
            DirSync s = syncs.remove(e.sync());
            if (s != null && s.index() > s.dir().syncedAt) {
                s.dir().syncedAt = s.index();
                s.dir().durable = s.names();
                pending.removeIf(c -> c.dir() == s.dir() && c.index() < s.index());
            }
        }
    }

    private void moved(int index, Moved e) {
        Dir from = parent(e.from());
        Dir to = parent(e.to());
        Node node = from == null ? null : from.latest.get(name(e.from()));
        if (node != null && to != null) {
            int group = groups++;
            bind(index, from, name(e.from()), null, group);
            bind(index, to, name(e.to()), node, group);
        }
    }

    private void appeared(int index, Appeared e) {
        Dir parent = parent(e.path());
        if (parent == null || parent.latest.containsKey(name(e.path()))) {
            return;
        }
        Node node;
        if (e.directory()) {
            node = new Dir(dirs++);
        } else {
            ModelFile f = new ModelFile();
            f.write(index, 0, e.content());
            f.forced(f.snapshot(index + 1)); // content found on disk counts as forced (see RecordingFiles)
            node = f;
        }
        if (e.nameDurable()) {
            parent.latest.put(name(e.path()), node);
            parent.durable.put(name(e.path()), node);
        } else {
            bind(index, parent, name(e.path()), node, groups++);
        }
    }
}

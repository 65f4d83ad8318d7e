package dev.vmem.store;

import static dev.vmem.store.ModelFile.PAGE;
import static dev.vmem.store.ModelFile.SECTOR;
import static dev.vmem.store.ModelFile.pageCount;

import dev.vmem.store.DiskModel.Dir;
import dev.vmem.store.DiskModel.NameChange;
import dev.vmem.store.DiskModel.Node;
import dev.vmem.store.ModelFile.Version;
import dev.vmem.store.PowerLossStates.Keep;
import dev.vmem.store.PowerLossStates.Mode;
import dev.vmem.store.PowerLossStates.Spec;
import dev.vmem.store.PowerLossStates.State;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Draws one power-loss state from a {@link DiskModel} at the state's cut: which pending name changes it
 * keeps, and for each file which size and which version of each page written since its last fsync (see
 * {@link PowerLossStates} for what may be kept). The choices are made in a fixed order, so that the same
 * history, seed and state index give the same state. Used once.
 */
final class StateDrawing {
    private final Spec spec;
    private final SplittableRandom r;
    private final SortedMap<String, byte[]> files = new TreeMap<>();
    private final List<String> dirs = new ArrayList<>();
    private final Map<ModelFile, byte[]> contents = new IdentityHashMap<>();
    private Map<Dir, TreeMap<String, Node>> names;
    private boolean lost;

    StateDrawing(Spec spec, SplittableRandom r) {
        this.spec = spec;
        this.r = r;
    }

    State draw(DiskModel model) {
        names = names(model.pending());
        walk(model.root(), "");
        return new State(spec, files, dirs, lost);
    }

    /** The names each directory with pending changes holds in this state. */
    private Map<Dir, TreeMap<String, Node>> names(List<NameChange> pending) {
        Map<Dir, TreeMap<String, Node>> out = new IdentityHashMap<>();
        for (NameChange c : pending) {
            out.computeIfAbsent(c.dir(), d -> new TreeMap<>(d.durable));
        }
        if (spec.mode() == Mode.EXT4_LIKE) {
            int kept = spec.keep() == Keep.ALL ? pending.size() : spec.keep() == Keep.NONE ? 0
                    : r.nextInt(pending.size() + 1);
            for (NameChange c : pending.subList(0, kept)) {
                bind(out.get(c.dir()), c.name(), c.after());
            }
        } else {
            // Each name keeps all its pending changes or none; the two names of a rename decide together.
            Map<String, String> unions = new HashMap<>();
            Map<Integer, String> groupKey = new HashMap<>();
            for (NameChange c : pending) {
                String first = groupKey.putIfAbsent(c.group(), key(c));
                if (first != null) {
                    unions.put(find(unions, key(c)), find(unions, first));
                }
            }
            Map<String, Boolean> changed = new HashMap<>();
            for (NameChange c : pending) {
                boolean change = changed.computeIfAbsent(find(unions, key(c)),
                        k -> spec.keep() == Keep.ALL || spec.keep() == Keep.SOME && r.nextBoolean());
                if (change) {
                    bind(out.get(c.dir()), c.name(), c.dir().latest.get(c.name()));
                }
            }
        }
        for (Map.Entry<Dir, TreeMap<String, Node>> e : out.entrySet()) {
            lost |= !e.getValue().equals(e.getKey().latest);
        }
        return out;
    }

    private static String key(NameChange c) {
        return c.dir().id + "/" + c.name();
    }

    private static String find(Map<String, String> unions, String key) {
        String k = key;
        while (unions.containsKey(k)) {
            k = unions.get(k);
        }
        return k;
    }

    private static void bind(TreeMap<String, Node> names, String name, Node node) {
        if (node == null) {
            names.remove(name);
        } else {
            names.put(name, node);
        }
    }

    private void walk(Dir dir, String prefix) {
        // A directory without pending changes holds its durable names, which are also its latest.
        for (Map.Entry<String, Node> e : names.getOrDefault(dir, dir.durable).entrySet()) {
            String path = prefix + e.getKey();
            if (e.getValue() instanceof Dir d) {
                dirs.add(path);
                walk(d, path + "/");
            } else {
                files.put(path, contents.computeIfAbsent((ModelFile) e.getValue(), this::content));
            }
        }
    }

    /** One file's bytes in this state. */
    private byte[] content(ModelFile f) {
        Keep keep = spec.keep();
        long size = keep == Keep.ALL ? f.size() : keep == Keep.NONE ? f.durableSize()
                : r.nextBoolean() ? f.size() : f.durableSize();
        byte[] out = new byte[Math.toIntExact(size)];
        byte[] latest = new byte[Math.toIntExact(f.size())];
        for (int p = 0; p < pageCount(Math.max(size, f.size())); p++) {
            byte[] page = f.page(p);
            copy(page, latest, p);
            List<Version> versions = f.versions(p);
            if (!versions.isEmpty()) {
                int v = keep == Keep.ALL ? versions.size() : keep == Keep.NONE ? 0
                        : r.nextInt(versions.size() + 1);
                byte[] old = f.durablePage(p);
                page = v == 0 ? old : versions.get(v - 1).page();
                if (keep == Keep.SOME && v > 0 && r.nextInt(4) == 0) {
                    // Torn: the disk wrote the first sectors of the page and lost power before the rest.
                    page = page.clone();
                    int sectors = 1 + r.nextInt(PAGE / SECTOR - 1);
                    System.arraycopy(old, sectors * SECTOR, page, sectors * SECTOR, PAGE - sectors * SECTOR);
                }
            }
            copy(page, out, p);
        }
        lost |= !Arrays.equals(out, latest);
        return out;
    }

    /** Copies {@code page} to page {@code p} of {@code file}, as far as the file reaches. */
    private static void copy(byte[] page, byte[] file, int p) {
        long n = Math.min(PAGE, file.length - (long) p * PAGE);
        if (n > 0) {
            System.arraycopy(page, 0, file, p * PAGE, (int) n);
        }
    }
}

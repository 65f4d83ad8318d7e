package dev.vmem.store;

import dev.vmem.store.PowerLossLog.Appeared;
import dev.vmem.store.PowerLossLog.CreatedDirectory;
import dev.vmem.store.PowerLossLog.Deleted;
import dev.vmem.store.PowerLossLog.Event;
import dev.vmem.store.PowerLossLog.DirSyncBegan;
import dev.vmem.store.PowerLossLog.DirSyncEnded;
import dev.vmem.store.PowerLossLog.Extended;
import dev.vmem.store.PowerLossLog.ForceBegan;
import dev.vmem.store.PowerLossLog.ForceEnded;
import dev.vmem.store.PowerLossLog.Moved;
import dev.vmem.store.PowerLossLog.Opened;
import dev.vmem.store.PowerLossLog.Truncated;
import dev.vmem.store.PowerLossLog.WroteOutside;
import dev.vmem.store.PowerLossLog.Wrote;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The store's files, recorded: every change goes to {@link StoreFiles#DEFAULT} and is appended to a
 * {@link PowerLossLog} under the log's lock, so that {@link PowerLossStates} can later build what a power
 * loss at any instant could have left.
 *
 * <h2>Entries made outside the seam</h2>
 * Code that changes files without this seam (today: the FORMAT file, LOCK and {@code journal/}, made at
 * store creation) leaves entries the log has no event for. The recorder finds them: the tree as it is
 * when the recorder is built is the baseline, wholly durable; at the first change it records, and whenever
 * a change names a path it has not seen, whatever exists there is recorded as {@link Appeared}: its
 * content durable (whoever wrote it is assumed to have forced it), its name durable only if
 * {@code syncedOutside} names it (whoever made it fsynced its directory), otherwise only after the next
 * {@link #syncDirectory} of its directory through the seam. An entry made outside the seam and never
 * touched by it after the first change is missed. Paths outside the store directory are not recorded.
 *
 * <p>Thread-safe, as {@link StoreFiles} must be.
 */
final class RecordingFiles implements StoreFiles {
    private final Path root;
    private final PowerLossLog log;
    private final Set<String> syncedOutside;
    /** The paths the log knows to exist; guarded by the log's lock. */
    private final Set<String> known = new HashSet<>();
    private boolean swept;

    /**
     * @param root          the store directory; it must exist
     * @param syncedOutside relative paths whose creation outside the seam is known to be durable
     */
    RecordingFiles(Path root, PowerLossLog log, Set<String> syncedOutside) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        this.log = log;
        this.syncedOutside = Set.copyOf(syncedOutside);
        locked(() -> sweep(true));
    }

    /** These files with the real checkpoint writer. */
    StoreHooks hooks() {
        return new StoreHooks(this, Checkpoint::write);
    }

    /** {@code file} relative to the store directory ("" for the directory itself), or null if it is outside it. */
    private String relative(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        return abs.startsWith(root) ? root.relativize(abs).toString().replace('\\', '/') : null;
    }

    /** Records whatever exists under the store directory and is not known yet. Call with the lock held. */
    private void sweep(boolean baseline) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths.sorted()::iterator) {
                String rel = relative(p);
                if (!rel.isEmpty()) {
                    appear(p, rel, baseline);
                }
            }
        }
    }

    /** Records {@code p} as found, unless the log knows it already or it does not exist. */
    private void appear(Path p, String rel, boolean baseline) throws IOException {
        if (known.contains(rel) || !Files.exists(p)) {
            return;
        }
        boolean dir = Files.isDirectory(p);
        log.append(new Appeared(rel, dir, dir ? null : Files.readAllBytes(p), baseline || syncedOutside.contains(rel)));
        known.add(rel);
    }

    /**
     * Before a change to {@code file}: the first change sweeps the tree, and {@code file}'s directories, and
     * {@code file} itself unless {@code itself} is false, are recorded if they appeared outside the seam.
     * Returns the relative path, or null if it is outside the store. Call with the lock held.
     */
    private String discover(Path file, boolean itself) throws IOException {
        String rel = relative(file);
        if (rel == null) {
            return null;
        }
        if (!swept) {
            swept = true;
            sweep(false);
        }
        if (rel.isEmpty()) {
            return rel;
        }
        Path abs = root.resolve(rel);
        List<Path> dirs = new ArrayList<>();
        for (Path d = abs.getParent(); !d.equals(root); d = d.getParent()) {
            dirs.add(d);
        }
        // Outer directories first, so that every entry's directory is known when it is recorded.
        for (int i = dirs.size() - 1; i >= 0; i--) {
            appear(dirs.get(i), relative(dirs.get(i)), false);
        }
        if (itself) {
            appear(abs, rel, false);
        }
        return rel;
    }

    /** A change done and recorded under one lock hold. */
    @FunctionalInterface
    private interface Change {
        void run() throws IOException;
    }

    private void locked(Change change) throws IOException {
        log.lock.lock();
        try {
            change.run();
        } finally {
            log.lock.unlock();
        }
    }

    @Override
    public Channel open(Path file) throws IOException {
        Channel[] opened = {null};
        int[] id = {-1};
        locked(() -> {
            String rel = discover(file, true);
            opened[0] = DEFAULT.open(file);
            if (rel != null) {
                id[0] = log.newId();
                record(new Opened(id[0], rel));
            }
        });
        return id[0] < 0 ? opened[0] : new RecordedChannel(opened[0], id[0]);
    }

    /** A channel whose changes are recorded under its number. */
    private final class RecordedChannel implements Channel {
        private final Channel d;
        private final int id;

        RecordedChannel(Channel d, int id) {
            this.d = d;
            this.id = id;
        }

        @Override
        public void write(ByteBuffer bytes, long position) throws IOException {
            byte[] copy = new byte[bytes.remaining()];
            bytes.duplicate().get(copy);
            done(() -> d.write(bytes, position), new Wrote(id, position, copy));
        }

        @Override
        public void extend(long size) throws IOException {
            done(() -> d.extend(size), new Extended(id, size));
        }

        @Override
        public void force() throws IOException {
            int force = log.appendNumbered(n -> new ForceBegan(n, id));
            d.force();
            log.append(new ForceEnded(force));
        }

        @Override
        public void truncate(long size) throws IOException {
            done(() -> d.truncate(size), new Truncated(id, size));
        }

        /** Does {@code change} and appends {@code event} in one lock hold (the event only if it succeeded). */
        private void done(Change change, Event event) throws IOException {
            locked(() -> {
                change.run();
                log.append(event);
            });
        }

        @Override
        public long size() throws IOException {
            return d.size();
        }

        @Override
        public void close() throws IOException {
            d.close();
        }
    }

    @Override
    public void createDirectory(Path dir) throws IOException {
        change(dir, false, () -> DEFAULT.createDirectory(dir), CreatedDirectory::new);
    }

    @Override
    public void delete(Path file) throws IOException {
        change(file, true, () -> DEFAULT.delete(file), Deleted::new);
    }

    @Override
    public void move(Path from, Path to) throws IOException {
        locked(() -> {
            String f = discover(from, true);
            String t = discover(to, true);
            DEFAULT.move(from, to);
            if (f != null && t != null) {
                record(new Moved(f, t));
            }
        });
    }

    /** Does {@code change} to {@code path} and records {@code event} of its relative path, in one lock hold. */
    private void change(Path path, boolean itself, Change change, Function<String, Event> event) throws IOException {
        locked(() -> {
            String rel = discover(path, itself);
            change.run();
            if (rel != null) {
                record(event.apply(rel));
            }
        });
    }

    /** Appends {@code e}, keeping {@link #known} in step. Call with the lock held. */
    private void record(Event e) {
        log.append(e);
        if (e instanceof Opened o) {
            known.add(o.path());
        } else if (e instanceof CreatedDirectory c) {
            known.add(c.path());
        } else if (e instanceof WroteOutside w) {
            known.add(w.path());
        } else if (e instanceof Deleted d) {
            known.remove(d.path());
        } else if (e instanceof Moved m) {
            known.remove(m.from());
            known.add(m.to());
        }
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        int[] sync = {-1};
        locked(() -> {
            String rel = discover(dir, true);
            if (rel != null) {
                int n = log.newId();
                log.append(new DirSyncBegan(n, rel));
                sync[0] = n;
            }
        });
        DEFAULT.syncDirectory(dir);
        if (sync[0] >= 0) {
            log.append(new DirSyncEnded(sync[0]));
        }
    }

    @Override
    public void writtenOutside(Path file) throws IOException {
        locked(() -> {
            String rel = discover(file, false);
            DEFAULT.writtenOutside(file);
            if (rel != null) {
                // Split in two, so that a power loss can fall between the content and its fsync.
                int id = log.newId();
                record(new WroteOutside(id, rel, Files.readAllBytes(file)));
                int force = log.newId();
                log.append(new ForceBegan(force, id));
                log.append(new ForceEnded(force));
            }
        });
    }

    /** A read: nothing to record. */
    @Override
    public long usableSpace(Path dir) throws IOException {
        return DEFAULT.usableSpace(dir);
    }
}

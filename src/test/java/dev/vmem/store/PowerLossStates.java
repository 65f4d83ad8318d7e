package dev.vmem.store;

import static dev.vmem.store.ModelFile.PAGE;
import static dev.vmem.store.ModelFile.ZERO;

import dev.vmem.store.PowerLossLog.Appeared;
import dev.vmem.store.PowerLossLog.CreatedDirectory;
import dev.vmem.store.PowerLossLog.Deleted;
import dev.vmem.store.PowerLossLog.DirSyncBegan;
import dev.vmem.store.PowerLossLog.DirSyncEnded;
import dev.vmem.store.PowerLossLog.Event;
import dev.vmem.store.PowerLossLog.Extended;
import dev.vmem.store.PowerLossLog.Moved;
import dev.vmem.store.PowerLossLog.Opened;
import dev.vmem.store.PowerLossLog.Truncated;
import dev.vmem.store.PowerLossLog.WroteOutside;
import dev.vmem.store.PowerLossLog.Wrote;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.IntStream;

/**
 * The directory states a power loss may leave, drawn from a recorded {@link PowerLossLog}. State number
 * {@code i} is a function of the history, the seed and {@code i} alone.
 *
 * <h2>What a state may hold</h2>
 * A power loss at instant {@code cut} (after events {@code [0, cut)}), as {@link DiskModel} tracks them:
 * <ul>
 *   <li><b>File data.</b> Each file holds its content as of its last completed fsync, plus any subset of the
 *       4 KiB pages written since, each as any of the versions written since, in any combination (pages
 *       reach the disk in any order); a page may be torn: a prefix of its 512-byte sectors new, the rest
 *       as of the last fsync. Its size is either its size at the last fsync or its latest size (what was
 *       written past the durable size may be partly there; the rest reads as zeros).</li>
 *   <li><b>Names</b>, in one of two {@link Mode}s. {@link Mode#STRICT_POSIX}: a name created, renamed or
 *       removed since its directory's last completed fsync has or has not changed, independently of every
 *       other name, except that the two names of a rename change together (atomic: the file is under the
 *       old name or the new one). {@link Mode#EXT4_LIKE}: name changes reach the disk in the order they
 *       were made: the state keeps a prefix of the changes not yet made durable by their directory's fsync.
 *       (Real ext4 also commits every earlier name change with any fsync; this mode does not count on that.)</li>
 *   <li>Everything covered by a completed fsync is there, unharmed.</li>
 * </ul>
 * Not modelled: a disk that lies about fsync or damages durable data; a write torn inside a sector, or a
 * page whose sectors reach the disk other than as a prefix; sizes between the durable and the latest; what
 * MapDB writes into a checkpoint file before handing it over ({@link StoreFiles#writtenOutside}): until then
 * the file is absent from every state, never half-written; entries the recorder never saw (see
 * {@link RecordingFiles}).
 *
 * <p>To reach both ends often, one state in eight keeps everything written (what {@code kill -9} leaves),
 * one in eight nothing that was not durable, the rest a random mix. Half the cuts fall anywhere; the other
 * half just at or a few events after an event of one of these kinds, each kind as often: a name change or
 * directory fsync, a truncation or growth, a checkpoint file written, a write that straddles a page
 * boundary (where a later page may survive without an earlier one), any event of the store's creation (up
 * to the end of the first fsync of the store directory, the window in which its first entries may vanish).
 */
final class PowerLossStates {
    enum Mode {
        STRICT_POSIX, EXT4_LIKE
    }

    /** How much of what was not durable a state keeps. */
    enum Keep {
        ALL, NONE, SOME
    }

    /** What state {@code index} is: a power loss at {@code cut}. */
    record Spec(int index, int cut, Mode mode, Keep keep) {
        @Override
        public String toString() {
            return "state " + index + " (cut " + cut + ", " + mode + ", keeps " + keep + ")";
        }
    }

    /**
     * A state: the files (relative path to content) and directories it holds, and whether it lost anything
     * that was written before the cut.
     */
    record State(Spec spec, SortedMap<String, byte[]> files, List<String> dirs, boolean lostUnsynced) {
        /**
         * Writes the state into {@code dir}, which must not exist. Pages of zeros are left as holes: a
         * checkpoint file is 2 MiB of which a few pages hold data, and the holes read back as zeros.
         */
        void writeTo(Path dir) throws IOException {
            Files.createDirectories(dir);
            for (String d : dirs) {
                Files.createDirectories(dir.resolve(d));
            }
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                byte[] bytes = f.getValue();
                try (RandomAccessFile file = new RandomAccessFile(dir.resolve(f.getKey()).toFile(), "rw")) {
                    file.setLength(bytes.length);
                    for (int at = 0; at < bytes.length; at += PAGE) {
                        int n = Math.min(PAGE, bytes.length - at);
                        if (!Arrays.equals(bytes, at, at + n, ZERO, 0, n)) {
                            file.seek(at);
                            file.write(bytes, at, n);
                        }
                    }
                }
            }
        }
    }

    /** How many events after an aimed-at one a cut may fall: enough for the next record and its fsync. */
    private static final int AFTER = 6;

    private final List<Event> events;
    private final long seed;
    /** Events worth aiming a cut at, by kind (see the class comment); kinds with none are left out. */
    private final List<int[]> aims;

    PowerLossStates(List<Event> events, long seed) {
        this.events = events;
        this.seed = seed;
        List<Predicate<Event>> kinds = List.of(
                e -> e instanceof Appeared || e instanceof Opened || e instanceof CreatedDirectory
                        || e instanceof Deleted || e instanceof Moved || e instanceof DirSyncBegan
                        || e instanceof DirSyncEnded,
                e -> e instanceof Truncated || e instanceof Extended,
                e -> e instanceof WroteOutside,
                e -> e instanceof Wrote w
                        && w.position() / PAGE != (w.position() + w.bytes().length - 1) / PAGE);
        List<int[]> found = new ArrayList<>();
        for (Predicate<Event> kind : kinds) {
            found.add(IntStream.range(0, events.size()).filter(i -> kind.test(events.get(i))).toArray());
        }
        found.add(IntStream.rangeClosed(0, firstRootSync(events)).toArray());
        this.aims = found.stream().filter(a -> a.length > 0).toList();
    }

    /** The index of the event that ends the first fsync of the store directory, or the last event. */
    private static int firstRootSync(List<Event> events) {
        Set<Integer> rootSyncs = new HashSet<>();
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i) instanceof DirSyncBegan b && b.dir().isEmpty()) {
                rootSyncs.add(b.sync());
            } else if (events.get(i) instanceof DirSyncEnded e && rootSyncs.contains(e.sync())) {
                return i;
            }
        }
        return events.size() - 1;
    }

    /** The random choices of state {@code index}: {@code stream} 0 for its spec, 1 for its content. */
    private SplittableRandom choices(int index, int stream) {
        return new SplittableRandom(new SplittableRandom(seed).nextLong() ^ (index * 0x9E3779B97F4A7C15L + stream));
    }

    Spec spec(int index) {
        SplittableRandom r = choices(index, 0);
        int n = events.size();
        int cut;
        if (aims.isEmpty() || r.nextBoolean()) {
            cut = r.nextInt(n + 1);
        } else {
            int[] kind = aims.get(r.nextInt(aims.size()));
            cut = Math.min(n, kind[r.nextInt(kind.length)] + r.nextInt(AFTER));
        }
        int k = r.nextInt(8);
        return new Spec(index, cut, index % 2 == 0 ? Mode.STRICT_POSIX : Mode.EXT4_LIKE,
                k == 0 ? Keep.ALL : k == 1 ? Keep.NONE : Keep.SOME);
    }

    /** Builds the states numbered {@code indices}, in order of their cuts, handing each to {@code sink}. */
    void build(Collection<Integer> indices, Consumer<State> sink) {
        List<Spec> specs = new ArrayList<>();
        for (int i : indices) {
            specs.add(spec(i));
        }
        specs.sort(Comparator.comparingInt(Spec::cut).thenComparingInt(Spec::index));
        DiskModel model = new DiskModel();
        int at = 0;
        for (Spec s : specs) {
            while (at < s.cut()) {
                model.apply(at, events.get(at));
                at++;
            }
            sink.accept(materialise(model, s));
        }
    }

    /** The state that keeps everything written up to the end of the history: the run's directory as it was left. */
    State everythingWritten() {
        DiskModel model = new DiskModel();
        for (int i = 0; i < events.size(); i++) {
            model.apply(i, events.get(i));
        }
        return materialise(model, new Spec(-1, events.size(), Mode.STRICT_POSIX, Keep.ALL));
    }

    private State materialise(DiskModel model, Spec spec) {
        return new StateDrawing(spec, choices(spec.index(), 1)).draw(model);
    }

}

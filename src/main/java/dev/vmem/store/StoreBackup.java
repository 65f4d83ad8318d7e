package dev.vmem.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An online backup ({@link VmemStore#backup}): the store's state, taken in memory as a checkpoint takes it, written
 * into another directory as a cleanly closed store ({@link StoreDirectory#writeImage}), with the store's file modes.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>Consistent: the state is taken under the store's lock, between units, so it holds every unit acknowledged
 *       before the call (at any durability level), and the journal makes it durable before the copy is written:
 *       the copy never holds what a crash of the store could take back.</li>
 *   <li>Short pause: writers wait only while the state is copied in memory, exactly as for every checkpoint;
 *       the files are written, read back and forced outside the lock.</li>
 *   <li>All or nothing: FORMAT, the commit point of a store ({@link StoreDirectory}), is written last, under a
 *       temporary name that is forced and renamed, and its directory forced. A target that does not exist is
 *       written as a hidden sibling, {@code .NAME.backup-HEX}, renamed to its name once complete (and the parent
 *       forced), so the name appears only on a whole copy. An existing empty directory (a mount point, which a
 *       rename cannot replace) is written in place. A failure removes what was written; a crash leaves a
 *       directory without FORMAT, which opens as no store and which creating a store in refuses.</li>
 * </ul>
 */
final class StoreBackup {
    /** The store's logger: a backup is the store's news. */
    private static final Logger LOG = LoggerFactory.getLogger(VmemStore.class);

    /** Takes the state to copy, after the target has been checked. */
    @FunctionalInterface
    interface ImageSource {
        StoreImage take() throws IOException;
    }

    private StoreBackup() {
    }

    /**
     * Writes the image {@code source} takes into {@code target} as a store with {@code repairs} repairs on record.
     *
     * @throws IllegalArgumentException if {@code target} is unusable (see {@link #checkTarget})
     * @throws StoreIOException         if writing fails; nothing is left at {@code target} but what was there
     */
    static void write(StoreFiles files, Path store, Path target, int repairs, ImageSource source) {
        Interrupts.runDeferred(() -> writeUninterrupted(files, store, target, repairs, source));
    }

    private static void writeUninterrupted(StoreFiles files, Path store, Path target, int repairs,
            ImageSource source) {
        boolean inPlace = checkTarget(store, target);
        Path parent = target.toAbsolutePath().getParent();
        Path dir = inPlace ? target : parent.resolve("." + target.getFileName() + ".backup-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1));
        long started = System.nanoTime();
        try {
            if (!inPlace) {
                files.createDirectory(dir);
            }
            StoreImage image;
            try {
                image = source.take();
                StoreDirectory.writeImage(files, dir, image, repairs);
                FileModes.restrict(dir);
                StoreDirectory.writeFormat(files, dir);
                if (!inPlace) {
                    files.move(dir, target);
                    dir = target; // from here a failure removes the copy under its own name
                    files.syncDirectory(parent);
                }
            } catch (IOException | RuntimeException e) {
                removeWritten(files, dir, inPlace, e);
                throw e;
            }
            LOG.info("store {}: backed up to {} at journal sequence {} ({} arenas) in {} ms", store, target, image.seq,
                    image.arenas.size(), (System.nanoTime() - started) / 1_000_000);
        } catch (IOException e) {
            throw new StoreIOException("backup of store " + store + " to " + target + " failed, and left nothing there: "
                    + e, e);
        }
    }

    /**
     * Refuses a target that exists and is not an empty directory, is a symbolic link to a missing path, lies inside
     * the store (or is it), or whose directory is missing or not writable. Returns whether it exists (an empty
     * directory, written in place).
     *
     * @throws IllegalArgumentException naming the target
     */
    static boolean checkTarget(Path store, Path target) {
        Objects.requireNonNull(target, "target");
        Path absolute = target.toAbsolutePath().normalize();
        Path parent = absolute.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new IllegalArgumentException("backup target " + target + ": its directory " + parent
                    + " does not exist");
        }
        if (Files.isSymbolicLink(absolute) && !Files.exists(absolute)) { // a rename could not replace the link
            throw new IllegalArgumentException("backup target " + target + " is a symbolic link to a missing path:"
                    + " give the path itself, or make the directory it names");
        }
        try {
            Path home = store.toRealPath();
            Path resolved = Files.exists(absolute) ? absolute.toRealPath() : parent.toRealPath().resolve(
                    absolute.getFileName());
            if (resolved.startsWith(home)) {
                throw new IllegalArgumentException("backup target " + target + " is inside the store " + store
                        + " it would copy");
            }
            if (Files.exists(absolute)) {
                if (!Files.isDirectory(absolute)) {
                    throw new IllegalArgumentException("backup target " + target + " exists and is not a directory");
                }
                try (Stream<Path> entries = Files.list(absolute)) {
                    if (entries.findAny().isPresent()) {
                        throw new IllegalArgumentException("backup target " + target + " is a directory that is not"
                                + " empty: give a new name, or an empty directory");
                    }
                }
            }
            Path writtenIn = Files.exists(absolute) ? absolute : parent;
            if (!Files.isWritable(writtenIn)) {
                throw new IllegalArgumentException("backup target " + target + ": " + writtenIn + " is not writable");
            }
            return Files.exists(absolute);
        } catch (IOException e) {
            throw new IllegalArgumentException("backup target " + target + " cannot be checked: " + e, e);
        }
    }

    /** Removes what a failed backup wrote: the hidden directory, or what it put in the target directory. */
    private static void removeWritten(StoreFiles files, Path dir, boolean inPlace, Exception failure) {
        try {
            if (!inPlace) {
                StoreRepair.deleteTree(files, dir);
                return;
            }
            try (Stream<Path> entries = Files.list(dir)) {
                for (Path p : (Iterable<Path>) entries::iterator) {
                    StoreRepair.deleteTree(files, p);
                }
            }
            files.syncDirectory(dir);
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }
}

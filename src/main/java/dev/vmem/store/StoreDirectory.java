package dev.vmem.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The store's directory on its own: creating a store, recognising one (the FORMAT file and its version),
 * and marking it with a new version. The layout of the directory is in {@link StoreFormat}; the lock on it
 * is {@link DirectoryLock}.
 *
 * <p>Creation makes everything a store needs durable before it writes FORMAT, and FORMAT is written under
 * a temporary name and renamed: so a directory with a FORMAT file always holds a whole store (its journal
 * directory, first segment and head), and one without it holds nothing anyone was told about.
 */
final class StoreDirectory {
    /** What a creation killed before FORMAT landed can leave behind: the next creation starts over. */
    private static final Set<String> CREATION_LEFTOVERS = Set.of(StoreFormat.LOCK_FILE, StoreFormat.FORMAT_TMP_FILE,
            StoreFormat.HEAD_FILE, StoreFormat.JOURNAL_DIR);

    private StoreDirectory() {
    }

    /**
     * Makes sure {@code dir} exists and may hold a store: creates it (and makes its name durable) if
     * {@code create} allows.
     *
     * @throws NotAStoreException if {@code dir} is a file, or is missing and may not be created
     */
    static void prepare(StoreFiles files, Path dir, boolean create) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new NotAStoreException("not a vmem store: " + dir + " is a file, not a directory");
        }
        if (Files.isDirectory(dir)) {
            return;
        }
        if (!create) {
            throw new NotAStoreException("not a vmem store: " + dir + " does not exist");
        }
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        files.createDirectory(dir);
        files.syncDirectory(parent);
    }

    /** Whether {@code dir} holds a store: its FORMAT file exists. */
    static boolean exists(Path dir) {
        return Files.exists(dir.resolve(StoreFormat.FORMAT_FILE));
    }

    /**
     * Creates an empty store in {@code dir}, which must hold nothing but what an interrupted creation
     * leaves. Called with the directory locked.
     *
     * @throws NotAStoreException if {@code dir} holds anything else
     */
    static void create(StoreFiles files, Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            if (entries.anyMatch(p -> !CREATION_LEFTOVERS.contains(p.getFileName().toString()))) {
                throw new NotAStoreException("not a vmem store: " + dir + " is a non-empty directory without a "
                        + StoreFormat.FORMAT_FILE + " file");
            }
        }
        FileModes.restrict(dir); // it may have existed before the store, with the umask's mode
        Path journal = dir.resolve(StoreFormat.JOURNAL_DIR);
        if (Files.isDirectory(journal)) {
            try (Stream<Path> old = Files.list(journal)) {
                for (Path p : (Iterable<Path>) old::iterator) {
                    files.delete(p);
                }
            }
        } else {
            files.createDirectory(journal);
        }
        try (StoreFiles.Channel first = files.open(journal.resolve(StoreFormat.segmentName(1)))) {
            first.truncate(0);
            first.write(StoreFormat.segmentHeader(1), 0);
            first.force();
        }
        files.syncDirectory(journal);
        StoreHead.create(files, dir, new StoreHead.State(1, 0, 1, 0, 0)).close();
        writeFormat(files, dir);
    }

    /**
     * Writes {@code image} into the empty directory {@code dir} as a cleanly closed store holds it: both checkpoint
     * generations, a journal segment without a record that starts after the image, and a head naming them (with
     * {@code repairs}), each made durable. Not yet a store: FORMAT, its commit point, is the caller's to write.
     */
    static void writeImage(StoreFiles files, Path dir, StoreImage image, int repairs) throws IOException {
        Checkpoint.write(files, dir.resolve(StoreFormat.checkpointName(0)), image);
        Checkpoint.write(files, dir.resolve(StoreFormat.checkpointName(1)), image);
        Path journal = dir.resolve(StoreFormat.JOURNAL_DIR);
        files.createDirectory(journal);
        long next = image.seq + 1;
        try (StoreFiles.Channel seg = files.open(journal.resolve(StoreFormat.segmentName(next)))) {
            seg.write(StoreFormat.segmentHeader(next), 0);
            seg.force();
        }
        files.syncDirectory(journal);
        StoreHead.create(files, dir, new StoreHead.State(1, image.seq, next, image.seq, repairs)).close();
    }

    /**
     * Writes FORMAT naming this build's version, under a temporary name that is forced and renamed, and
     * makes the name durable: the commit point of creating or upgrading a store.
     */
    static void writeFormat(StoreFiles files, Path dir) throws IOException {
        Path tmp = dir.resolve(StoreFormat.FORMAT_TMP_FILE);
        try (StoreFiles.Channel ch = files.open(tmp)) {
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(StoreFormat.formatLine().getBytes(StandardCharsets.UTF_8)), 0);
            ch.force();
        }
        files.move(tmp, dir.resolve(StoreFormat.FORMAT_FILE));
        files.syncDirectory(dir);
    }

    /**
     * The format version the FORMAT file names.
     *
     * @throws NotAStoreException if it is missing, malformed, or names a version this build cannot read
     */
    static int checkFormat(Path dir) throws IOException {
        String text;
        try {
            text = Files.readString(dir.resolve(StoreFormat.FORMAT_FILE), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new NotAStoreException("not a vmem store: " + dir + " has no " + StoreFormat.FORMAT_FILE + " file");
        } catch (MalformedInputException e) {
            text = "";
        }
        String line = text.strip();
        if (!line.startsWith(StoreFormat.FORMAT_LINE_PREFIX)) {
            throw new NotAStoreException("not a vmem store: " + dir.resolve(StoreFormat.FORMAT_FILE)
                    + " does not start with '" + StoreFormat.FORMAT_LINE_PREFIX + "'");
        }
        String version = line.substring(StoreFormat.FORMAT_LINE_PREFIX.length());
        for (int v = StoreFormat.OLDEST_READABLE_VERSION; v <= StoreFormat.VERSION; v++) {
            if (version.equals(Integer.toString(v))) {
                return v;
            }
        }
        throw new NotAStoreException("store " + dir + " has format version " + version + "; this build reads versions "
                + StoreFormat.OLDEST_READABLE_VERSION + " to " + StoreFormat.VERSION);
    }
}

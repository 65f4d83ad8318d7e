package dev.vmem.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * The store's directory on its own: creating a store (its FORMAT file, written whole), recognising one
 * (the FORMAT file and its version), and making entries of a directory durable. The layout of the
 * directory is in {@link StoreFormat}; the lock on it is {@link DirectoryLock}.
 */
final class StoreDirectory {
    private StoreDirectory() {
    }

    /**
     * Makes sure {@code dir} holds a store, creating an empty one if {@code create} allows. Creation
     * writes FORMAT under a temporary name, forces it and renames it, so that a FORMAT file is never
     * partial.
     *
     * @throws NotAStoreException if {@code dir} is a file, or holds something other than a store
     */
    static void prepare(Path dir, boolean create) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new NotAStoreException("not a vmem store: " + dir + " is a file, not a directory");
        }
        Path format = dir.resolve(StoreFormat.FORMAT_FILE);
        if (Files.exists(format)) {
            return;
        }
        if (!create) {
            throw new NotAStoreException("not a vmem store: " + dir + " has no " + StoreFormat.FORMAT_FILE + " file");
        }
        if (Files.isDirectory(dir)) {
            try (var entries = Files.list(dir)) {
                // LOCK and FORMAT.tmp alone are what a creation killed before its FORMAT landed leaves.
                if (entries.anyMatch(p -> !p.getFileName().toString().equals(StoreFormat.LOCK_FILE)
                        && !p.getFileName().toString().equals(StoreFormat.FORMAT_TMP_FILE))) {
                    throw new NotAStoreException("not a vmem store: " + dir + " is a non-empty directory without a "
                            + StoreFormat.FORMAT_FILE + " file");
                }
            }
        }
        Files.createDirectories(dir);
        Path tmp = dir.resolve(StoreFormat.FORMAT_TMP_FILE);
        Files.writeString(tmp, StoreFormat.formatLine());
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, format, StandardCopyOption.ATOMIC_MOVE);
        sync(dir);
    }

    /**
     * Checks that the FORMAT file names the version this build reads.
     *
     * @throws NotAStoreException if it is missing, malformed, or names another version
     */
    static void checkFormat(Path dir) throws IOException {
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
        if (!version.equals(Integer.toString(StoreFormat.VERSION))) {
            throw new NotAStoreException("store " + dir + " has format version " + version
                    + "; this build reads only version " + StoreFormat.VERSION);
        }
    }

    /** fsyncs a directory so that a file created or deleted in it survives a crash. */
    static void sync(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms cannot open a directory; on Linux this works and matters.
            if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
                throw e;
            }
        }
    }
}

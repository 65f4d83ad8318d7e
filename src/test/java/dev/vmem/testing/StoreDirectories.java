package dev.vmem.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Whole store directories as files: copied (what {@code kill -9} leaves is a copy taken while the store is
 * open), listed and deleted. For the store and command tests; knows nothing of the store's format.
 */
public final class StoreDirectories {
    private StoreDirectories() {
    }

    /** Copies the tree under {@code from} into {@code to}, replacing files there; nothing if {@code from} is absent. */
    public static void copy(Path from, Path to) throws IOException {
        if (!Files.exists(from)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                    if (p.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                        // As Files.copy does for files: a copy of an owner-only store is one, whatever the umask.
                        Files.setPosixFilePermissions(target, Files.getPosixFilePermissions(p));
                    }
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** Deletes {@code dir} and everything under it; nothing if it is absent. */
    public static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }

    /** The regular files under {@code dir}, sorted by path. */
    public static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            return paths.filter(Files::isRegularFile).sorted().toList();
        }
    }
}

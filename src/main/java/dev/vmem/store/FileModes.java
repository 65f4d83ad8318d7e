package dev.vmem.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may read and change a store's files: its owner only, as PostgreSQL keeps its data directory (0700 for
 * directories, 0600 for files). A store's contents say which values are handed out; another user who could
 * write them could make two processes hold one value. Files are created with the mode (whatever the umask),
 * except MapDB's checkpoint files, which MapDB creates itself and which get theirs right after. On a file
 * system without POSIX permissions nothing is set, and opening the store says so once.
 */
final class FileModes {
    private static final Logger LOG = LoggerFactory.getLogger(VmemStore.class);

    static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OTHERS_WRITE = EnumSet.of(PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.OTHERS_WRITE);
    private static final FileAttribute<?>[] NONE = new FileAttribute<?>[0];

    private FileModes() {
    }

    static boolean supported(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /** The attribute that creates a file readable and writable by its owner only, where supported. */
    static FileAttribute<?>[] forFile(Path file) {
        return supported(file) ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE)} : NONE;
    }

    /** The attribute that creates a directory its owner alone may list, enter and change, where supported. */
    static FileAttribute<?>[] forDirectory(Path dir) {
        return supported(dir) ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(DIRECTORY)} : NONE;
    }

    /**
     * Gives an existing file or directory its owner-only mode: for files MapDB creates, and for a store's
     * directory that existed before the store did.
     */
    static void restrict(Path path) throws IOException {
        if (supported(path)) {
            Files.setPosixFilePermissions(path, Files.isDirectory(path) ? DIRECTORY : FILE);
        }
    }

    /**
     * Logs a warning naming the store's directory, and each directory and file in it, that users other than
     * its owner may change; or, on a file system without POSIX permissions, that nothing was checked.
     */
    static void warnIfOthersCanWrite(Path dir) throws IOException {
        if (!supported(dir)) {
            LOG.info("store {}: its file system has no POSIX permissions; file modes neither set nor checked", dir);
            return;
        }
        List<Path> writable = new ArrayList<>();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Set<PosixFilePermission> mode = Files.getPosixFilePermissions(p);
                if (!Collections.disjoint(mode, OTHERS_WRITE)) {
                    writable.add(p);
                }
            }
        }
        if (!writable.isEmpty()) {
            LOG.warn("store {}: others than its owner can write {}; make them owner-only (chmod go-w, or 700 for "
                    + "directories and 600 for files)", dir, writable);
        }
    }
}

package dev.vmem.store;

import static dev.vmem.store.StoreFixture.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.vmem.Policy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** A store's directories and files are its owner's alone, and opening one that others can change says so. */
class FileModesTest {
    @TempDir
    Path work;

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger storeLogger = (Logger) LoggerFactory.getLogger(VmemStore.class);

    @BeforeEach
    void captureTheStoresLog() {
        assumeTrue(FileModes.supported(work), "POSIX file permissions are not supported here");
        log.start();
        storeLogger.addAppender(log);
    }

    @AfterEach
    void detach() {
        storeLogger.detachAppender(log);
    }

    @Test
    void everyDirectoryAndFileOfAStore_isCreatedOwnerOnly_whateverItHolds() throws IOException {
        Path dir = work.resolve("store");
        // Small journal segments: rollovers create new segment files; two checkpoints write both generations.
        try (VmemStore store = VmemStore.open(options(dir, 4096))) {
            PersistentArena a = store.createArena(ArenaDefinition.of("a", 1));
            a.addSpan(0, 1 << 20);
            for (int i = 0; i < 300; i++) {
                a.alloc(1, Policy.NEXT_FIT);
            }
            store.checkpoint();
            a.alloc(1, Policy.NEXT_FIT);
            store.checkpoint();
            StoreFixture.assertSound(store);
        }
        Map<String, String> modes = modes(dir);
        assertTrue(modes.keySet().stream().anyMatch(f -> f.startsWith("checkpoint-")), "MapDB's files too: " + modes);
        assertTrue(modes.keySet().stream().anyMatch(f -> f.startsWith("journal/")
                && !f.endsWith(StoreFormat.segmentName(1))), "a segment of a rollover: " + modes);
        assertTrue(modes.containsKey("LOCK") && modes.containsKey("HEAD") && modes.containsKey("FORMAT"), modes.toString());
        modes.forEach((file, mode) -> assertEquals(Files.isDirectory(dir.resolve(file)) ? "rwx------" : "rw-------", mode,
                file));
        assertEquals(List.of(), warnings());
    }

    @Test
    void aDirectoryThatExistedBeforeTheStore_becomesOwnerOnly() throws IOException {
        Path dir = Files.createDirectory(work.resolve("store"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxr-x"));
        try (VmemStore store = VmemStore.open(options(dir))) {
            StoreFixture.assertSound(store);
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    }

    @Test
    void openingAStoreOthersCanWrite_warnsNamingEachSuchFile_andOnlyThose() throws IOException {
        Path dir = work.resolve("store");
        try (VmemStore store = VmemStore.open(options(dir))) {
            store.createArena(ArenaDefinition.of("a", 1)).addSpan(0, 100);
        }
        Path head = dir.resolve(StoreFormat.HEAD_FILE);
        Path journal = dir.resolve(StoreFormat.JOURNAL_DIR);
        addPermission(head, PosixFilePermission.GROUP_WRITE);
        addPermission(journal, PosixFilePermission.OTHERS_WRITE);
        try (VmemStore store = VmemStore.open(options(dir))) {
            StoreFixture.assertSound(store);
        }
        List<String> warnings = warnings();
        assertEquals(1, warnings.size(), warnings.toString());
        String warning = warnings.get(0);
        assertTrue(warning.contains(head.toString()) && warning.contains(journal.toString()), warning);
        assertTrue(!warning.contains(dir.resolve(StoreFormat.FORMAT_FILE).toString()), "FORMAT is owner-only: " + warning);
    }

    private static void addPermission(Path path, PosixFilePermission permission) throws IOException {
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(path);
        mode.add(permission);
        Files.setPosixFilePermissions(path, mode);
    }

    /** Mode of every directory and file under {@code dir} (itself as ""), by relative path. */
    private static Map<String, String> modes(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                out.put(dir.relativize(p).toString(), PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
            }
        }
        return out;
    }

    private List<String> warnings() {
        return log.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
                .toList();
    }
}

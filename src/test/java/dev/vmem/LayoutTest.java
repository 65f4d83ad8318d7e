package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The structure README's layout section describes: small classes with one job, a small public core, and
 * MapDB in one class. A change that breaks one of these should change the layout on purpose.
 */
class LayoutTest {
    private static final Path MAIN = Path.of("src", "main", "java", "dev", "vmem");
    /** A class longer than this is doing more than one job (issue: "no main class over ~450 lines"). */
    private static final int MAX_LINES = 450;

    private static List<Path> sources(Path folder) throws IOException {
        assertTrue(Files.isDirectory(folder), "run from the project directory");
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
    }

    @Test
    void everyMainClass_isShortAndNeedsNoBannerComments() throws IOException {
        List<String> problems = new ArrayList<>();
        for (Path f : sources(MAIN)) {
            List<String> lines = Files.readAllLines(f);
            if (lines.size() > MAX_LINES) {
                problems.add(f + " has " + lines.size() + " lines");
            }
            for (String line : lines) {
                if (line.strip().matches("//\\s*[-=]{8,}.*")) {
                    problems.add(f + " has a banner comment: " + line.strip());
                }
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void theCoresPublicTypes_areTheApiAndTheStoresHandle() throws IOException {
        TreeSet<String> exported = new TreeSet<>();
        try (Stream<Path> files = Files.list(MAIN)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                if (Files.readAllLines(f).stream().anyMatch(l -> l.matches("public (final |sealed |abstract )*"
                        + "(class|interface|record|enum) .*"))) {
                    exported.add(f.getFileName().toString().replace(".java", ""));
                }
            }
        }
        assertEquals(new TreeSet<>(List.of("Allocation", "Arena", "ArenaChange", "ArenaExhaustedException",
                "ArenaObserver", "ArenaReplay", "ArenaState", "ArenaStats", "Constraints", "InvalidFreeException",
                "ObservedArena", "Policy", "Quarantine", "RangeInUseException", "ReconcileReport", "Segment", "Source",
                "VmemArena", "VmemException")), exported);
    }

    @Test
    void mapdb_isConfinedToTheCheckpointClass() throws IOException {
        List<String> users = new ArrayList<>();
        for (Path f : sources(MAIN)) {
            if (Files.readAllLines(f).stream().anyMatch(l -> l.startsWith("import org.mapdb"))) {
                users.add(f.getFileName().toString());
            }
        }
        assertEquals(List.of("Checkpoint.java"), users);
    }
}

package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The arrows of DESIGN.md §6 point one way: cli → store → core. Core knows nothing of MapDB, files,
 * the store, the command or logging backends; the store knows nothing of the command, logback or Micrometer.
 */
class ArchitectureTest {
    private static final Path MAIN = Path.of("src", "main", "java", "dev", "vmem");

    private static List<String> violations(Path folder, boolean recurse, List<String> forbidden) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = recurse ? Files.walk(folder) : Files.list(folder)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                for (String line : Files.readAllLines(f)) {
                    String l = line.strip();
                    for (String prefix : forbidden) {
                        if ((l.startsWith("import " + prefix) || l.contains(" " + prefix)) && !l.startsWith("*")
                                && !l.startsWith("//")) {
                            out.add(f + ": " + l);
                        }
                    }
                }
            }
        }
        return out;
    }

    @Test
    void core_dependsOnNothingButSlf4jApi() throws IOException {
        assertTrue(Files.isDirectory(MAIN), "run from the project directory");
        assertEquals(List.of(), violations(MAIN, false, List.of("dev.vmem.store", "dev.vmem.cli", "org.mapdb",
                "ch.qos.logback", "picocli", "java.nio.file", "java.io.File", "java.nio.channels", "io.micrometer",
                "dev.vmem.cluster", "org.apache")));
    }

    @Test
    void store_dependsOnCoreAndMapdbOnly() throws IOException {
        assertEquals(List.of(), violations(MAIN.resolve("store"), true, List.of("dev.vmem.cli", "ch.qos.logback",
                "picocli", "io.micrometer", "dev.vmem.cluster", "org.apache")));
    }

    /** ZooKeeper and Curator stay inside the cluster package: no public type of it shows one. */
    @Test
    void cluster_showsNoZookeeperOrCuratorType() throws Exception {
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(MAIN.resolve("cluster"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString().replace(".java", "");
                if (name.equals("package-info")) {
                    continue;
                }
                Class<?> c = Class.forName("dev.vmem.cluster." + name);
                if (!java.lang.reflect.Modifier.isPublic(c.getModifiers())) {
                    continue;
                }
                for (java.lang.reflect.Method m : c.getMethods()) {
                    List<Class<?>> types = new ArrayList<>(List.of(m.getParameterTypes()));
                    types.add(m.getReturnType());
                    types.addAll(List.of(m.getExceptionTypes()));
                    for (Class<?> t : types) {
                        if (t.getName().startsWith("org.apache")) {
                            out.add(c.getSimpleName() + "." + m.getName() + " shows " + t.getName());
                        }
                    }
                }
                for (java.lang.reflect.Constructor<?> k : c.getConstructors()) {
                    for (Class<?> t : k.getParameterTypes()) {
                        if (t.getName().startsWith("org.apache")) {
                            out.add(c.getSimpleName() + "(...) shows " + t.getName());
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), out);
    }
}

package dev.vmem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code src/main/sh/vmem}, the launcher: it runs the jar it is given, makes the class-data sharing archive
 * beside it on the first run, uses it afterwards, and prints nothing of its own.
 */
class LauncherIT {
    private static final long TIMEOUT_SECONDS = 120;

    @TempDir
    Path work;

    private record Result(int exit, String out, String err) {
    }

    private Result launch(Path jar, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("sh", Path.of("src", "main", "sh", "vmem").toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        Path out = work.resolve("out.txt");
        Path err = work.resolve("err.txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        Map<String, String> env = pb.environment();
        env.put("VMEM_JAR", jar.toString());
        env.put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        try {
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                fail("timed out after " + TIMEOUT_SECONDS + " s: " + cmd);
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theLauncher_runsTheJar_andMakesItsArchiveOnTheFirstRun() throws Exception {
        String property = System.getProperty("vmem.jar");
        assertNotNull(property, "the vmem.jar system property names the jar under test (set by failsafe)");
        // A copy, so that the archive is made beside it and target/ is left as the build made it.
        Path jar = Files.copy(Path.of(property), work.resolve("vmem.jar"));
        Path store = work.resolve("store");
        Result created = launch(jar, "--store", store.toString(), "create", "ids", "--quantum", "1", "--span", "0:100");
        assertEquals(0, created.exit(), created.err());
        assertTrue(Files.isRegularFile(work.resolve("vmem.jsa")), "the first run made the archive beside the jar");
        Result listed = launch(jar, "--store", store.toString(), "list");
        assertEquals(0, listed.exit(), listed.err());
        assertEquals("", listed.err(), "the launcher and the archive print nothing");
        assertTrue(listed.out().lines().anyMatch(l -> l.startsWith("ids ") && l.trim().endsWith("100")), listed.out());
        Result bad = launch(jar, "--store", store.toString(), "free", "ids", "5");
        assertEquals(4, bad.exit(), "the command's exit code comes through: " + bad.err());
    }
}

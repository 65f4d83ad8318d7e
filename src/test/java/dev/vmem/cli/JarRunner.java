package dev.vmem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the built jar (the {@code vmem.jar} property failsafe sets) as {@code vmem --store STORE ARGS} in a working
 * directory, each run bounded to 60 s and its process reaped: what the end-to-end tests of single commands share.
 */
final class JarRunner {
    private JarRunner() {
    }

    /** What one run left: exit code, stdout and stderr (fields, as the tests read them). */
    static final class Result {
        final int exit;
        final String out;
        final String err;

        Result(int exit, String out, String err) {
            this.exit = exit;
            this.out = out;
            this.err = err;
        }

        String describe() {
            return "exit " + exit + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
        }
    }

    static List<String> command(Path store, String... args) {
        String jar = System.getProperty("vmem.jar");
        assertNotNull(jar, "the vmem.jar system property names the jar under test (set by failsafe)");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", Path.of(jar).toAbsolutePath().toString(),
                "--store", store.toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs the command in {@code work} (which also holds its output while it runs). */
    static Result run(Path work, Path store, String... args) throws IOException, InterruptedException {
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        Process p = new ProcessBuilder(command(store, args)).directory(work.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        try {
            p.getOutputStream().close();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                fail("timed out: vmem " + String.join(" ", args));
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            Files.delete(out);
            Files.delete(err);
        }
    }

    /** Runs the command and asserts that it succeeded, printing nothing on stderr. */
    static Result ok(Path work, Path store, String... args) throws IOException, InterruptedException {
        Result r = run(work, store, args);
        assertEquals(0, r.exit, r.describe());
        assertEquals("", r.err, r.describe());
        return r;
    }
}

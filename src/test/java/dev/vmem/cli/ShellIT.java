package dev.vmem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vmem shell} fed a script on stdin, as a script or a pipe would: target/vmem.jar in its own process. */
class ShellIT {
    private static final long TIMEOUT_SECONDS = 60;
    private static Path jar;

    @TempDir
    Path work;

    @BeforeAll
    static void findJar() {
        String property = System.getProperty("vmem.jar");
        assertNotNull(property, "the vmem.jar system property names the jar under test (set by failsafe)");
        jar = Path.of(property).toAbsolutePath();
        assertTrue(Files.isRegularFile(jar), "no jar at " + jar + ": run mvn verify, which packages it first");
    }

    record Result(int exit, List<String> out, List<String> err) {
        String describe() {
            return "exit " + exit + "\n--- stdout:\n" + String.join("\n", out) + "\n--- stderr:\n" + String.join("\n", err);
        }
    }

    /** Runs {@code vmem --store STORE ARGS} with {@code stdin} as its standard input. */
    private Result vmem(String stdin, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", jar.toString(), "--store",
                work.resolve("store").toString()));
        cmd.addAll(List.of(args));
        Path in = Files.writeString(Files.createTempFile(work, "stdin", ".txt"), stdin);
        Path out = Files.createTempFile(work, "stdout", ".txt");
        Path err = Files.createTempFile(work, "stderr", ".txt");
        Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectInput(in.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                fail("timed out after " + TIMEOUT_SECONDS + " s: " + cmd);
            }
            return new Result(p.exitValue(), Files.readAllLines(out), Files.readAllLines(err));
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private Result ok(String stdin, String... args) throws IOException, InterruptedException {
        Result r = vmem(stdin, args);
        assertEquals(0, r.exit(), r.describe());
        assertEquals(List.of(), r.err(), r.describe());
        return r;
    }

    @Test
    void aScript_runsEveryLineOnOneOpenStore_errorsTakeOneLineAndTheLastFailureIsTheExitCode() throws Exception {
        ok("", "create", "a", "--quantum", "16", "--span", "0x1000:0x1000");
        Result r = vmem("""
                # allocations at 4096, then 4160 and 4224
                alloc a 64
                alloc a 64 --count 2

                free a 4096
                alloc a 1M
                list
                free a 12345
                help free
                dump a
                """, "--verbose", "shell");
        assertEquals(4, r.exit(), "the last failing command was the invalid free: " + r.describe());
        assertEquals(List.of("4096", "4160", "4224"), r.out().subList(0, 3), r.describe());
        assertTrue(r.out().stream().anyMatch(l -> l.startsWith("a ") && l.contains("128")), "list: " + r.describe());
        assertTrue(r.out().stream().anyMatch(l -> l.contains("Usage: vmem free")), "help free: " + r.describe());
        assertFalse(r.out().stream().anyMatch(l -> l.contains(ShellTerminal.PROMPT.strip())), "no prompt: "
                + r.describe());
        List<String> errors = r.err().stream().filter(l -> l.startsWith("vmem: ")).toList();
        assertEquals(2, errors.size(), r.describe());
        assertTrue(errors.get(0).contains("1048576") || errors.get(0).contains("1M"), r.describe());
        assertTrue(errors.get(1).contains("12345"), r.describe());
        assertEquals(1, r.err().stream().filter(l -> l.contains("opened store")).count(),
                "the store is opened once for every line: " + r.describe());

        List<String> dump = ok("", "dump", "a").out();
        assertEquals(r.out().subList(r.out().size() - dump.size(), r.out().size()), dump,
                "the shell's last dump is what the store holds afterwards");
        assertTrue(dump.stream().anyMatch(l -> l.startsWith("4160 ") && l.endsWith("allocated")), dump.toString());
        assertTrue(dump.stream().anyMatch(l -> l.startsWith("4096 ") && l.endsWith("free")), dump.toString());
        assertEquals("store " + work.resolve("store") + " is sound: 1 arenas checked", ok("", "check").out().get(0));
    }

    @Test
    void exitEndsTheShell_andWhatFollowsIsNotRun() throws Exception {
        ok("", "create", "a", "--quantum", "1", "--span", "0:100");
        Result r = ok("alloc a 10\nexit\nalloc a 10\n", "shell");
        assertEquals(List.of("0"), r.out());
        assertEquals(List.of(), ok("quit\nalloc a 10\n", "shell").out());
        assertEquals(List.of("10"), ok("alloc a 10", "shell").out(), "the end of input ends it too, last line and all");
    }

    @Test
    void storeAndAnotherDurability_areTheShellsOwn_andAreRefusedInALine() throws Exception {
        ok("", "create", "a", "--quantum", "1", "--span", "0:100");
        Result r = vmem("alloc a 1 --durability write\n--store elsewhere list\nalloc a 1 --durability sync\n", "shell");
        assertEquals(2, r.exit(), r.describe());
        assertEquals(List.of("0"), r.out(), "only the line at the shell's own level ran: " + r.describe());
        assertEquals(2, r.err().size(), r.describe());
        assertTrue(r.err().get(0).startsWith("vmem: --durability write: "), r.describe());
        assertTrue(r.err().get(1).startsWith("vmem: --store elsewhere: "), r.describe());
        assertFalse(Files.exists(work.resolve("elsewhere")));
    }

    @Test
    void aMissingStore_isNotCreatedByTheShell() throws Exception {
        Result r = vmem("list\n", "shell");
        assertTrue(r.exit() != 0, r.describe());
        assertEquals(1, r.err().size(), r.describe());
        assertFalse(Files.exists(work.resolve("store").resolve("FORMAT")));
    }
}

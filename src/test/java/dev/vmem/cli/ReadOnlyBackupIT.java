package dev.vmem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.cli.JarRunner.Result;
import dev.vmem.store.ReadOnlyFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vmem --read-only} and {@code vmem backup}, end to end on the built jar: readers write nothing, writers are
 * refused with exit 2, readers go read-only by themselves on a directory that cannot be written (saying so once),
 * and a backup, also of a store another process holds, opens as the same store.
 */
@Timeout(120)
class ReadOnlyBackupIT {
    @TempDir
    Path work;

    private Result run(Path store, String... args) throws IOException, InterruptedException {
        return JarRunner.run(work, store, args);
    }

    private Result ok(Path store, String... args) throws IOException, InterruptedException {
        return JarRunner.ok(work, store, args);
    }

    private Path populated() throws IOException, InterruptedException {
        Path store = Files.createDirectory(work.resolve("data")).resolve("store");
        ok(store, "create", "a", "--quantum", "16", "--span", "0x1000:0x1000");
        ok(store, "alloc", "a", "64", "--count", "4");
        Files.delete(store.resolve("LOCK"));
        return store;
    }

    @Test
    void readOnlyReaders_writeNothing_andTheBackupIsTheSameStore() throws Exception {
        Path store = populated();
        String dump = ok(store, "dump", "a", "--json").out;
        Files.delete(store.resolve("LOCK"));
        Map<String, String> before = ReadOnlyFiles.files(store);
        assertEquals(dump, ok(store, "--read-only", "dump", "a", "--json").out);
        assertTrue(ok(store, "--read-only", "list").out.contains("a"));
        assertTrue(ok(store, "--read-only", "stats").out.contains("a"));
        assertTrue(ok(store, "--read-only", "check").out.contains("is sound"));
        Path svg = work.resolve("a.svg");
        ok(store, "--read-only", "map", "a", "--out", svg.toString());
        assertTrue(Files.size(svg) > 0);
        Path backup = work.resolve("backup");
        assertTrue(ok(store, "--read-only", "backup", backup.toString()).out.contains(backup.toString()));
        assertEquals(before, ReadOnlyFiles.files(store), "no file created, changed or removed");
        assertEquals(dump, ok(backup, "dump", "a", "--json").out);
        assertTrue(ok(backup, "check").out.contains("is sound"));
    }

    @Test
    void changingCommands_withReadOnly_areRefused_withExit2() throws Exception {
        Path store = populated();
        Map<String, String> before = ReadOnlyFiles.files(store);
        List<List<String>> writers = List.of(List.of("create", "b", "--quantum", "1"), List.of("alloc", "a", "16"),
                List.of("free", "a", "4096"), List.of("add-span", "a", "0x9000", "0x1000"), List.of("drop", "a"),
                List.of("repair"), List.of("shell"));
        for (List<String> w : writers) {
            List<String> args = new ArrayList<>(List.of("--read-only"));
            args.addAll(w);
            Result r = run(store, args.toArray(String[]::new));
            assertEquals(2, r.exit, w + ": " + r.describe());
            assertEquals(1, r.err.lines().count(), w + ": " + r.describe());
            assertTrue(r.err.startsWith("vmem: --read-only: "), w + ": " + r.describe());
        }
        assertEquals(before, ReadOnlyFiles.files(store), "nothing changed");
    }

    @Test
    void readers_onADirectoryThatCannotBeWritten_readReadOnly_andSaySoOnce() throws Exception {
        Path store = populated();
        String dump = ok(store, "dump", "a", "--json").out;
        Files.delete(store.resolve("LOCK"));
        List<Path> locked = ReadOnlyFiles.protect(store);
        try {
            Result r = run(store, "dump", "a", "--json");
            assertEquals(0, r.exit, r.describe());
            assertEquals(dump, r.out);
            assertEquals(List.of("vmem: " + store + " cannot be written: reading the store read-only"),
                    r.err.lines().toList());
            Result quiet = run(store, "--read-only", "list");
            assertEquals("", quiet.err, "asked for, it says nothing: " + quiet.describe());
            Result alloc = run(store, "alloc", "a", "16");
            assertEquals(1, alloc.exit, "a writer still fails, on the lock file: " + alloc.describe());
        } finally {
            ReadOnlyFiles.release(locked);
        }
    }

    @Test
    void backup_ofAStoreAnotherProcessHolds_andBadTargets() throws Exception {
        Path store = populated();
        String dump = ok(store, "dump", "a", "--json").out;
        Path full = Files.createDirectory(work.resolve("full"));
        Files.writeString(full.resolve("x"), "x");
        Result nonEmpty = run(store, "backup", full.toString());
        assertEquals(2, nonEmpty.exit, nonEmpty.describe());
        assertTrue(nonEmpty.err.contains(full.toString()) && nonEmpty.err.contains("not empty"), nonEmpty.describe());
        Result inside = run(store, "backup", store.resolve("copy").toString());
        assertEquals(2, inside.exit, inside.describe());
        assertTrue(inside.err.contains("inside the store"), inside.describe());
        Path holderOut = work.resolve("holder.out");
        Process holder = new ProcessBuilder(JarRunner.command(store, "shell")).redirectOutput(holderOut.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start(); // its stdin stays open: it holds the store
        try {
            holder.getOutputStream().write("list\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            holder.getOutputStream().flush();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.readString(holderOut).contains("QUANTUM") && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            Result locked = run(store, "list");
            assertEquals(5, locked.exit, "the shell holds the store: " + locked.describe());
            Path backup = work.resolve("backup");
            ok(store, "--read-only", "backup", backup.toString());
            assertEquals(dump, ok(backup, "dump", "a", "--json").out);
        } finally {
            holder.destroyForcibly();
            holder.waitFor(10, TimeUnit.SECONDS);
        }
        assertFalse(Files.exists(work.resolve("full").resolve("FORMAT")));
    }
}

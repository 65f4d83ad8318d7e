package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vmem.Policy;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM that used a store and was killed with {@code kill -9} leaves no {@code liblz4-java-*.so} in its
 * {@code java.io.tmpdir}. MapDB (the checkpoints) asks lz4-java for its fastest xxhash, which on the system
 * class loader is the JNI binding: lz4-java then copies its native library into the temporary directory and
 * deletes it only at a clean exit. A worker JVM with a temporary directory of its own opens a store, writes and
 * reads back a checkpoint, and is killed; the directory must hold no {@code liblz4*} file, and lz4-java must not
 * have loaded its native library at all.
 */
class NoNativeLeftBehindTest {
    private static final String DONE = "CHECKPOINTED";
    private static final long WAIT_SECONDS = 60;

    @TempDir
    Path work;

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void aKilledStoreJvmLeavesNoLz4NativeLibraryInItsTempDirectory() throws Exception {
        Path tmp = Files.createDirectory(work.resolve("tmp"));
        Path store = work.resolve("store");
        Path stdout = work.resolve("worker.out");
        Path stderr = work.resolve("worker.err");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m", "-Djava.io.tmpdir=" + tmp,
                "-cp", System.getProperty("java.class.path"), Worker.class.getName(), store.toString())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        List<String> lines;
        try {
            lines = awaitDone(process, stdout, stderr);
            process.destroyForcibly();
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the worker did not die within 30 s of kill -9");
        } finally {
            ForkedWorker.reap(process);
        }
        assertTrue(Files.exists(store.resolve(StoreFormat.checkpointName(0)))
                || Files.exists(store.resolve(StoreFormat.checkpointName(1))), "the worker wrote no checkpoint");
        assertEquals(List.of(), lz4Files(tmp), "lz4-java's native library was extracted into java.io.tmpdir and left"
                + " there by the kill");
        assertTrue(lines.contains("native=false"), "lz4-java loaded its native library: " + lines);
    }

    /** The worker's stdout once it printed {@value #DONE}, failing with its stderr if that does not come in time. */
    private static List<String> awaitDone(Process process, Path stdout, Path stderr) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (System.nanoTime() < deadline) {
            List<String> lines = Files.readAllLines(stdout, StandardCharsets.UTF_8);
            if (lines.contains(DONE)) {
                return lines;
            }
            if (!process.isAlive()) {
                fail("the worker exited with status " + process.exitValue() + " before " + DONE + "\n" + text(stderr));
            }
            Thread.sleep(50);
        }
        fail("the worker did not print " + DONE + " within " + WAIT_SECONDS + " s\n" + text(stderr));
        return List.of();
    }

    private static List<String> lz4Files(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("liblz4")).sorted()
                    .collect(Collectors.toList());
        }
    }

    private static String text(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "(no stderr)";
    }

    /**
     * Opens a store, allocates and frees, writes a checkpoint and verifies the store (which reads the checkpoints
     * back), prints whether lz4-java's native library is loaded and then {@value #DONE}, and waits to be killed.
     */
    public static final class Worker {
        private Worker() {
        }

        public static void main(String[] args) throws InterruptedException {
            VmemStore store = VmemStore.open(Path.of(args[0]));
            PersistentArena pids = store.createArena(ArenaDefinition.of("pids", 1));
            pids.addSpan(300, 32768 - 300);
            for (int i = 0; i < 100; i++) {
                long pid = pids.alloc(1, Policy.NEXT_FIT);
                if (i % 3 == 0) {
                    pids.free(pid);
                }
            }
            if (!store.checkpoint()) {
                throw new IllegalStateException("the checkpoint failed");
            }
            List<String> problems = store.verify();
            if (!problems.isEmpty()) {
                throw new IllegalStateException("verify: " + problems);
            }
            System.out.println("native=" + net.jpountz.util.Native.isLoaded());
            System.out.println("mapdb-hash=" + org.mapdb.CC.HASH_FACTORY);
            System.out.println(DONE);
            System.out.flush();
            Thread.sleep(TimeUnit.SECONDS.toMillis(WAIT_SECONDS + 60)); // killed long before this ends
        }
    }
}

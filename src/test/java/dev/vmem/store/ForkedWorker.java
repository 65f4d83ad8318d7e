package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * One forked {@link CrashWorker} JVM, from its start to its {@code kill -9}. Every wait is bounded: READY within
 * {@link #READY_TIMEOUT}, death within 30 s of the kill, the stdout reader within 30 s of the death; and
 * {@link #reap} kills and waits for the process on every path, so that no worker outlives its round.
 */
final class ForkedWorker {
    static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final LineReader reader;
    private final long spawnedNanos;
    private final Path stderr;

    private ForkedWorker(Process process, LineReader reader, long spawnedNanos, Path stderr) {
        this.process = process;
        this.reader = reader;
        this.spawnedNanos = spawnedNanos;
        this.stderr = stderr;
    }

    /**
     * Starts a worker on {@code dir}: stdout to {@code stdout}, followed line by line; stderr to {@code stderr}.
     * {@code run}: the level campaign the worker is part of, or null.
     */
    static ForkedWorker start(Path dir, long seed, String mode, CrashWorker.LevelRun run, Path stdout, Path stderr)
            throws IOException {
        List<String> args = new ArrayList<>(List.of(dir.toString(), Long.toString(seed), mode));
        if (run != null) {
            args.addAll(run.args());
        }
        return start(CrashWorker.class, args, stdout, stderr);
    }

    /** Starts {@code main} (a class of the test class path, which prints READY) with {@code args}, followed likewise. */
    static ForkedWorker start(Class<?> main, List<String> args, Path stdout, Path stderr) throws IOException {
        List<String> command = new ArrayList<>(List.of(javaCommand(), "-ea", "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-Xshare:auto", "-XX:-UsePerfData", "-Xmx256m", "-cp",
                System.getProperty("java.class.path"), main.getName()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(stderr.toFile())
                .redirectOutput(stdout.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        long spawned = System.nanoTime();
        Process process = pb.start();
        LineReader reader = new LineReader(stdout);
        reader.start();
        return new ForkedWorker(process, reader, spawned, stderr);
    }

    /** Starts a worker on a new store whose output nobody reads, with only the flags that make it start fast. */
    static Process startUnobserved(Path dir) throws IOException {
        return new ProcessBuilder(javaCommand(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), CrashWorker.class.getName(), dir.toString(), "1",
                "mixed").redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** Kills {@code process} if it still lives and waits for it: the cleanup every fork ends with. */
    static void reap(Process process) throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Waits for READY, failing with the worker's stderr if it does not come within {@link #READY_TIMEOUT}. */
    void awaitReady(String ctx) throws InterruptedException {
        long deadline = spawnedNanos + READY_TIMEOUT.toNanos();
        if (reader.await("READY"::equals, deadline, process) == null) {
            fail(ctx + " the worker did not print READY within " + READY_TIMEOUT + " (alive=" + process.isAlive()
                    + ")\n" + tail(stderr));
        }
    }

    /** The next line matching {@code p}, or null at the deadline or once the worker has died. */
    String await(Predicate<String> p, long deadlineNanos) throws InterruptedException {
        return reader.await(p, deadlineNanos, process);
    }

    /** {@code kill -9}: returns the exit status, at most 30 s after the signal. */
    int kill(String ctx) throws InterruptedException {
        process.destroyForcibly();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), ctx + " the worker did not die within 30 s of kill -9");
        return process.exitValue();
    }

    /** Reaps the process (if {@link #kill} did not run or failed) and lets the reader take the last lines. */
    void stop() throws InterruptedException {
        reap(process);
        reader.finish();
        reader.join(30_000);
    }

    /** After {@link #stop}: every whole line the worker wrote. */
    List<String> lines(String ctx) {
        assertTrue(!reader.isAlive() && reader.failure == null, ctx + " reading the worker's stdout failed: "
                + reader.failure);
        return reader.lines();
    }

    /** Whether the kill cut the worker's last line short. */
    boolean partialLine() {
        return reader.partial;
    }

    /** Milliseconds from the fork to READY, or -1 if the worker never printed it. */
    long readyMillis() {
        return reader.readyAtLine >= 0 ? reader.readyAtMillis(spawnedNanos) : -1;
    }

    String stderrTail() {
        return tail(stderr);
    }

    /**
     * Follows the worker's stdout, which goes to a file: reading a killed child's pipe through {@link Process}
     * can lose its last lines (the JDK's reaper swaps the stream under a blocked reader: "Stream closed").
     * A last line without its newline was cut by the kill and is dropped.
     */
    static final class LineReader extends Thread {
        private final Path file;
        private final List<String> lines = new ArrayList<>();
        private final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
        private final List<Long> times = new ArrayList<>();
        private volatile boolean finish;
        volatile boolean partial;
        volatile int readyAtLine = -1;
        volatile IOException failure;

        LineReader(Path file) {
            super("crash-worker-stdout");
            setDaemon(true);
            this.file = file;
        }

        /** The worker is dead: read what is left and stop. */
        void finish() {
            finish = true;
        }

        @Override
        public void run() {
            ByteArrayOutputStream current = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                while (true) {
                    boolean last = finish;
                    buf.clear();
                    int n = ch.read(buf);
                    if (n <= 0) {
                        if (last) {
                            break;
                        }
                        LockSupport.parkNanos(200_000);
                        continue;
                    }
                    byte[] bytes = buf.array();
                    for (int i = 0; i < n; i++) {
                        if (bytes[i] == '\n') {
                            String line = current.toString(StandardCharsets.UTF_8);
                            current.reset();
                            synchronized (this) {
                                if (line.equals("READY")) {
                                    readyAtLine = lines.size();
                                }
                                lines.add(line);
                                times.add(System.nanoTime());
                            }
                            queue.add(line);
                        } else {
                            current.write(bytes[i]);
                        }
                    }
                }
            } catch (IOException e) {
                failure = e;
            }
            partial = current.size() > 0;
        }

        synchronized List<String> lines() {
            return new ArrayList<>(lines);
        }

        synchronized long readyAtMillis(long spawnedNanos) {
            return (times.get(readyAtLine) - spawnedNanos) / 1_000_000;
        }

        /** The next line matching {@code p}, or null at the deadline or once the worker has died. */
        String await(Predicate<String> p, long deadlineNanos, Process process) throws InterruptedException {
            boolean dead = false;
            while (true) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                String line = queue.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(20)), TimeUnit.NANOSECONDS);
                if (line != null && p.test(line)) {
                    return line;
                }
                if (line == null) {
                    if (dead) {
                        return null;
                    }
                    dead = !process.isAlive(); // one more poll after death for the lines it wrote last
                }
            }
        }
    }

    private static String javaCommand() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static String tail(Path file) {
        try {
            if (!Files.exists(file)) {
                return "(no worker stderr)";
            }
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return "worker stderr (last 40 lines):\n" + String.join("\n", all.subList(Math.max(0, all.size() - 40),
                    all.size()));
        } catch (IOException e) {
            return "(worker stderr unreadable: " + e + ")";
        }
    }
}

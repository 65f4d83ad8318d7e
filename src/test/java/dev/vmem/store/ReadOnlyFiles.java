package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Directories no one may write, for the read-only tests: {@code chmod a-w} stops everyone but root, and root is
 * stopped by the immutable attribute ({@code chattr +i}) where the file system has it; a test that cannot get either
 * is skipped. And what a directory holds, to show that nothing in it changed.
 */
public final class ReadOnlyFiles {
    private ReadOnlyFiles() {
    }

    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    /** Makes {@code root} and everything in it unwritable; returns the paths to give back to {@link #release}. */
    public static List<Path> protect(Path root) throws IOException, InterruptedException {
        List<Path> all;
        try (Stream<Path> walk = Files.walk(root)) {
            all = walk.toList();
        }
        for (Path p : all) {
            run(ROOT ? "chattr" : "chmod", ROOT ? "+i" : "a-w", p.toString());
        }
        Path probe = root.resolve("probe");
        boolean writable;
        try {
            Files.createFile(probe);
            Files.delete(probe);
            writable = true;
        } catch (IOException expected) {
            writable = false;
        }
        if (writable) {
            release(all);
        }
        assumeTrue(!writable, "the directory could not be made read-only here");
        return all;
    }

    public static void release(List<Path> protectedPaths) throws IOException, InterruptedException {
        for (Path p : protectedPaths) {
            run(ROOT ? "chattr" : "chmod", ROOT ? "-i" : "u+w", p.toString());
        }
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
        String out = new String(p.getInputStream().readAllBytes());
        assumeTrue(p.exitValue() == 0, String.join(" ", command) + " failed here: " + out);
    }

    /** Every file and directory under {@code root}: size, modification time and a checksum of the content. */
    public static Map<String, String> files(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                CRC32C crc = new CRC32C();
                if (a.isRegularFile()) {
                    crc.update(Files.readAllBytes(p));
                }
                out.put(root.relativize(p).toString(), a.size() + " " + a.lastModifiedTime() + " " + crc.getValue());
            }
        }
        return out;
    }
}

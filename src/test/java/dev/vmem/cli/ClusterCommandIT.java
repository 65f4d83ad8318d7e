package dev.vmem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code vmem cluster init|status|decommission} against a ZooKeeper server in the test JVM, and {@code vmem demo --cluster}. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClusterCommandIT {
    private static final String SECRET = "it-secret-8d3f";

    @TempDir
    Path work;

    private record Result(int exit, String out, String err) {
    }

    private Result run(Path tmp, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Djava.io.tmpdir=" + tmp, "-jar",
                System.getProperty("vmem.jar")));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        try {
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + cmd);
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void init_status_decommission_withCredentialsFromAFile() throws Exception {
        Path credentials = work.resolve("zk-credentials");
        Files.writeString(credentials, "member:" + SECRET + "\n");
        Path tmp = Files.createDirectories(work.resolve("tmp"));
        // A data directory of the test's own: the server writes its configuration file beside it and never deletes it.
        Path zkData = Files.createDirectories(work.resolve("zk").resolve("data"));
        InstanceSpec spec = new InstanceSpec(zkData.toFile(), InstanceSpec.getRandomPort(), InstanceSpec.getRandomPort(),
                InstanceSpec.getRandomPort(), true, 1, 500, 100, Map.of(), "127.0.0.1");
        try (TestingServer zk = new TestingServer(spec, true)) {
            String[] where = {"--zk", zk.getConnectString(), "--path", "/it/space", "--credentials-file",
                    credentials.toString()};
            Result init = run(tmp, concat(new String[] {"cluster", "init", "--size", "1M", "--lease-size", "64"}, where));
            assertEquals(0, init.exit, init.err);
            assertTrue(init.out.startsWith("created /it/space"), init.out);
            Result again = run(tmp, concat(new String[] {"cluster", "init", "--size", "1M", "--lease-size", "128"}, where));
            assertEquals(1, again.exit, again.out + again.err);
            assertTrue(again.err.startsWith("vmem: ") && again.err.contains("/it/space")
                    && again.err.contains("leaseSize=64"), again.err);
            Result status = run(tmp, concat(new String[] {"cluster", "status", "--json"}, where));
            assertEquals(0, status.exit, status.err);
            Map<?, ?> json = JsonReader.obj(JsonReader.parse(status.out.strip()));
            assertEquals(0, JsonReader.num(json.get("cursor")));
            assertEquals(1 << 20, JsonReader.num(json.get("free")));
            assertEquals(List.of(), JsonReader.arr(json.get("members")));
            Result unknown = run(tmp, concat(new String[] {"cluster", "decommission", "ghost"}, where));
            assertEquals(1, unknown.exit);
            assertTrue(unknown.err.contains("'ghost' is not a member"), unknown.err);
            Result stranger = run(tmp, "cluster", "status", "--zk", zk.getConnectString(), "--path", "/it/space");
            assertEquals(1, stranger.exit);
            assertTrue(stranger.err.contains("NoAuth"), stranger.err);
            for (Result r : List.of(init, again, status, unknown, stranger)) {
                assertFalse((r.out + r.err).contains(SECRET), "the secret was printed: " + r);
            }
        }
    }

    @Test
    void demoCluster_json_showsNoDuplicatesAndNoReuse_inUnderAMinute_leavingNothingBehind() throws Exception {
        Path tmp = Files.createDirectories(work.resolve("demo-tmp"));
        long start = System.nanoTime();
        Result r = run(tmp, "demo", "--cluster", "--json");
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertEquals(0, r.exit, r.out + r.err);
        Map<?, ?> json = JsonReader.obj(JsonReader.parse(r.out.strip()));
        assertEquals(3, JsonReader.num(json.get("nodes")));
        assertEquals(0, JsonReader.num(json.get("duplicates")));
        assertEquals(0, JsonReader.num(json.get("reused_after_restart")));
        assertTrue(JsonReader.num(json.get("ids")) > 0 && JsonReader.num(json.get("leases")) > 0, r.out);
        assertEquals(3, JsonReader.obj(json.get("ids_per_second_per_node")).size(), r.out);
        assertTrue(seconds < 60, "the demo took " + seconds + " s");
        try (var left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList(), "the demo left files in its temporary directory");
        }
        assertFalse(ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine().orElse("")
                .contains("ClusterNodeWorker") && p.info().commandLine().orElse("").contains(tmp.toString())),
                "a node process outlived the demo");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}

package dev.vmem.cli;

import static dev.vmem.cli.JsonReader.arr;
import static dev.vmem.cli.JsonReader.num;
import static dev.vmem.cli.JsonReader.obj;
import static dev.vmem.cli.VmemCommandIT.assertOneErrorLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vmem.cli.VmemCommandIT.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vmem claim} and {@code vmem reconcile}, end to end through the jar. */
class ClaimReconcileIT {
    private static final long TIMEOUT_SECONDS = 30;

    @TempDir
    Path work;

    private int runs;

    /** Runs {@code java -jar vmem.jar --store work/store ARGS}, output kept out of the store's directory. */
    private Result run(String... args) throws IOException, InterruptedException {
        String jar = System.getProperty("vmem.jar");
        assertNotNull(jar, "the vmem.jar system property names the jar under test (set by failsafe)");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", jar, "--store", work.resolve("store").toString()));
        cmd.addAll(List.of(args));
        Path out = work.resolve(++runs + ".out");
        Path err = work.resolve(runs + ".err");
        Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        try {
            p.getOutputStream().close();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                fail("timed out: " + cmd);
            }
            return new Result(cmd, p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            VmemCommandIT.destroy(p);
        }
    }

    private Result ok(String... args) throws IOException, InterruptedException {
        Result r = run(args);
        assertEquals(0, r.exit(), r.describe());
        assertEquals("", r.err(), r.describe());
        return r;
    }

    private List<Long> allocated(String arena) throws IOException, InterruptedException {
        List<Long> out = new ArrayList<>();
        for (Object s : arr(obj(JsonReader.parse(ok("dump", arena, "--json").out())).get("segments"))) {
            Map<?, ?> seg = obj(s);
            if ("allocated".equals(seg.get("type"))) {
                out.add(num(seg.get("start")));
                out.add(num(seg.get("size")));
            }
        }
        return out;
    }

    @Test
    void claim_allocatesExactlyTheRange_andRefusesOneInUseOrOutside() throws Exception {
        ok("create", "ids", "--quantum", "16", "--span", "0x1000:0x1000");
        assertEquals("", ok("claim", "ids", "0x1100", "64").out());
        assertEquals(List.of(0x1100L, 64L), allocated("ids"));
        assertOneErrorLine(run("claim", "ids", "0x1120", "16"), 3, "[4352, 4416)");
        assertOneErrorLine(run("claim", "ids", "0x3000", "16"), 2, "[12288, 12304)");
        assertOneErrorLine(run("claim", "ids", "0x1008", "16"), 2, "base=4104");
        assertOneErrorLine(run("claim", "ids", "4k", "zero"), 2, "zero");
        assertOneErrorLine(run("claim", "nope", "0", "16"), 2, "nope");
        assertEquals(List.of(0x1100L, 64L), allocated("ids"), "refused claims changed nothing");
        ok("free", "ids", "0x1100", "--size", "64");
        assertEquals(0, run("check").exit());
    }

    @Test
    void reconcile_printsTheReport_inTextAndJson_andNamesABadLine() throws Exception {
        ok("create", "blocks", "--quantum", "1", "--span", "0:1000");
        ok("claim", "blocks", "0", "8");
        ok("claim", "blocks", "100", "20");
        ok("claim", "blocks", "200", "4");
        Path file = work.resolve("live.txt");
        Files.writeString(file, "# base size\n100 20\n\n0x1F4 8\n0 4\n");
        Result r = ok("reconcile", "blocks", "--from", file.toString());
        assertEquals(List.of("leaked 2 (12 values), freed: [0, 8) [200, 204)",
                "lost 2 (12 values), claimed: [0, 4) [500, 508)"), r.outLines());
        assertEquals(List.of(0L, 4L, 100L, 20L, 500L, 8L), allocated("blocks"));
        Map<?, ?> j = obj(JsonReader.parse(ok("reconcile", "blocks", "--from", file.toString(), "--json").out()));
        assertEquals(List.of(0L, 0L, 0L, 0L, 3L), List.of(num(j.get("leaked")), num(j.get("lost")),
                num(j.get("leakedValues")), num(j.get("lostValues")), num(j.get("ranges"))));
        Files.writeString(file, "");
        j = obj(JsonReader.parse(ok("reconcile", "blocks", "--from", file.toString(), "--json").out()));
        assertEquals(3, num(j.get("leaked")));
        assertEquals(100, num(obj(arr(j.get("firstLeaked")).get(1)).get("base")));

        Files.writeString(file, "10 5\n20 x5\n");
        assertOneErrorLine(run("reconcile", "blocks", "--from", file.toString()), 2, "x5");
        assertTrue(run("reconcile", "blocks", "--from", file.toString()).err().contains("line 2"));
        Files.writeString(file, "10 5 7\n");
        assertTrue(run("reconcile", "blocks", "--from", file.toString()).err().contains("line 1"));
        Files.writeString(file, "10 0\n");
        assertOneErrorLine(run("reconcile", "blocks", "--from", file.toString()), 2, "size=0");
        Files.writeString(file, "10 10\n15 10\n");
        assertOneErrorLine(run("reconcile", "blocks", "--from", file.toString()), 2, "[15, 25)");
        Files.writeString(file, "10 10\n990 20\n");
        assertOneErrorLine(run("reconcile", "blocks", "--from", file.toString()), 2, "[0, 1000)");
        assertOneErrorLine(run("reconcile", "blocks", "--from", work.resolve("missing.txt").toString()), 1,
                "missing.txt");
        assertEquals(List.of(), allocated("blocks"), "refused reconciles changed nothing");
        assertEquals(0, run("check").exit());
    }
}

package dev.vmem.cli;

import static dev.vmem.cli.JarRunner.ok;
import static dev.vmem.cli.JarRunner.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.cli.JarRunner.Result;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vmem create --quarantine DURATION --quarantine-frees N}, end to end on the built jar: the rule survives
 * between commands (each one a process), {@code list} and {@code stats} show it, a freed value is not handed out
 * again while it is held (the failure says why), {@code dump} names the quarantined block, and bad values are
 * refused naming them, creating nothing.
 */
@Timeout(120)
class QuarantineIT {
    @TempDir
    Path work;

    @Test
    void createdWithAQuarantine_theArenaHoldsAFreedValue_acrossCommands_andShowsIt() throws Exception {
        Path store = work.resolve("store");
        ok(work, store, "create", "ids", "--quantum", "1", "--span", "0:4", "--quarantine", "1h", "--quarantine-frees", "2");
        ok(work, store, "alloc", "ids", "1", "--count", "4");
        ok(work, store, "free", "ids", "2");

        List<String> list = ok(work, store, "list").out.lines().toList();
        assertTrue(list.get(0).trim().endsWith("QUARANTINE"), list.toString());
        assertTrue(list.get(1).trim().endsWith("3600000ms+2frees"), list.toString());
        Map<?, ?> arena = (Map<?, ?>) ((List<?>) ((Map<?, ?>) JsonReader.parse(ok(work, store, "list", "--json").out))
                .get("arenas")).get(0);
        Map<?, ?> rule = (Map<?, ?>) arena.get("quarantine");
        assertEquals(3_600_000L, ((Number) rule.get("delay_ms")).longValue(), arena.toString());
        assertEquals(2L, ((Number) rule.get("frees")).longValue(), arena.toString());

        String stats = ok(work, store, "stats", "ids").out;
        assertTrue(stats.startsWith("ids: total=4 allocated=3 free=0 "), stats);
        assertTrue(stats.contains("quarantined=1 quarantine=3600000ms+2frees"), stats);
        assertTrue(ok(work, store, "dump", "ids", "--json").out.contains("\"quarantined\""), "dump names the block");

        Result full = run(work, store, "alloc", "ids", "1");
        assertEquals(3, full.exit, full.describe());
        assertTrue(full.err.contains("quarantined=1") && full.err.contains("it would fit in quarantined space"),
                full.describe());
        assertTrue(run(work, store, "free", "ids", "2").err.contains("in quarantine"), "a second free is a double free");
        assertTrue(ok(work, store, "check").out.contains("is sound"));
    }

    @Test
    void badQuarantineValues_areRefused_namingThem_andCreateNothing() throws Exception {
        Path store = work.resolve("store");
        ok(work, store, "create", "first", "--quantum", "1");
        for (String[] bad : new String[][] {{"--quarantine", "2x"}, {"--quarantine", "0s"}, {"--quarantine-frees", "0"},
                {"--quarantine", "-1s"}, {"--quarantine", "1s", "--qcache-max", "8"}}) {
            List<String> args = new ArrayList<>(List.of("create", "x", "--quantum", "1"));
            args.addAll(List.of(bad));
            Result r = run(work, store, args.toArray(String[]::new));
            assertEquals(2, r.exit, String.join(" ", bad) + ": " + r.describe());
            String named = bad[1].equals("0") ? "frees=0" : bad.length > 2 ? "qcacheMax=8" : bad[1].equals("0s")
                    ? "delay=PT0S" : bad[1];
            assertTrue(r.err.contains(named), String.join(" ", bad) + " names " + named + ": " + r.describe());
        }
        assertEquals(2, ok(work, store, "list").out.lines().count(), "only the first arena: no QUARANTINE column either");
    }
}

package dev.vmem.cli;

import static dev.vmem.cli.JsonReader.arr;
import static dev.vmem.cli.JsonReader.num;
import static dev.vmem.cli.JsonReader.obj;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vmem.Segment;
import dev.vmem.store.PersistentArena;
import dev.vmem.store.VmemStore;
import dev.vmem.testing.StoreDirectories;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * End-to-end tests of the {@code vmem} command: each runs {@code java -jar target/vmem.jar ...} as a
 * separate process (the jar's path comes from the {@code vmem.jar} system property that failsafe sets)
 * with a temporary store and working directory, and judges only what a user sees: exit code, stdout,
 * stderr and the files the command writes.
 */
class VmemCommandIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** Options that only make each short-lived JVM start faster; the command runs as with plain java -jar. */
    private static final List<String> JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    private static final AtomicInteger RUNS = new AtomicInteger();

    /** Where stdout and stderr of the processes go (kept out of their working directories). */
    @TempDir
    static Path io;

    /** Holds the store that the error tests start from (each works on a copy): see {@link #buildFixture}. */
    @TempDir
    static Path fixtureWork;

    private static Path jar;
    private static Path fixture;
    private static String fixtureDump;
    private static String fixtureStats;

    @BeforeAll
    static void buildFixture() throws Exception {
        String property = System.getProperty("vmem.jar");
        assertNotNull(property, "the vmem.jar system property names the jar under test (set by failsafe)");
        jar = Path.of(property).toAbsolutePath();
        assertTrue(Files.isRegularFile(jar), "no jar at " + jar + ": run mvn verify, which packages it first");

        // Arena 'a', quantum 16, one span [0x1000, 0x2000): allocations at 4096, 4160, 4224, 4288 of 64
        // each, and 4160 freed again (a later free of 4160 is a double free).
        fixture = fixtureWork.resolve("store");
        ok(fixtureWork, fixture, "create", "a", "--quantum", "16", "--span", "0x1000:0x1000");
        assertEquals(List.of("4096", "4160", "4224", "4288"),
                ok(fixtureWork, fixture, "alloc", "a", "64", "--count", "4").outLines());
        ok(fixtureWork, fixture, "free", "a", "4160");
        fixtureDump = ok(fixtureWork, fixture, "dump", "a", "--json").out;
        fixtureStats = ok(fixtureWork, fixture, "stats", "--json").out;
    }

    /** Every command on a healthy store, with hex and decimal numbers. */
    @Nested
    class HappyPaths {
        @Test
        void drop_isRefusedForASourceAndForLiveAllocations_unlessForced_andGivesImportsBack(@TempDir Path work)
                throws Exception {
            Path store = work.resolve("store");
            ok(work, store, "create", "p", "--quantum", "16", "--span", "0x1000:0x1000");
            ok(work, store, "create", "c", "--quantum", "16", "--source", "p");
            ok(work, store, "alloc", "c", "32");
            assertOneErrorLine(run(work, store, "drop", "p"), 2, "c");
            assertOneErrorLine(run(work, store, "drop", "c"), 2, "c");
            assertEquals("", ok(work, store, "drop", "c", "--force", "--durability", "write").out);
            List<String> left = ok(work, store, "list").outLines();
            assertEquals(2, left.size(), "header and p: " + left);
            assertEquals("p", words(left.get(1)).get(0));
            Map<?, ?> p = obj(arr(obj(JsonReader.parse(ok(work, store, "stats", "--json").out)).get("arenas")).get(0));
            assertEquals(0, num(p.get("allocated")), "the import went back to p");
            assertEquals("", ok(work, store, "drop", "p").out, "nothing live, nobody imports: no --force needed");
            assertEquals(1, ok(work, store, "list").outLines().size(), "the header alone");
            assertEquals(0, run(work, store, "check").exit);
            assertTrue(ok(work, null, "drop", "--help").out.contains("Example: vmem drop scratch --force"));
        }

        @Test
        void sizeSuffixesAndHex_areReadEverywhereANumberIs(@TempDir Path work) throws Exception {
            Path store = work.resolve("store");
            ok(work, store, "create", "s", "--quantum", "1k", "--span", "0x100000:1M");
            assertEquals(List.of("1048576", "1052672", "1056768"),
                    ok(work, store, "alloc", "s", "4K", "--count", "0x3", "--align", "4k").outLines());
            assertOneErrorLine(run(work, store, "alloc", "s", "4k", "--count", "3G"), 2, "3G");
        }

        @Test
        void statsFragmentation_showsTheLargestFreeExtent_theOrders_andWhatIsTooSmall(@TempDir Path work)
                throws Exception {
            Path store = work.resolve("store");
            ok(work, store, "create", "a", "--quantum", "1", "--span", "0:1000");
            ok(work, store, "alloc", "a", "10", "--count", "5");
            ok(work, store, "free", "a", "10");
            ok(work, store, "free", "a", "30");
            Map<?, ?> f = obj(obj(arr(obj(JsonReader.parse(ok(work, store, "stats", "a", "--json", "--fragmentation",
                    "--request", "64").out)).get("arenas")).get(0)).get("fragmentation"));
            assertEquals(950, num(f.get("largest_free")));
            assertEquals(20, num(f.get("too_small")), "the two freed blocks of 10");
            List<?> orders = arr(f.get("by_order"));
            assertEquals(10, orders.size(), "orders 0 to 9: " + orders);
            assertEquals(2, num(obj(orders.get(3)).get("count")));
            assertEquals(950, num(obj(orders.get(9)).get("values")));
            String text = ok(work, store, "stats", "a", "--fragmentation", "--request", "64").out;
            assertTrue(text.contains("largest free extent 950 of 970 free values; 2.1% of free values are in extents"
                    + " smaller than 64"), text);
            assertOneErrorLine(run(work, store, "stats", "a", "--request", "64"), 2, "--request=64");
        }

        @Test
        void versionNamesTheReleaseAndTheStoreFormat(@TempDir Path work) throws Exception {
            Result version = ok(work, null, "--version");
            assertTrue(version.out.strip().matches("vmem \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?, store format 4"),
                    version.describe());
        }

        @Test
        void everyCommandWorksOnAHealthyStoreWithHexAndDecimalNumbers(@TempDir Path work) throws Exception {
            Path store = work.resolve("store");
            Result created = ok(work, store, "create", "a", "--quantum", "0x10", "--span", "0x1000:0x1000",
                    "--span", "65536:4096");
            assertEquals("", created.out, "create prints nothing");
            ok(work, store, "add-span", "a", "0x20000", "0x1000");
            ok(work, store, "create", "child", "--quantum", "16", "--source", "a", "--import-quantum", "0x100",
                    "--qcache-max", "64");

            List<Long> bases = ok(work, store, "alloc", "a", "0x40", "--count", "3").outLines().stream()
                    .map(Long::parseLong).toList();
            assertEquals(3, new HashSet<>(bases).size(), "three distinct blocks: " + bases);
            assertTrue(bases.stream().allMatch(b -> b % 16 == 0), "quantum-aligned: " + bases);
            long aligned = single(ok(work, store, "alloc", "a", "100", "--policy", "best", "--align", "0x100",
                    "--phase", "0x10"));
            assertEquals(16, aligned % 256, "--align 0x100 --phase 0x10 gives a base = 16 mod 256: " + aligned);
            long child = single(ok(work, store, "alloc", "child", "32"));
            assertEquals("", ok(work, store, "free", "a", "0x" + Long.toHexString(bases.get(1)), "--size", "0x40").out,
                    "free prints nothing");

            // list: header, then name, quantum, source, total, allocated, free.
            List<String> list = ok(work, store, "list").outLines();
            assertEquals(3, list.size(), "header and one line per arena: " + list);
            assertEquals(List.of("NAME", "QUANTUM", "SOURCE", "TOTAL", "ALLOCATED", "FREE"), words(list.get(0)));
            // a: 3 spans of 4096; live 64 + 64 + 112 (100 rounded up to the quantum) + 256 imported by child.
            assertEquals(List.of("a", "16", "-", "12288", "496", "11792"), words(list.get(1)));
            assertEquals(List.of("child", "16", "a", "256", "32", "224"), words(list.get(2)));
            List<?> listed = arr(obj(JsonReader.parse(ok(work, store, "list", "--json").out)).get("arenas"));
            assertEquals(2, listed.size());
            assertEquals(6, obj(listed.get(0)).size(), "name, quantum, source, total, allocated, free: " + listed);
            assertEquals("a", obj(listed.get(0)).get("name"));
            assertEquals(null, obj(listed.get(0)).get("source"));
            assertEquals("a", obj(listed.get(1)).get("source"));
            assertEquals(16, num(obj(listed.get(1)).get("quantum")));
            assertEquals(496, num(obj(listed.get(0)).get("allocated")));
            Map<?, ?> checked = obj(JsonReader.parse(ok(work, store, "check", "--json").out));
            assertEquals(Boolean.TRUE, checked.get("sound"));
            assertEquals(2, num(checked.get("arenas")));
            assertEquals(List.of(), arr(checked.get("problems")));

            // stats --json: every field, with the numbers the workload implies.
            Map<?, ?> stats = obj(JsonReader.parse(ok(work, store, "stats", "--json").out));
            List<?> arenas = arr(stats.get("arenas"));
            assertEquals(2, arenas.size());
            Map<?, ?> a = obj(arenas.get(0));
            Map<?, ?> c = obj(arenas.get(1));
            assertEquals("a", a.get("name"));
            assertEquals("child", c.get("name"));
            assertEquals(16, num(a.get("quantum")));
            assertEquals(null, a.get("source"));
            assertEquals("a", c.get("source"));
            for (String field : List.of("total", "allocated", "free", "imported", "spans", "segments", "live",
                    "allocations", "frees", "failures", "imports", "releases", "cursor")) {
                assertTrue(a.containsKey(field) && c.containsKey(field), "stats --json has '" + field + "': " + stats);
            }
            assertEquals(12288, num(a.get("total")));
            assertEquals(496, num(a.get("allocated")));
            assertEquals(11792, num(a.get("free")));
            assertEquals(3, num(a.get("spans")));
            assertEquals(4, num(a.get("live")));
            assertEquals(1, num(a.get("frees")));
            assertEquals(0, num(a.get("imported")));
            assertEquals(256, num(c.get("total")));
            assertEquals(32, num(c.get("allocated")));
            assertEquals(224, num(c.get("free")));
            assertEquals(256, num(c.get("imported")));
            assertEquals(1, num(c.get("imports")));
            assertEquals(1, num(c.get("live")));
            assertEquals(1, num(c.get("allocations")));

            // stats NAME (text) agrees.
            List<String> statsText = ok(work, store, "stats", "a").outLines();
            assertEquals(1, statsText.size(), statsText.toString());
            assertTrue(statsText.get(0).startsWith("a: total=12288 allocated=496 free=11792 "), statsText.get(0));

            // dump --json: well-formed, in address order, and adding up.
            Map<?, ?> dump = obj(JsonReader.parse(ok(work, store, "dump", "a", "--json").out));
            assertEquals("a", dump.get("name"));
            assertEquals(16, num(dump.get("quantum")));
            List<?> segments = arr(dump.get("segments"));
            Map<Long, Long> allocated = new TreeMap<>();
            TreeMap<Long, Long> spans = new TreeMap<>();
            long previous = Long.MIN_VALUE;
            long spanEnd = Long.MIN_VALUE;
            long inSpan = 0;
            for (Object o : segments) {
                Map<?, ?> seg = obj(o);
                long start = num(seg.get("start"));
                long size = num(seg.get("size"));
                Object type = seg.get("type");
                assertTrue(start >= previous, "dump is in address order: " + segments);
                assertTrue(size > 0, "segment sizes are positive: " + seg);
                previous = start;
                if ("span".equals(type)) {
                    assertTrue(start >= spanEnd, "spans do not overlap: " + segments);
                    assertTrue(spans.isEmpty() || inSpan == spans.lastEntry().getValue(),
                            "the segments of each span fill it exactly: " + segments);
                    spans.put(start, size);
                    spanEnd = start + size;
                    inSpan = 0;
                } else {
                    assertTrue("free".equals(type) || "allocated".equals(type), "type is span, free or allocated: " + seg);
                    assertTrue(start + size <= spanEnd, "each segment lies in the span before it: " + seg);
                    inSpan += size;
                    if ("allocated".equals(type)) {
                        allocated.put(start, size);
                    }
                }
            }
            assertEquals(spans.lastEntry().getValue(), inSpan, "the segments of the last span fill it: " + segments);
            assertEquals(Map.of(0x1000L, 4096L, 0x10000L, 4096L, 0x20000L, 4096L), spans);
            Map<?, ?> childDump = obj(JsonReader.parse(ok(work, store, "dump", "child", "--json").out));
            Map<?, ?> importedSpan = obj(arr(childDump.get("segments")).get(0));
            assertEquals("span", importedSpan.get("type"));
            assertEquals(Boolean.TRUE, importedSpan.get("imported"), "child's span was imported: " + childDump);
            long importedBase = num(importedSpan.get("start"));
            assertTrue(child >= importedBase && child + 32 <= importedBase + 256, "child's block is in its import");
            assertEquals(Map.of(bases.get(0), 64L, bases.get(2), 64L, aligned, 112L, importedBase, 256L), allocated,
                    "a's live allocations: two of the three blocks, the aligned one, and child's import");

            // dump (text): a header, then one line per span and segment.
            List<String> dumpText = ok(work, store, "dump", "a").outLines();
            assertEquals(List.of("START", "SIZE", "TYPE"), words(dumpText.get(0)));
            assertEquals(segments.size() + 1, dumpText.size(), dumpText.toString());
            assertEquals(List.of("4096", "4096", "span"), words(dumpText.get(1)));

            Result check = ok(work, store, "check");
            assertTrue(check.out.contains("sound"), check.describe());
        }
    }

    /** Bad input: its exit code, one line naming the bad value, and the store left as it was. */
    @Nested
    class RejectedInput {
        /** A bad input: the exit code it must give, and the value its message must name. */
        record BadInput(String label, int exit, String value, String... args) {
        }

        static Stream<BadInput> badInputs() {
            return Stream.of(
                    bad("unknown arena", 2, "nosuch", "alloc", "nosuch", "16"),
                    bad("unknown command", 2, "bogus", "bogus"),
                    bad("bad number 12abc", 2, "12abc", "alloc", "a", "12abc"),
                    bad("bad number 0x", 2, "0x", "alloc", "a", "0x"),
                    bad("bad number in a span", 2, "12abc", "add-span", "a", "0x3000", "12abc"),
                    bad("negative size", 2, "-5", "alloc", "a", "-5"),
                    bad("zero size", 2, "0", "alloc", "a", "0"),
                    bad("negative span size", 2, "-16", "add-span", "a", "0x3000", "-16"),
                    bad("zero span size", 2, "0", "add-span", "a", "0x3000", "0"),
                    bad("size > nocross", 2, "32", "alloc", "a", "64", "--nocross", "32"),
                    bad("max too small", 2, "32", "alloc", "a", "64", "--max", "32"),
                    bad("min..max window too small", 2, "4384", "alloc", "a", "64", "--min", "0x1100", "--max", "0x1120"),
                    bad("align not a power of two", 2, "24", "alloc", "a", "64", "--align", "24"),
                    bad("unknown policy", 2, "worst", "alloc", "a", "16", "--policy", "worst"),
                    bad("quantum not a power of two", 2, "3", "create", "b", "--quantum", "3"),
                    bad("unknown source", 2, "nosuch", "create", "b", "--quantum", "16", "--source", "nosuch"),
                    bad("duplicate arena", 2, "a", "create", "a", "--quantum", "16"),
                    bad("overlapping add-span", 2, "6144", "add-span", "a", "0x1800", "0x100"),
                    bad("double free", 4, "4160", "free", "a", "4160"),
                    bad("free inside an allocation", 4, "4100", "free", "a", "4100"),
                    bad("wrong --size", 4, "32", "free", "a", "4096", "--size", "32"),
                    bad("exhausted", 3, "65536", "alloc", "a", "0x10000"),
                    bad("exhausted under NEXT_FIT", 3, "65536", "alloc", "a", "0x10000", "--policy", "next"),
                    bad("unknown durability", 2, "fast", "alloc", "a", "16", "--durability", "fast"),
                    bad("drop of an unknown arena", 2, "nosuch", "drop", "nosuch"),
                    bad("arena name with a tab", 2, "U+0009", "create", "x\ty", "--quantum", "16"),
                    bad("drop of an arena with live allocations", 2, "a", "drop", "a"));
        }

        private static BadInput bad(String label, int exit, String value, String... args) {
            return new BadInput(label, exit, value, args);
        }

        /**
         * Every bad input, in turn, against one copy of the fixture: each must exit with its code and one
         * "vmem: " line naming the bad value, and leave every file of the store byte for byte as it was;
         * after them all, dump --json and stats --json still print what they printed before.
         */
        @TestFactory
        Stream<DynamicTest> badInputIsRejectedWithOneLineAndLeavesTheStoreUnchanged(@TempDir Path work)
                throws IOException, InterruptedException {
            Path store = work.resolve("store");
            StoreDirectories.copy(fixture, store);
            // The fixture's last close left its few journal records for the next open (a small journal is not
            // worth a checkpoint); the first close that checkpoints folds them in and starts an empty segment.
            // A counted failure makes one, so the cases below all start from a store whose journal is empty.
            assertEquals(3, run(work, store, "alloc", "a", "0x10000").exit, "an exhausted allocation exits 3");
            Stream<DynamicTest> cases = badInputs().map(bad -> DynamicTest.dynamicTest(bad.label() + ": vmem "
                    + String.join(" ", bad.args()) + " exits " + bad.exit(), () -> {
                        Map<String, String> before = fingerprint(store);
                        Result r = run(work, store, bad.args());
                        // An exhausted allocation is counted (stats' failures), and a clean close checkpoints that
                        // count: only the checkpoint files may change then, never the journal or the contents.
                        boolean counted = bad.exit() == 3;
                        assertAll(() -> assertOneErrorLine(r, bad.exit(), bad.value()),
                                () -> assertEquals(withoutCheckpoints(before, counted),
                                        withoutCheckpoints(fingerprint(store), counted), "a rejected command leaves the "
                                        + "store's files as they were: " + r.describe()));
                    }));
            return Stream.concat(cases, Stream.of(DynamicTest.dynamicTest("dump and stats unchanged by them all", () -> {
                assertEquals(fixtureDump, ok(work, store, "dump", "a", "--json").out);
                assertEquals(fixtureStats.replaceAll("\"failures\":\\d+", "\"failures\":_"),
                        ok(work, store, "stats", "--json").out.replaceAll("\"failures\":\\d+", "\"failures\":_"),
                        "stats unchanged but for the count of failed allocations");
            })));
        }

        private static Map<String, String> withoutCheckpoints(Map<String, String> files, boolean drop) {
            Map<String, String> out = new java.util.TreeMap<>(files);
            if (drop) {
                out.keySet().removeIf(name -> name.startsWith("checkpoint-"));
            }
            return out;
        }

        @Test
        void aBadDurabilityNamesTheValueAndTheChoices(@TempDir Path work) throws Exception {
            Path store = work.resolve("new-store");
            Result r = run(work, store, "create", "x", "--quantum", "1", "--durability", "syncd");
            assertOneErrorLine(r, 2, "syncd");
            assertTrue(r.err.contains("sync, write, buffered"), "the choices are named: " + r.describe());
            assertFalse(Files.exists(store.resolve("FORMAT")), "rejected before the store is touched: " + listFiles(store));
        }

        @Test
        void verboseErrorsCarryAStackTrace(@TempDir Path work) throws Exception {
            Path store = work.resolve("store");
            StoreDirectories.copy(fixture, store);
            Result r = run(work, store, "--verbose", "alloc", "a", "64", "--align", "24");
            assertEquals(2, r.exit, r.describe());
            assertTrue(r.errLines().stream().anyMatch(l -> l.startsWith("vmem: ") && l.contains("24")), r.describe());
            assertTrue(r.errLines().stream().anyMatch(l -> l.startsWith("\tat ")), "--verbose prints the stack trace: "
                    + r.describe());
        }

        @Test
        void aRejectedCreateLeavesNoStoreBehind(@TempDir Path work) throws Exception {
            Path store = work.resolve("new-store");
            assertOneErrorLine(run(work, store, "create", "x", "--quantum", "3"), 2, "3");
            Result list = run(work, store, "list");
            assertEquals(2, list.exit, "after a rejected create there is still no store, so list fails as on any "
                    + "missing store; instead the directory holds " + listFiles(store) + ": " + list.describe());
        }

        @Test
        void exitCode1ForAnotherFailure(@TempDir Path work) throws Exception {
            Path store = work.resolve("store");
            StoreDirectories.copy(fixture, store);
            Path out = work.resolve("no-such-dir").resolve("x.svg");
            assertOneErrorLine(run(work, store, "map", "a", "--out", out.toString()), 1, out.toString());
            assertFalse(Files.exists(out));
        }

        @Test
        void lockedStoreExits5AndIsLeftUnchanged(@TempDir Path work) throws Exception {
            Path store = work.resolve("store");
            StoreDirectories.copy(fixture, store);
            Map<String, String> before = fingerprint(store);
            try (VmemStore held = VmemStore.open(store)) {
                assertEquals(List.of("a"), held.arenas().stream().map(PersistentArena::name).toList());
                assertOneErrorLine(run(work, store, "alloc", "a", "16"), 5, store.toString());
                Result verbose = run(work, store, "--verbose", "free", "a", "4096");
                assertEquals(5, verbose.exit, verbose.describe());
                assertTrue(verbose.errLines().stream().anyMatch(l -> l.startsWith("vmem: ") && l.contains(store.toString())),
                        verbose.describe());
                assertTrue(verbose.errLines().stream().anyMatch(l -> l.startsWith("\tat ")), verbose.describe());
                assertEquals(before, fingerprint(store), "the locked-out commands wrote nothing");
            }
            assertEquals(fixtureDump, ok(work, store, "dump", "a", "--json").out);
            assertEquals(fixtureStats, ok(work, store, "stats", "--json").out);
        }

        @Test
        void corruptedJournalExits6AndIsLeftUnchanged(@TempDir Path work) throws Exception {
            Path store = work.resolve("store");
            ok(work, store, "create", "a", "--quantum", "1", "--span", "0:1000");
            ok(work, store, "alloc", "a", "10", "--count", "3");
            ok(work, store, "free", "a", "10");

            Path wal;
            try (Stream<Path> files = Files.list(store.resolve("journal"))) {
                wal = files.filter(p -> p.getFileName().toString().matches("J\\d{20}\\.wal")).sorted().findFirst()
                        .orElseThrow(() -> new AssertionError("no journal segment in " + store));
            }
            // A closed store's journal is one segment (empty, or the few records a close left for the next open to
            // replay), and the store head names it: damage to the segment's header is damage to the store.
            byte[] bytes = Files.readAllBytes(wal);
            assertTrue(bytes.length >= 24, "a closed store's journal segment starts with its 24-byte header");
            bytes[9] ^= (byte) 0xFF;
            Files.write(wal, bytes);
            Map<String, String> before = fingerprint(store);

            String file = wal.getFileName().toString();
            assertOneErrorLine(run(work, store, "list"), 6, file);
            assertOneErrorLine(run(work, store, "alloc", "a", "1"), 6, file);
            Result verbose = run(work, store, "--verbose", "dump", "a");
            assertEquals(6, verbose.exit, verbose.describe());
            assertTrue(verbose.errLines().stream().anyMatch(l -> l.startsWith("vmem: ") && l.contains(file)),
                    verbose.describe());
            assertTrue(verbose.errLines().stream().anyMatch(l -> l.startsWith("\tat ")), verbose.describe());
            assertEquals(before, fingerprint(store), "a corrupted store is refused, not repaired or cut");
        }

        @Test
        void aFileWhereADirectoryIsNeeded_isNamedInWords_notByExceptionClass(@TempDir Path work) throws Exception {
            Path file = Files.writeString(work.resolve("afile"), "");
            Result demo = run(work, null, "demo", "--dir", file.toString());
            assertOneErrorLine(demo, 1, "not a directory: " + file);
            Result list = run(work, file, "list");
            assertTrue(list.exit != 0 && list.errLines().size() == 1 && list.err.contains(file.toString())
                    && !list.err.contains("Exception"), list.describe());
        }

        @Test
        void repairDescribesTheLossThenAcceptsItOnlyWhenAsked(@TempDir Path work) throws Exception {
            Path store = work.resolve("store");
            ok(work, store, "create", "ids", "--quantum", "1", "--span", "1:1000");
            ok(work, store, "alloc", "ids", "1", "--policy", "next", "--count", "5");
            Path wal;
            try (Stream<Path> files = Files.list(store.resolve("journal"))) {
                wal = files.filter(p -> p.getFileName().toString().endsWith(".wal")).findFirst().orElseThrow();
            }
            byte[] bytes = Files.readAllBytes(wal);
            bytes[9] ^= (byte) 0xFF; // the segment header the store head names
            Files.write(wal, bytes);
            assertEquals(6, run(work, store, "check").exit);

            Result told = run(work, store, "repair");
            assertEquals(1, told.exit, told.describe());
            assertTrue(told.out.contains("accepting the loss drops") && told.out.contains("--accept-loss"), told.describe());
            assertEquals(6, run(work, store, "check").exit, "describing changed nothing");

            Result done = run(work, store, "repair", "--accept-loss");
            assertEquals(0, done.exit, done.describe());
            assertTrue(done.out.contains("repaired"), done.describe());
            assertEquals(0, run(work, store, "check").exit);
            List<String> next = ok(work, store, "alloc", "ids", "1", "--policy", "next").outLines();
            assertEquals(List.of("6"), next, "the rotor goes on after the five IDs handed out before");
            assertEquals(0, run(work, store, "repair").exit, "a sound store has nothing to repair");
        }
    }

    /** alloc --count, NEXT_FIT across processes, map, demo, and where the store is by default. */
    @Nested
    class AllocMapDemoAndConfig {
        @Test
        void allocCountStreamsEachBaseAsItIsAllocated(@TempDir Path work) throws Exception {
            Path store = work.resolve("store");
            ok(work, store, "create", "p", "--quantum", "1", "--span", "0:1000000");
            int count = 20_000;
            Path err = io.resolve("stream-" + RUNS.incrementAndGet() + ".err");
            Process p = new ProcessBuilder(commandLine(store, "alloc", "p", "1", "--policy", "next", "--count", "" + count))
                    .directory(work.toFile()).redirectError(err.toFile()).start();
            Thread watchdog = new Thread(() -> {
                try {
                    if (!p.waitFor(90, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "vmem-it-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
            try {
                p.getOutputStream().close();
                List<Long> bases = new ArrayList<>(count);
                boolean aliveAtFirstLine;
                try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String first = in.readLine();
                    aliveAtFirstLine = p.isAlive();
                    assertNotNull(first, "alloc --count printed nothing; stderr: " + Files.readString(err));
                    bases.add(Long.parseLong(first));
                    for (String line; (line = in.readLine()) != null; ) {
                        bases.add(Long.parseLong(line));
                    }
                }
                assertTrue(p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS), "alloc --count did not finish");
                assertEquals(0, p.exitValue(), "stderr: " + Files.readString(err));
                assertTrue(aliveAtFirstLine, "the first base must arrive while the process is still allocating (each "
                        + "line flushed once durable), not all at exit");
                assertEquals(count, bases.size());
                for (int i = 1; i < bases.size(); i++) {
                    assertTrue(bases.get(i) > bases.get(i - 1), "NEXT_FIT bases rise: " + bases.get(i - 1) + " then "
                            + bases.get(i) + " at line " + (i + 1));
                }
                assertEquals(count, new HashSet<>(bases).size());
                assertEquals("", Files.readString(err));
            } finally {
                destroy(p);
                watchdog.interrupt();
            }
            Map<?, ?> stats = obj(arr(obj(JsonReader.parse(ok(work, store, "stats", "--json").out)).get("arenas")).get(0));
            assertEquals(count, num(stats.get("live")), "every printed base is durable");
        }

        /** SIGTERM in the middle of alloc --count: every allocation in the store was printed, and none more. */
        @Test
        void allocCount_stoppedBySigterm_leavesExactlyWhatItPrinted(@TempDir Path work) throws Exception {
            Path store = work.resolve("store");
            ok(work, store, "create", "p", "--quantum", "1", "--span", "0:10M");
            long printedSoFar = 0;
            for (String level : List.of("sync", "buffered")) {
                long printed = allocStoppedBySigterm(work, store, level, "5M", 300);
                Map<?, ?> stats = statsAfterStop(work, store, level);
                List<?> segments = arr(obj(JsonReader.parse(ok(work, store, "dump", "p", "--json").out)).get("segments"));
                long live = segments.stream().map(JsonReader::obj).filter(seg -> "allocated".equals(seg.get("type")))
                        .count();
                assertEquals(live, num(stats.get("live")));
                assertTrue(printed >= 300, level + ": " + printed);
                long before = printedSoFar;
                printedSoFar += printed;
                assertEquals(printedSoFar, live, level + ": every allocation in the store was printed, and none"
                        + " more (this run printed " + printed + ", earlier runs " + before + ")");
                ok(work, store, "check");
            }
        }

        /**
         * SIGTERM just after the last base is printed, while the command syncs and closes the store: the hook still
         * waits for them (it used to be removed when the loop ended, and the JVM halted mid-close).
         */
        @Test
        void allocCount_sigtermAfterTheLastBase_leavesEveryBaseDurableAndTheStoreClean(@TempDir Path work)
                throws Exception {
            Path store = work.resolve("store");
            ok(work, store, "create", "p", "--quantum", "1", "--span", "0:10M");
            for (String level : List.of("buffered", "write")) {
                assertEquals(2000, allocStoppedBySigterm(work, store, level, "2000", 2000), level);
                assertEquals(level.equals("buffered") ? 2000 : 4000, num(statsAfterStop(work, store, level).get("live")),
                        level + ": every printed base is durable");
                ok(work, store, "check");
            }
        }

        /** The stopped command's stderr, for the failure message of the command run after it. */
        private Path stoppedErr;

        /**
         * Runs {@code alloc p 1 --policy next --count count} at {@code level} and sends it SIGTERM once it has
         * printed {@code lines} bases; returns how many it printed in all.
         */
        private long allocStoppedBySigterm(Path work, Path store, String level, String count, int lines)
                throws Exception {
            stoppedErr = io.resolve("term-" + RUNS.incrementAndGet() + ".err");
            Process p = new ProcessBuilder(commandLine(store, "alloc", "p", "1", "--policy", "next", "--count", count,
                    "--durability", level)).directory(work.toFile()).redirectError(stoppedErr.toFile()).start();
            long printed = 0;
            try {
                p.getOutputStream().close();
                try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    while (printed < lines && in.readLine() != null) {
                        printed++;
                    }
                    p.toHandle().destroy(); // SIGTERM (Process.destroy would also close our end of the pipe)
                    while (in.readLine() != null) {
                        printed++;
                    }
                }
                assertTrue(p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS), "alloc did not stop on SIGTERM");
            } finally {
                destroy(p);
            }
            return printed;
        }

        /** Arena p's figures after a stopped alloc; a reopen that warned fails, showing what the stopped one said. */
        private Map<?, ?> statsAfterStop(Path work, Path store, String level) throws Exception {
            try {
                return obj(arr(obj(JsonReader.parse(ok(work, store, "stats", "--json").out)).get("arenas")).get(0));
            } catch (AssertionError e) { // e.g. a store the stopped command did not close cleanly: say why
                throw new AssertionError(level + ": " + e.getMessage() + "\n--- stderr of the stopped alloc:\n"
                        + Files.readString(stoppedErr), e);
            }
        }

        /** An exhausted alloc --count exits 3 and says how many it allocated; each of them is printed and durable. */
        @Test
        void allocCount_stoppedByExhaustion_saysHowManyItAllocated(@TempDir Path work) throws Exception {
            for (String level : List.of("sync", "buffered")) {
                Path store = work.resolve(level);
                ok(work, store, "create", "p", "--quantum", "1", "--span", "0:10");
                Result r = run(work, store, "alloc", "p", "3", "--count", "5", "--durability", level);
                assertOneErrorLine(r, ExitCode.EXHAUSTED.code, "3");
                assertTrue(r.err.contains("stopped after allocating 3 of 5"), r.describe());
                assertEquals(List.of("0", "3", "6"), r.outLines(), r.describe());
                try (VmemStore s = VmemStore.open(store)) {
                    PersistentArena p = s.arena("p");
                    assertEquals(List.of(0L, 3L, 6L), p.segments().stream()
                            .filter(seg -> seg.kind() == Segment.Kind.ALLOCATED).map(Segment::base).toList(),
                            level + ": exactly the printed bases are in the store");
                    assertEquals(List.of(), p.checkInvariants());
                    assertEquals(List.of(), s.verify());
                }
            }
        }

        @Test
        void everyCommandThatWritesTakesDurabilityInAnyCase_andTheHelpSaysWhatEachLevelPromises(@TempDir Path work)
                throws Exception {
            Path store = work.resolve("store");
            ok(work, store, "create", "a", "--quantum", "1", "--span", "0:100", "--durability", "WRITE");
            ok(work, store, "add-span", "a", "1000", "100", "--durability", "Buffered");
            long base = single(ok(work, store, "alloc", "a", "10", "--durability", "buffered"));
            ok(work, store, "free", "a", "" + base, "--durability", "sync");
            Map<?, ?> a = obj(arr(obj(JsonReader.parse(ok(work, store, "stats", "--json").out)).get("arenas")).get(0));
            assertEquals(200, num(a.get("total")), "create and add-span at write and buffered are durable: " + a);
            assertEquals(1, num(a.get("allocations")), a.toString());
            assertEquals(0, num(a.get("live")), "the free at sync is durable: " + a);

            for (String command : List.of("create", "add-span", "alloc", "free")) {
                String help = ok(work, null, command, "--help").out.replaceAll("\\s+", " ");
                assertTrue(help.contains("--durability=sync|write|buffered") && help.contains("it survives a power loss")
                        && help.contains("it survives a kill of the process") && help.contains("any crash may take back")
                        && help.contains("when the command exits 0 all it did is durable"), command + " --help: " + help);
            }
            String alloc = ok(work, null, "alloc", "--help").out.replaceAll("\\s+", " ");
            assertTrue(alloc.contains("At write and buffered, after the last allocation the command syncs the store "
                    + "(store.sync()) before it exits"), alloc);
        }

        /**
         * At write and buffered each base is printed once acknowledged, before it is durable; the command syncs
         * before it exits, so a run that exits 0 leaves every printed base allocated in the store.
         */
        @Test
        void allocCountAtWriteAndBufferedLeavesEveryPrintedBaseInTheStore(@TempDir Path work) throws Exception {
            int count = 3000;
            for (String level : List.of("write", "buffered")) {
                Path store = work.resolve(level);
                ok(work, store, "create", "ids", "--quantum", "1", "--span", "1:1000000", "--durability", level);
                List<Long> bases = ok(work, store, "alloc", "ids", "1", "--policy", "next", "--count", "" + count,
                        "--durability", level).outLines().stream().map(Long::parseLong).toList();
                assertEquals(count, new HashSet<>(bases).size(), level + ": distinct bases");
                try (VmemStore s = VmemStore.open(store)) {
                    assertTrue(s.recovery().rotorSkips().isEmpty(), level + ": a clean exit spends the rotor marks: "
                            + s.recovery());
                    PersistentArena ids = s.arena("ids");
                    assertEquals(count, ids.stats().liveAllocations(), level + ": every printed base is allocated");
                    List<Long> allocated = ids.segments().stream()
                            .filter(seg -> seg.kind() == Segment.Kind.ALLOCATED).map(Segment::base).toList();
                    assertEquals(bases, allocated, level + ": exactly the printed bases, in order");
                    assertEquals(count + 1, ids.nextFitCursor(), level + ": the rotor is exactly after the last base");
                    assertEquals(List.of(), ids.checkInvariants());
                    assertEquals(List.of(), s.verify());
                }
            }
        }

        @Test
        void nextFitContinuesAcrossProcessesEvenAfterAFree(@TempDir Path work) throws Exception {
            Path store = work.resolve("store");
            ok(work, store, "create", "pids", "--quantum", "1", "--span", "300:32468");
            assertEquals(300, single(ok(work, store, "alloc", "pids", "1", "--policy", "next")));
            assertEquals(301, single(ok(work, store, "alloc", "pids", "1", "--policy", "next")));
            ok(work, store, "free", "pids", "300");
            assertEquals(302, single(ok(work, store, "alloc", "pids", "1", "--policy", "next")),
                    "the freed 300 is not handed out again before the rotor wraps");
            Map<?, ?> dump = obj(JsonReader.parse(ok(work, store, "dump", "pids", "--json").out));
            assertEquals(303, num(dump.get("cursor")));
        }

        @Test
        void mapDrawsAFragmentedArenaAsSvg(@TempDir Path work) throws Exception {
            Path store = work.resolve("store");
            ok(work, store, "create", "m", "--quantum", "1", "--span", "0:2000", "--span", "10000:500");
            List<String> bases = ok(work, store, "alloc", "m", "5", "--count", "200").outLines();
            assertEquals(200, bases.size());
            // Free every other block. (In-process, through the library: 100 more JVM starts would add a minute.)
            try (VmemStore s = VmemStore.open(store)) {
                PersistentArena m = s.arena("m");
                for (int i = 0; i < bases.size(); i += 2) {
                    m.free(Long.parseLong(bases.get(i)));
                }
            }
            Path svg = work.resolve("x.svg");
            Result r = ok(work, store, "map", "m", "--out", svg.toString());
            assertTrue(r.out.contains(svg.toString()), r.describe());

            Document doc = SvgMapTest.parse(Files.readAllBytes(svg));
            Element root = doc.getDocumentElement();
            assertEquals("svg", root.getLocalName());
            assertEquals(SvgMapTest.SVG_NS, root.getNamespaceURI());
            String text = root.getTextContent();
            assertTrue(text.contains("100 live allocations"), text);
            assertTrue(text.contains("2 spans"), text);
            List<Segment> segments;
            try (VmemStore s = VmemStore.open(store)) {
                segments = s.arena("m").segments();
            }
            SvgMapTest.assertAxesMatchSpans(doc, segments);
            SvgMapTest.assertRunTitlesMatchSegments(doc, segments);
        }

        /** One value allocated in the middle of a 2^40 span: still drawn, at the minimum width the legend states. */
        @Test
        void mapOfANearlyEmptyHugeSpan_stillShowsTheOneAllocation(@TempDir Path work) throws Exception {
            Path store = work.resolve("store");
            ok(work, store, "create", "h", "--quantum", "1", "--span", "0:1T");
            assertEquals(1L << 39, single(ok(work, store, "alloc", "h", "1", "--min", "512G")));
            Path svg = work.resolve("h.svg");
            ok(work, store, "map", "h", "--out", svg.toString());
            Document doc = SvgMapTest.parse(Files.readAllBytes(svg));
            List<Element> allocated = SvgMapTest.elements(doc.getDocumentElement(), "rect", "run").stream()
                    .filter(r -> SvgMapTest.title(r).startsWith("allocated")).toList();
            assertEquals(1, allocated.size());
            assertEquals(SvgMap.MIN_WIDTH, Double.parseDouble(allocated.get(0).getAttribute("width")), 1e-9);
            assertEquals("allocated: base 0x8000000000 (549755813888), end 0x8000000001 (549755813889), size 0x1 (1)",
                    SvgMapTest.title(allocated.get(0)));
            String legend = doc.getDocumentElement().getTextContent();
            assertTrue(legend.contains("at least " + SvgMap.MIN_WIDTH + " px wide"), legend);
            try (VmemStore s = VmemStore.open(store)) {
                SvgMapTest.assertAxesMatchSpans(doc, s.arena("h").segments());
                assertEquals(List.of(), s.verify());
            }
        }

        /** Without --dir, the demo's stores go in a temporary directory that it removes at the end. */
        @Test
        void demoWithoutADirectory_leavesNothingInTheTemporaryDirectory(@TempDir Path work) throws Exception {
            Path tmp = Files.createDirectories(work.resolve("tmp"));
            List<String> cmd = new ArrayList<>(commandLine(null, "demo", "--run-millis", "100"));
            cmd.add(1, "-Djava.io.tmpdir=" + tmp);
            Path out = io.resolve("demo-tmp-" + RUNS.incrementAndGet() + ".out");
            Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectOutput(out.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try {
                p.getOutputStream().close();
                assertTrue(p.waitFor(90, TimeUnit.SECONDS), "demo did not finish");
            } finally {
                destroy(p);
            }
            String printed = Files.readString(out);
            assertEquals(0, p.exitValue(), printed);
            assertTrue(printed.contains("The stores were in a temporary directory, removed now"), printed);
            try (Stream<Path> left = Files.list(tmp)) {
                assertEquals(List.of(), left.toList(), "the demo left files in java.io.tmpdir");
            }
        }

        /**
         * The demo at each level: a row per level whose child was killed in flight, sync and write losing nothing
         * it printed, no printed PID handed out again, every store sound, and nothing on stderr.
         */
        @Test
        void demoShowsEachDurabilityLevelKilledInFlightWithoutReuse(@TempDir Path work) throws Exception {
            Path dir = work.resolve("demo");
            long started = System.nanoTime();
            Result r = run(work, null, Duration.ofSeconds(60), "demo", "--dir", dir.toString());
            long seconds = (System.nanoTime() - started) / 1_000_000_000L;
            assertEquals(0, r.exit, r.describe());
            assertTrue(seconds < 60, "demo took " + seconds + " s");
            // LEVEL PIDS/S PRINTED RECOVERED ROTOR-SKIP NEXT-PID REUSED
            Pattern row = Pattern.compile("(sync|write|buffered) +([\\d,]+) +([\\d,]+) +([\\d,]+) +([\\d,]+) +(\\d+) +(.+)");
            Map<String, long[]> rows = new TreeMap<>();
            for (String line : r.outLines()) {
                java.util.regex.Matcher m = row.matcher(line);
                if (m.matches()) {
                    assertEquals("none", m.group(7), "no printed PID handed out again: " + r.describe());
                    long[] numbers = new long[5];
                    for (int i = 0; i < 5; i++) {
                        numbers[i] = Long.parseLong(m.group(i + 2).replace(",", ""));
                    }
                    rows.put(m.group(1), numbers);
                }
            }
            assertEquals(List.of("buffered", "sync", "write"), List.copyOf(rows.keySet()), "a row per level: "
                    + r.describe());
            rows.forEach((level, n) -> assertAll(level,
                    () -> assertTrue(n[0] > 0 && n[1] > 0, "a rate, and PIDs printed: " + r.describe()),
                    () -> assertTrue(level.equals("buffered") || n[2] >= n[1], "sync and write lose nothing "
                            + "acknowledged to a kill: " + r.describe()),
                    () -> assertTrue(level.equals("sync") ? n[3] == 0 : n[3] > 0, "only the levels below sync use "
                            + "rotor marks, and a kill leaves them set: " + r.describe()),
                    () -> assertTrue(n[4] > n[1] + DemoCommand.FIRST_PID - 1, "the next PID is past every printed one: "
                            + r.describe())));
            assertTrue(r.out.contains("No PID printed before a kill was handed out again, and every store is sound."),
                    r.describe());
            for (String level : List.of("sync", "write", "buffered")) {
                assertTrue(Files.isRegularFile(dir.resolve(level).resolve("FORMAT")), "the demo's stores are in --dir");
            }
            assertEquals("", r.err, "demo writes nothing on stderr");
        }

        @Test
        void storeDefaultsToConfigThenToVmemStore(@TempDir Path work) throws Exception {
            Path configured = work.resolve("configured");
            Files.createDirectories(configured.resolve("config"));
            Files.writeString(configured.resolve("config").resolve("vmem.properties"), "store=mystore\n");
            ok(configured, null, "create", "c", "--quantum", "1", "--span", "0:10");
            assertTrue(Files.isRegularFile(configured.resolve("mystore").resolve("FORMAT")), "store= in config names "
                    + "the store: " + listFiles(configured));
            assertFalse(Files.exists(configured.resolve("vmem-store")));
            List<String> list = ok(configured, null, "list").outLines();
            assertEquals(2, list.size(), list.toString());
            assertEquals("c", words(list.get(1)).get(0), "list without --store reads ./mystore too");

            Path plain = work.resolve("plain");
            Files.createDirectories(plain);
            ok(plain, null, "create", "d", "--quantum", "1", "--span", "0:10");
            assertTrue(Files.isRegularFile(plain.resolve("vmem-store").resolve("FORMAT")),
                    "without config the store is ./vmem-store: " + listFiles(plain));
        }
    }

    /** What one run of the command left: exit code, stdout and stderr. */
    record Result(List<String> command, int exit, String out, String err) {
        List<String> outLines() {
            return lines(out);
        }

        List<String> errLines() {
            return lines(err);
        }

        private static List<String> lines(String s) {
            return s.lines().toList();
        }

        String describe() {
            return "vmem " + String.join(" ", command.subList(JVM_OPTIONS.size() + 3, command.size())) + " exited "
                    + exit + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
        }
    }

    static List<String> commandLine(Path store, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JVM_OPTIONS);
        cmd.add("-jar");
        cmd.add(jar.toString());
        if (store != null) {
            cmd.add("--store");
            cmd.add(store.toString());
        }
        cmd.addAll(List.of(args));
        return cmd;
    }

    static Result run(Path work, Path store, String... args) throws IOException, InterruptedException {
        return run(work, store, TIMEOUT, args);
    }

    /** Runs {@code java -jar vmem.jar [--store STORE] ARGS} in {@code work}, waiting at most {@code timeout}. */
    static Result run(Path work, Path store, Duration timeout, String... args) throws IOException, InterruptedException {
        List<String> cmd = commandLine(store, args);
        int n = RUNS.incrementAndGet();
        Path out = io.resolve(n + ".out");
        Path err = io.resolve(n + ".err");
        Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        try {
            p.getOutputStream().close();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                fail("timed out after " + timeout.toSeconds() + " s: " + String.join(" ", cmd));
            }
            return new Result(cmd, p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            destroy(p);
        }
    }

    /** Runs the command and asserts that it succeeded, printing nothing on stderr. */
    static Result ok(Path work, Path store, String... args) throws IOException, InterruptedException {
        Result r = run(work, store, args);
        assertEquals(0, r.exit, r.describe());
        assertEquals("", r.err, "a successful command prints nothing on stderr: " + r.describe());
        return r;
    }

    /** The one number a single allocation prints. */
    static long single(Result r) {
        assertEquals(1, r.outLines().size(), r.describe());
        return Long.parseLong(r.outLines().get(0));
    }

    /**
     * The contract for errors: the exit code, and exactly one line on stderr, starting with "vmem: " and
     * naming the bad value (as a token of its own), with no stack trace.
     */
    static void assertOneErrorLine(Result r, int exit, String value) {
        assertEquals(exit, r.exit, r.describe());
        List<String> lines = r.errLines();
        assertFalse(lines.stream().anyMatch(l -> l.startsWith("\tat ")), "no stack trace without --verbose: "
                + r.describe());
        assertEquals(1, lines.size(), "exactly one line on stderr: " + r.describe());
        String line = lines.get(0);
        assertTrue(line.startsWith("vmem: "), r.describe());
        assertTrue(Pattern.compile("(?<![\\w.-])" + Pattern.quote(value) + "(?![\\w])").matcher(line).find(),
                "the message names the bad value '" + value + "': " + line);
    }

    static void destroy(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
    }

    /** SHA-256 of every file under {@code dir}, by relative path. */
    static Map<String, String> fingerprint(Path dir) throws IOException, NoSuchAlgorithmException {
        Map<String, String> out = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        for (Path f : files) {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f));
            StringBuilder hex = new StringBuilder();
            for (byte x : digest) {
                hex.append(String.format("%02x", x));
            }
            out.put(dir.relativize(f).toString(), hex.toString());
        }
        return out;
    }

    static List<String> listFiles(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    static List<String> words(String line) {
        return List.of(line.strip().split("\\s+"));
    }
}

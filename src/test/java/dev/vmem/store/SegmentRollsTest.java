package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.vmem.Policy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * When the journal starts a new segment; a roll that fails is tried again a segment's size later, said at WARN once a
 * minute at most, and its recovery at INFO.
 */
class SegmentRollsTest {
    private static final Path DIR = Path.of("/stores/ids/journal");

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger journalLogger = (Logger) LoggerFactory.getLogger(Journal.class);
    private long now = 1_000;
    private static final long SEGMENT = 4096;

    private final SegmentRolls rolls = new SegmentRolls(DIR, SEGMENT, () -> now);

    private Level levelBefore;

    @BeforeEach
    void capture() {
        levelBefore = journalLogger.getLevel();
        journalLogger.setLevel(Level.INFO); // the tests' configuration drops INFO before any appender sees it
        log.start();
        journalLogger.addAppender(log);
    }

    @AfterEach
    void detach() {
        journalLogger.detachAppender(log);
        journalLogger.setLevel(levelBefore);
    }

    private List<String> messages(Level level) {
        return log.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void theFirstFailure_isAWarning_namingTheJournalTheCountTheSizeAndTheCause() {
        rolls.failed(new IOException("No space left on device"), 5_000);

        List<String> warnings = messages(Level.WARN);
        assertEquals(1, warnings.size(), warnings.toString());
        String w = warnings.get(0);
        assertTrue(w.contains(DIR.toString()) && w.contains("1 attempts failed") && w.contains("now 5000 bytes")
                && w.contains("No space left on device"), w);
        assertEquals(1, rolls.failures());
    }

    @Test
    void failuresInARow_warnAtMostOncePerInterval_thenOnceMoreWithTheirCount() {
        for (int i = 0; i < 1_000; i++) {
            rolls.failed(new IOException("full"), 5_000 + i);
            now += SegmentRolls.WARN_INTERVAL_NANOS / 2_000; // 1,000 failures span half an interval
        }
        assertEquals(1, messages(Level.WARN).size(), "one warning within an interval");

        now += SegmentRolls.WARN_INTERVAL_NANOS / 2;
        rolls.failed(new IOException("still full"), 9_000);
        List<String> warnings = messages(Level.WARN);
        assertEquals(2, warnings.size(), warnings.toString());
        assertTrue(warnings.get(1).contains("1001 attempts failed") && warnings.get(1).contains("still full"),
                warnings.get(1));
        assertEquals(1_001, rolls.failures());
    }

    @Test
    void aRollThatWorksAgain_isReportedWithTheCount_andTheNextFailureWarnsAtOnce() {
        rolls.failed(new IOException("full"), 5_000);
        rolls.failed(new IOException("full"), 5_100);
        rolls.succeeded();

        List<String> infos = messages(Level.INFO);
        assertEquals(1, infos.size(), infos.toString());
        assertTrue(infos.get(0).contains(DIR.toString()) && infos.get(0).contains("after 2 failed attempts"),
                infos.get(0));
        assertEquals(0, rolls.failures());

        rolls.failed(new IOException("full again"), 4_200); // well within the interval of the first warning
        List<String> warnings = messages(Level.WARN);
        assertEquals(2, warnings.size(), "a new run of failures warns at once: " + warnings);
        assertTrue(warnings.get(1).contains("1 attempts failed") && warnings.get(1).contains("full again"),
                warnings.get(1));
    }

    @Test
    void rollsThatWork_sayNothing() {
        rolls.succeeded();
        rolls.succeeded();
        assertTrue(log.list.isEmpty(), log.list.toString());
        assertEquals(0, rolls.failures());
    }

    @Test
    void aRollIsDue_atTheSegmentsSize_orSoonerWhenACheckpointAsks_onceTheSegmentHoldsARecord() {
        assertFalse(rolls.due(SEGMENT - 1, false));
        assertTrue(rolls.due(SEGMENT, false));
        assertTrue(rolls.due(3 * SEGMENT, false));
        assertFalse(rolls.due(StoreFormat.SEGMENT_HEADER_BYTES, true), "an empty segment is not rolled");
        assertTrue(rolls.due(StoreFormat.SEGMENT_HEADER_BYTES + 1, true));
    }

    @Test
    void afterAFailure_theNextTry_waitsForAnotherSegmentsSize_askedForOrNot() {
        rolls.failed(new IOException("Too many open files"), SEGMENT + 100);
        for (boolean requested : new boolean[] {false, true}) {
            assertFalse(rolls.due(SEGMENT + 101, requested));
            assertFalse(rolls.due(2 * SEGMENT + 99, requested));
            assertTrue(rolls.due(2 * SEGMENT + 100, requested));
        }
        rolls.failed(new IOException("Too many open files"), 2 * SEGMENT + 150);
        assertFalse(rolls.due(3 * SEGMENT + 149, false));
        assertTrue(rolls.due(3 * SEGMENT + 150, false));
        assertTrue(messages(Level.WARN).get(0).contains("tries again at " + (2 * SEGMENT + 100)),
                messages(Level.WARN).get(0));

        rolls.succeeded(); // the new segment starts small: due again at its size
        assertFalse(rolls.due(SEGMENT - 1, false));
        assertTrue(rolls.due(SEGMENT, false));
    }

    @Test
    void aStoreWhoseRollsFail_keepsEveryAllocation_triesOncePerSegmentsWorth_warnsOnce_andSaysWhenItRollsAgain(
            @TempDir Path dir) throws IOException {
        FaultyFiles files = new FaultyFiles();
        StoreOptions opts = StoreFixture.options(dir, (int) SEGMENT);
        Map<String, String> expected;
        long began = System.nanoTime();
        try (VmemStore store = VmemStore.open(opts, files.hooks())) {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(0, 1 << 20);
            files.directorySyncsToFail.set(10); // every roll fails at its directory fsync until these are spent
            long firstFailure = -1;
            int i = 0;
            for (; i < 5_000 && files.directorySyncsToFail.get() > 0; i++) {
                assertEquals(i, ids.alloc(1, Policy.NEXT_FIT));
                if (firstFailure < 0 && files.directorySyncsToFail.get() < 10) {
                    firstFailure = store.stats().journal().appendedBytes();
                }
            }
            assertEquals(0, files.directorySyncsToFail.get(), "the rolls ran into all 10 failures in 5,000 records");
            long lastFailure = store.stats().journal().appendedBytes();
            assertTrue(lastFailure - firstFailure >= 9 * SEGMENT, "10 tries a segment's size apart, not one per "
                    + "record: " + (lastFailure - firstFailure) + " bytes from the first to the last");
            for (int k = 0; k < 1_000; k++) {
                ids.free(k);
                assertEquals(i + k, ids.alloc(1, Policy.NEXT_FIT));
            }
            try (Stream<Path> segments = Files.list(dir.resolve(StoreFormat.JOURNAL_DIR))) {
                assertTrue(segments.count() > 1, "the journal rolled once the directory took new entries again");
            }
            expected = StoreFixture.dumps(store);
            StoreFixture.assertSound(store);
        }
        List<String> warnings = messages(Level.WARN).stream().filter(m -> m.contains("could not start a new segment"))
                .toList();
        long minutes = (System.nanoTime() - began) / SegmentRolls.WARN_INTERVAL_NANOS;
        assertTrue(!warnings.isEmpty() && warnings.size() <= 1 + minutes, "10 failed rolls, one warning a minute: "
                + warnings);
        assertTrue(warnings.get(0).contains(dir.resolve(StoreFormat.JOURNAL_DIR).toString())
                && warnings.get(0).contains("Input/output error"), warnings.get(0));
        List<String> infos = messages(Level.INFO).stream().filter(m -> m.contains("started a new segment after"))
                .toList();
        assertEquals(1, infos.size(), "the roll that works again says so: " + messages(Level.INFO));
        assertTrue(infos.get(0).contains("after 10 failed attempts"), infos.get(0));
        StoreFixture.assertOpensWith(opts, expected);
    }
}

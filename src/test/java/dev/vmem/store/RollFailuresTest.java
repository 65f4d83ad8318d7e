package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

/** A journal that cannot start a new segment says so at WARN, once a minute at most, and says when it can again. */
class RollFailuresTest {
    private static final Path DIR = Path.of("/stores/ids/journal");

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger journalLogger = (Logger) LoggerFactory.getLogger(Journal.class);
    private long now = 1_000;
    private final RollFailures rolls = new RollFailures(DIR, () -> now);

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
            now += RollFailures.WARN_INTERVAL_NANOS / 2_000; // 1,000 failures span half an interval
        }
        assertEquals(1, messages(Level.WARN).size(), "one warning within an interval");

        now += RollFailures.WARN_INTERVAL_NANOS / 2;
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
    void aStoreWhoseRollsFail_keepsEveryAllocation_warnsOnce_andSaysWhenItRollsAgain(@TempDir Path dir)
            throws IOException {
        FaultyFiles files = new FaultyFiles();
        StoreOptions opts = StoreFixture.options(dir, 4096);
        Map<String, String> expected;
        long began = System.nanoTime();
        try (VmemStore store = VmemStore.open(opts, files.hooks())) {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(0, 1 << 20);
            files.directorySyncsToFail.set(200); // every roll fails at its directory fsync until these are spent
            for (int i = 0; i < 1_000; i++) {
                assertEquals(i, ids.alloc(1, Policy.NEXT_FIT));
            }
            assertEquals(0, files.directorySyncsToFail.get(), "the rolls ran into the failures");
            for (int i = 0; i < 1_000; i++) {
                ids.free(i);
                ids.alloc(1, Policy.NEXT_FIT);
            }
            try (Stream<Path> segments = Files.list(dir.resolve(StoreFormat.JOURNAL_DIR))) {
                assertTrue(segments.count() > 1, "the journal rolled once the directory took new entries again");
            }
            expected = StoreFixture.dumps(store);
            StoreFixture.assertSound(store);
        }
        List<String> warnings = messages(Level.WARN).stream().filter(m -> m.contains("could not start a new segment"))
                .toList();
        long minutes = (System.nanoTime() - began) / RollFailures.WARN_INTERVAL_NANOS;
        assertTrue(!warnings.isEmpty() && warnings.size() <= 1 + minutes, "200 failed rolls, one warning a minute: "
                + warnings);
        assertTrue(warnings.get(0).contains(dir.resolve(StoreFormat.JOURNAL_DIR).toString())
                && warnings.get(0).contains("Input/output error"), warnings.get(0));
        List<String> infos = messages(Level.INFO).stream().filter(m -> m.contains("started a new segment after"))
                .toList();
        assertEquals(1, infos.size(), "the roll that works again says so: " + messages(Level.INFO));
        assertTrue(infos.get(0).contains("after 200 failed attempts"), infos.get(0));
        StoreFixture.assertOpensWith(opts, expected);
    }
}

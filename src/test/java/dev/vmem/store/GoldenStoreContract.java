package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the golden store of every format version must do, with one subclass per version
 * ({@link GoldenFormatTest}, {@link GoldenFormat2Test}) that adds what only its layout has: the golden
 * directory holds exactly its files, and a copy of it opens with exactly the contents the generator's
 * history left (the same in every version), replays the journal tail, and goes on from there. Each test
 * works on a copy in a temporary directory, since opening a store writes to it.
 */
abstract class GoldenStoreContract {
    @TempDir
    Path tmp;

    /** The copy of the golden store this test works on. */
    Path store;

    /** The format version of the golden store under test. */
    abstract int formatVersion();

    /** How failure messages name the golden store: "v" and its format version. */
    String version() {
        return "v" + formatVersion();
    }

    /** Every file of the golden directory, as {@link GoldenStores#fileNames} lists them. */
    abstract List<String> expectedFiles();

    /** The sizes of the files whose size the format decides (FORMAT, journal, HEAD), by name. */
    abstract Map<String, Long> expectedSizes();

    /** What {@link RecoveryReport#upgradedFrom()} says at the first open of the golden store. */
    abstract int upgradedFrom();

    /** The sequence numbers of checkpoint generations 0 and 1. */
    abstract long[] checkpointSeqs();

    @BeforeEach
    void copyGoldenStore() throws IOException, URISyntaxException {
        store = GoldenStores.copy(formatVersion(), tmp);
    }

    StoreOptions options() {
        return GoldenStores.options(store);
    }

    /** The golden directory holds the files it was written with. */
    @Nested
    class TheFiles {
        @Test
        void goldenDirectory_holdsExactlyTheExpectedFiles() throws IOException, URISyntaxException {
            Path from = GoldenStores.golden(formatVersion());
            assertEquals(expectedFiles(), GoldenStores.fileNames(from), version());
            assertEquals("vmem-store format " + formatVersion() + "\n",
                    Files.readString(from.resolve(StoreFormat.FORMAT_FILE)), version());
            for (Map.Entry<String, Long> e : expectedSizes().entrySet()) {
                assertEquals(e.getValue(), Files.size(from.resolve(e.getKey())), version() + " " + e.getKey());
            }
        }
    }

    /** The golden store opens with exactly its contents, and goes on from them. */
    @Nested
    class Contents {
        @Test
        void goldenStore_opensWithExactlyItsContents_replayingTheJournalTail() {
            try (VmemStore s = VmemStore.open(options())) {
                GoldenStores.assertGoldenContents(version(), s);
                assertEquals(new RecoveryReport(GoldenStores.CHECKPOINT_SEQ, GoldenStores.TAIL.size(),
                        GoldenStores.LAST_SEQ, Optional.empty(), upgradedFrom(), 0, List.of(), Optional.empty()), s.recovery(), version());
            }
        }

        @Test
        void goldenStore_acceptsNewWork_andReopens() {
            GoldenStores.assertAcceptsNewWorkAndReopens(version(), options());
        }
    }

    /**
     * Both checkpoint generations keep the documented layout (meta map, arena headers) and checksum rule:
     * over the content only in format 1; from format 2 on, starting with the meta numbers, so that editing
     * one of them fails it.
     */
    @Nested
    class CheckpointLayout {
        @Test
        void checkpoints_keepTheDocumentedLayout_andChecksumRule() {
            for (int g = 0; g < 2; g++) {
                String which = version() + " generation " + g;
                GoldenStores.DocumentedCheckpoint c = GoldenStores.readCheckpoint(store.resolve(StoreFormat.checkpointName(g)));
                assertEquals(formatVersion(), c.meta().get("version"), which);
                assertEquals(checkpointSeqs()[g], c.meta().get("seq"), which);
                assertEquals(3, c.meta().get("arenas"), which);
                assertEquals(1, c.meta().get("complete"), which);
                assertEquals(List.of("disk", "tenant", "pids"), c.names(), which);
                long documented = formatVersion() == 1 ? c.contentChecksum() : c.metaFirstChecksum();
                long otherRule = formatVersion() == 1 ? c.metaFirstChecksum() : c.contentChecksum();
                assertEquals(documented, c.meta().get("checksum"), which);
                assertNotEquals(otherRule, c.meta().get("checksum"), which);
            }
        }
    }
}

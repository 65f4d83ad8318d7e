package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import dev.vmem.testing.StoreDirectories;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The space a store gives back: after a checkpoint the covered journal goes, and a closed store holds its two
 * checkpoints, its head and one journal segment without a record (README states this bound).
 */
class ClosedStoreSpaceTest {
    /** The most journal a closed store keeps: one segment header. */
    static final long CLOSED_JOURNAL_BYTES = StoreFormat.SEGMENT_HEADER_BYTES;

    @TempDir
    Path dir;

    private static long bytes(Path root) throws IOException {
        long total = 0;
        for (Path p : StoreDirectories.files(root)) {
            total += Files.size(p);
        }
        return total;
    }

    /** The journal's bytes while the store runs: a segment the checkpointer deletes meanwhile counts nothing. */
    private long liveJournalBytes() throws IOException {
        long total = 0;
        try (DirectoryStream<Path> segments = Files.newDirectoryStream(dir.resolve(StoreFormat.JOURNAL_DIR))) {
            for (Path p : segments) {
                try {
                    total += Files.size(p);
                } catch (NoSuchFileException deletedMeanwhile) {
                    // gone between the listing and now: it holds no space
                }
            }
        }
        return total;
    }

    @Test
    void millionOperations_thenClose_leaveTheCheckpointsAndAFewKibOfJournal() throws IOException {
        long seed = 20261130L;
        System.out.println("ClosedStoreSpaceTest seed=" + seed);
        Random rnd = new Random(seed);
        Map<String, String> expected;
        long peakJournal = 0;
        try (VmemStore store = VmemStore.open(StoreOptions.builder(dir).checkpointBytes(4 << 20).build())) {
            PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
            ids.addSpan(1, 1L << 40);
            Deque<Long> live = new ArrayDeque<>();
            int operations = 0;
            while (operations < 1_000_000) {
                store.batch(() -> {
                    for (int i = 0; i < 1000; i++) {
                        if (live.size() > 10_000 || !live.isEmpty() && rnd.nextBoolean()) {
                            ids.free(live.pollFirst());
                        } else {
                            live.addLast(ids.alloc(1 + rnd.nextInt(4), Policy.NEXT_FIT));
                        }
                    }
                });
                operations += 1000;
                peakJournal = Math.max(peakJournal, liveJournalBytes());
            }
            expected = StoreFixture.dumps(store);
            StoreFixture.assertSound(store);
        }
        long journal = bytes(dir.resolve(StoreFormat.JOURNAL_DIR));
        long head = Files.size(dir.resolve(StoreFormat.HEAD_FILE));
        long checkpoints = Files.size(dir.resolve(StoreFormat.checkpointName(0)))
                + Files.size(dir.resolve(StoreFormat.checkpointName(1)));
        System.out.printf("closed store after 1,000,000 operations: %d bytes in all: journal %d, head %d,"
                + " checkpoints %d; the journal peaked at %d bytes while open%n", bytes(dir), journal, head,
                checkpoints, peakJournal);
        assertEquals(CLOSED_JOURNAL_BYTES, journal, "one segment, no record");
        assertEquals(StoreFormat.HEAD_SLOT_STRIDE + StoreFormat.HEAD_SLOT_BYTES, head);
        assertTrue(peakJournal > journal, "the journal grew while open: " + peakJournal);
        StoreFixture.assertOpensWith(StoreFixture.options(dir), expected);
    }
}

package dev.vmem.store;

import static dev.vmem.store.JournalForgery.overwrite;
import static dev.vmem.store.JournalForgery.records;
import static dev.vmem.store.JournalForgery.rewindHead;
import static dev.vmem.store.JournalForgery.recordOffsets;
import static dev.vmem.store.JournalForgery.recordsEnd;
import static dev.vmem.store.JournalForgery.segments;
import static dev.vmem.store.JournalForgery.truncate;
import static dev.vmem.store.JournalForgery.zerosFrom;
import static dev.vmem.store.StoreFixture.assertOpensWith;
import static dev.vmem.store.StoreFixture.dumps;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import dev.vmem.store.JournalForgery.Rec;
import dev.vmem.testing.StoreDirectories;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The zeros the journal writes ahead of its records. A copy of the store's directory taken while it
 * is open holds what {@code kill -9} leaves (the page cache), so each test crashes by copying: the
 * last segment then runs on in zeros after its last record. That tail must read as the end of the
 * journal, however much of it a crash left; damage before it must still be refused.
 */
class JournalPreallocationTest {
    @TempDir
    Path dir;
    @TempDir
    Path crashed;
    @TempDir
    Path crashedAgain;

    private static StoreOptions options(Path store) {
        return StoreFixture.options(store);
    }

    private static StoreOptions smallSegments(Path store) {
        return StoreFixture.options(store, 8192);
    }

    /** Copies the store's files as they are now: what the disk holds after kill -9. */
    private void crashCopy() throws IOException {
        crashCopy(dir, crashed);
    }

    private static void crashCopy(Path store, Path copy) throws IOException {
        StoreDirectories.copy(store, copy);
    }

    /** Alternates allocating and freeing, as a store in use does; returns the dumps afterwards. */
    private static Map<String, String> work(VmemStore store, int operations) {
        PersistentArena ids = store.arenas().isEmpty() ? store.createArena(ArenaDefinition.of("ids", 1))
                : store.arena("ids");
        if (ids.segments().isEmpty()) {
            ids.addSpan(0, 1 << 20);
        }
        List<Long> live = new ArrayList<>();
        for (int i = 0; i < operations; i++) {
            if (i % 3 == 2) {
                ids.free(live.remove(0));
            } else {
                live.add(ids.alloc(1 + i % 5, Policy.NEXT_FIT));
            }
        }
        return dumps(store);
    }

    /** The zeros an open store runs on in, and what close and rollover cut off. */
    @Nested
    class WhatTheWriterLeaves {
        @Test
        void openStore_runsOnInZeros_andTheCrashedCopyOpensWithEveryAcknowledgedOperation() throws IOException {
            Map<String, String> acknowledged;
            try (VmemStore store = VmemStore.open(options(dir))) {
                acknowledged = work(store, 300);
                crashCopy();
            }
            Path seg = segments(crashed).get(0);
            long end = recordsEnd(seg);
            assertTrue(Files.size(seg) >= end + Journal.PREALLOCATE_BYTES / 2, "size " + Files.size(seg) + ", end " + end);
            assertTrue(zerosFrom(seg, end));
            assertOpensWith(options(crashed), acknowledged);
        }

        @Test
        void closeAndRollover_cutEverySegmentBackToItsLastRecord() throws IOException {
            Map<String, String> acknowledged;
            try (VmemStore store = VmemStore.open(smallSegments(dir))) {
                acknowledged = work(store, 1000);
                List<Path> segs = segments(dir);
                assertTrue(segs.size() >= 3, "segments: " + segs);
                for (Path seg : segs.subList(0, segs.size() - 1)) {
                    assertEquals(recordsEnd(seg), Files.size(seg), seg + " was rolled over");
                }
                Path last = segs.get(segs.size() - 1);
                assertEquals(Math.max(8192, recordsEnd(last)), Files.size(last), "grown up to the segment size, no further");
            }
            for (Path seg : segments(dir)) {
                assertEquals(recordsEnd(seg), Files.size(seg), seg + " after close");
            }
            assertOpensWith(smallSegments(dir), acknowledged);
        }

        /** A crash while the zeros were being written leaves any part of them. */
        @ParameterizedTest
        @ValueSource(ints = {0, 1, 15, 16, 17, 4095, 4096, 70_000})
        void zeroTail_ofAnyLength_isTheEndOfTheJournal(int zeros) throws IOException {
            Map<String, String> acknowledged;
            try (VmemStore store = VmemStore.open(options(dir))) {
                acknowledged = work(store, 100);
                crashCopy();
            }
            Path seg = segments(crashed).get(0);
            truncate(seg, recordsEnd(seg) + zeros);
            assertOpensWith(options(crashed), acknowledged);
        }

        @Test
        void reopenedAfterACrash_appendsAfterTheLastRecord_andCrashesAgainCleanly() throws IOException {
            try (VmemStore store = VmemStore.open(options(dir))) {
                work(store, 100);
                crashCopy();
            }
            Map<String, String> acknowledged;
            try (VmemStore store = VmemStore.open(options(crashed))) {
                acknowledged = work(store, 100);
                crashCopy(crashed, crashedAgain);
            }
            Path seg = segments(crashedAgain).get(0);
            assertTrue(Files.size(seg) > recordsEnd(seg));
            assertTrue(zerosFrom(seg, recordsEnd(seg)));
            assertOpensWith(options(crashedAgain), acknowledged);
        }
    }

    /** Damage before the zero tail is still refused; a torn last record is cut off. */
    @Nested
    class DamageNextToTheZeros {
        @Test
        void damagedRecord_followedByGoodOnesAndZeros_isRefused() throws IOException {
            try (VmemStore store = VmemStore.open(options(dir))) {
                work(store, 100);
                crashCopy();
            }
            Path seg = segments(crashed).get(0);
            List<Long> offsets = recordOffsets(seg);
            long victim = offsets.get(offsets.size() / 2);
            overwrite(seg, victim + StoreFormat.RECORD_HEADER_BYTES + 2, new byte[] {(byte) 0xA5});
            StoreCorruptedException e = assertThrows(StoreCorruptedException.class,
                    () -> VmemStore.open(options(crashed)));
            assertEquals(seg, e.file());
            assertEquals(victim, e.offset());
        }

        /** Zeros where a record should start end the journal only if no valid record follows them. */
        @Test
        void zeroedRecordHeader_followedByGoodRecords_isRefused() throws IOException {
            try (VmemStore store = VmemStore.open(options(dir))) {
                work(store, 100);
                crashCopy();
            }
            Path seg = segments(crashed).get(0);
            List<Long> offsets = recordOffsets(seg);
            long victim = offsets.get(offsets.size() / 2);
            overwrite(seg, victim, new byte[StoreFormat.RECORD_HEADER_BYTES]);
            StoreCorruptedException e = assertThrows(StoreCorruptedException.class,
                    () -> VmemStore.open(options(crashed)));
            assertEquals(victim, e.offset());
        }

        /**
         * The last record torn as the page cache can tear it: only some of its pages reached the disk, so
         * zeros stand where its header or its end should be. It was never acknowledged; it is cut off,
         * even when non-zero bytes follow a zero length field.
         */
        @ParameterizedTest
        @ValueSource(strings = {"end-missing", "header-missing"})
        void lastRecordPartlyZero_isATornTail(String tear) throws IOException {
            Map<String, String> beforeLast;
            try (VmemStore store = VmemStore.open(options(dir))) {
                beforeLast = work(store, 99);
                work(store, 1);
                crashCopy();
            }
            Path seg = segments(crashed).get(0);
            List<Rec> recs = records(seg);
            rewindHead(crashed, recs.get(recs.size() - 1).seq() - 1); // the head had not caught up yet
            List<Long> offsets = recordOffsets(seg);
            long last = offsets.get(offsets.size() - 2);
            long end = offsets.get(offsets.size() - 1);
            if (tear.equals("end-missing")) {
                overwrite(seg, last + 20, new byte[(int) (end - last - 20)]);
            } else {
                overwrite(seg, last, new byte[20]);
            }
            assertOpensWith(options(crashed), beforeLast);
        }

        /** Rollover cuts the zeros off a segment before the next one exists: zeros in an older one are damage. */
        @Test
        void zeroTail_inASegmentThatIsNotTheLast_isRefused() throws IOException {
            VmemStore store = VmemStore.open(smallSegments(dir));
            try {
                work(store, 600);
            } finally {
                StoreCrash.crash(store);
            }
            List<Path> segs = segments(dir);
            assertTrue(segs.size() >= 2, "segments: " + segs);
            Path older = segs.get(0);
            long end = Files.size(older);
            try (FileChannel ch = FileChannel.open(older, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.allocate(4096), end);
            }
            StoreCorruptedException e = assertThrows(StoreCorruptedException.class,
                    () -> VmemStore.open(smallSegments(dir)));
            assertEquals(older, e.file());
            assertEquals(end, e.offset());
        }
    }
}

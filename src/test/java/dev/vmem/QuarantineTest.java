package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** Reuse quarantine: what it holds back, for how long, how it shows, and the input it refuses. */
public class QuarantineTest {

    /** A clock the test moves by hand. */
    public static final class ManualClock implements InstantSource {
        /** A clock for arenas that never read it. */
        public static final ManualClock FIXED = new ManualClock();

        final AtomicLong millis = new AtomicLong(1_000_000);

        @Override
        public long millis() {
            return millis.get();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }

        public void advance(long ms) {
            millis.addAndGet(ms);
        }
    }

    @ParameterizedTest
    @EnumSource(Policy.class)
    void aFreedValue_isNotHandedOutBeforeItsDelay_underAnyPolicy(Policy policy) {
        ManualClock clock = new ManualClock();
        Arena a = Arena.builder("ids").span(0, 4).quarantine(Duration.ofMillis(500)).quarantineClock(clock).build();
        long[] got = new long[4];
        for (int i = 0; i < 4; i++) {
            got[i] = a.alloc(1, policy);
        }
        a.free(got[2]);
        assertEquals(1, a.stats().quarantined());
        assertEquals(0, a.stats().free());
        assertEquals(Arena.NONE, a.tryAlloc(1, policy), "the quarantined value was handed out at once");
        clock.advance(500);
        assertEquals(Arena.NONE, a.tryAlloc(1, policy), "handed out at exactly the delay (held at least the delay)");
        clock.advance(1);
        assertEquals(got[2], a.alloc(1, policy));
        assertEquals(0, a.stats().quarantined());
        Invariants.assertSound(a);
    }

    @Test
    void countQuarantine_releasesOldestAtTheNthLaterFree() {
        Arena a = Arena.builder("ids").span(0, 16).quarantine(3).build();
        for (int i = 0; i < 16; i++) {
            a.alloc(1, Policy.INSTANT_FIT);
        }
        a.free(5);
        a.free(6);
        a.free(7);
        assertEquals(3, a.stats().quarantined());
        assertEquals(Arena.NONE, a.tryAlloc(1, Policy.INSTANT_FIT));
        a.free(8); // the third later free of 5
        assertEquals(3, a.stats().quarantined());
        assertEquals(5, a.alloc(1, Policy.INSTANT_FIT));
        Invariants.assertSound(a);
    }

    @Test
    void bothBounds_holdUntilBothAreMet() {
        ManualClock clock = new ManualClock();
        Arena a = Arena.builder("ids").span(0, 8).quarantine(Duration.ofSeconds(1)).quarantine(2)
                .quarantineClock(clock).build();
        for (int i = 0; i < 8; i++) {
            a.alloc(1, Policy.INSTANT_FIT);
        }
        a.free(0);
        clock.advance(5_000);
        assertEquals(0, a.reapQuarantine(), "released on time alone");
        a.free(1);
        a.free(2); // two later frees, and the time is long past
        assertEquals(List.of(1L, 2L), quarantinedBases(a));
        a.free(3);
        assertEquals(0, a.reapQuarantine(), "1 and 2 have had the frees but not the time");
        clock.advance(1_001);
        assertEquals(1, a.reapQuarantine(), "only 1 has had both 2 later frees and the time");
        Invariants.assertSound(a);
    }

    static List<Long> quarantinedBases(Arena a) {
        return a.segments().stream().filter(s -> s.kind() == Segment.Kind.QUARANTINED).map(Segment::base).toList();
    }

    @Test
    void doubleFree_ofAQuarantinedValue_isRefusedNamingIt() {
        Arena a = Arena.builder("ids").span(0, 8).quarantine(Duration.ofSeconds(2)).build();
        long v = a.alloc(1, Policy.INSTANT_FIT);
        a.free(v);
        String dump = a.dump();
        InvalidFreeException e = assertThrows(InvalidFreeException.class, () -> a.free(v));
        assertTrue(e.getMessage().contains("base=" + v) && e.getMessage().contains("quarantine"), e.getMessage());
        assertThrows(InvalidFreeException.class, () -> a.free(v, 1));
        assertEquals(dump, a.dump());
        Invariants.assertSound(a);
    }

    @Test
    void failedAllocation_saysQuarantinedSpaceWouldFit() {
        Arena a = Arena.builder("pages").quantum(4096).span(0, 4 * 4096).quarantine(Duration.ofSeconds(2)).build();
        long b0 = a.alloc(4096, Policy.INSTANT_FIT);
        long b1 = a.alloc(4096, Policy.INSTANT_FIT);
        a.alloc(2 * 4096, Policy.INSTANT_FIT);
        a.free(b0);
        a.free(b1);
        ArenaExhaustedException e = assertThrows(ArenaExhaustedException.class, () -> a.alloc(2 * 4096, Policy.BEST_FIT));
        assertTrue(e.getMessage().contains("quarantined=8192 in 2 blocks") && e.getMessage().contains("would fit"),
                e.getMessage());
        ArenaExhaustedException big = assertThrows(ArenaExhaustedException.class,
                () -> a.alloc(3 * 4096, Policy.BEST_FIT));
        assertTrue(!big.getMessage().contains("would fit"), big.getMessage());
        Invariants.assertSound(a);
    }

    @Test
    void quarantinedSpace_isCountedApart_andShownInSegmentsAndDump() {
        Arena a = Arena.builder("ids").quantum(8).span(0, 800).quarantine(10).build();
        long x = a.alloc(16, Policy.BEST_FIT);
        a.alloc(8, Policy.BEST_FIT);
        a.free(x);
        ArenaStats s = a.stats();
        assertEquals(16, s.quarantined());
        assertEquals(8, s.allocated());
        assertEquals(800 - 24, s.free());
        assertEquals(1, s.liveAllocations());
        assertEquals(2, s.frees() + s.liveAllocations());
        assertTrue(a.segments().contains(new Segment(x, 16, Segment.Kind.QUARANTINED)));
        assertTrue(a.dump().contains("quarantined=16"), a.dump());
        assertTrue(a.dump().contains("quarantined   [0x0, 0x10)"), a.dump());
        Invariants.assertSound(a);
    }

    @Test
    void importedSpan_goesBackOnlyWhenItsLastQuarantinedBlockLeaves() {
        ManualClock clock = new ManualClock();
        Arena parent = Arena.builder("parent").span(1000, 100).build();
        Arena child = Arena.builder("child").source(parent).importQuantum(10).quarantine(Duration.ofMillis(10))
                .quarantineClock(clock).build();
        long v = child.alloc(1, Policy.INSTANT_FIT);
        child.free(v);
        assertEquals(10, parent.stats().allocated(), "the span went back with a block in quarantine");
        clock.advance(11);
        assertEquals(1, child.reapQuarantine());
        assertEquals(0, parent.stats().allocated());
        assertEquals(0, child.stats().imported());
        Invariants.assertSound(child, parent);
    }

    @Test
    void close_freesQuarantinedBlocks_andGivesImportedSpansBack() {
        Arena parent = Arena.builder("parent").span(0, 100).build();
        Arena child = Arena.builder("child").source(parent).quarantine(Duration.ofHours(1)).build();
        long v = child.alloc(5, Policy.INSTANT_FIT);
        child.free(v);
        child.close();
        assertEquals(0, child.stats().quarantined());
        assertEquals(0, parent.stats().allocated());
        Invariants.assertSound(child, parent);
    }

    @Test
    void nextFit_afterRelease_stillWaitsForTheRotor() {
        Arena a = Arena.builder("pids").span(0, 10).quarantine(1).build();
        long first = a.alloc(1, Policy.NEXT_FIT);
        a.free(first);
        a.free(a.alloc(1, Policy.NEXT_FIT)); // releases first
        assertEquals(0, a.stats().quarantined() - 1);
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 7; i++) {
            long v = a.alloc(1, Policy.NEXT_FIT);
            assertNotEquals(first, v);
            seen.add(v);
        }
        assertEquals(7, seen.size());
        Invariants.assertSound(a);
    }

    @Test
    void badRules_areRefusedNamingTheValue() {
        Arena.Builder b = Arena.builder("x");
        assertMessage(() -> b.quarantine(Duration.ZERO), "delay=PT0S");
        assertMessage(() -> b.quarantine(Duration.ofMillis(-5)), "delay=PT-0.005S");
        assertMessage(() -> b.quarantine(Duration.ofDays(40_000)), "delay=PT960000H");
        assertMessage(() -> b.quarantine(0), "frees=0");
        assertMessage(() -> b.quarantine(-3), "frees=-3");
        assertMessage(() -> b.quarantine(Long.MAX_VALUE), "frees=" + Long.MAX_VALUE);
        assertMessage(() -> Arena.builder("c").qcacheMax(4).quarantine(2).build(), "qcacheMax=4");
        assertEquals(Quarantine.NONE, b.build().quarantine());
    }

    private static void assertMessage(Runnable r, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    @Test
    void delay_isRoundedUpToWholeMilliseconds() {
        assertEquals(1, Quarantine.of(Duration.ofNanos(1)).delayMillis());
        assertEquals(500, Quarantine.of(Duration.ofMillis(500)).delayMillis());
        assertEquals(501, Quarantine.of(Duration.ofMillis(500).plusNanos(1)).delayMillis());
    }

    @Test
    void exportRestoreAndReplay_keepTheQueue_andAReplayedFreeStartsItsWholeDelayAtTheRestore() {
        ManualClock clock = new ManualClock();
        Arena.Builder def = Arena.builder("inodes").span(0, 16).quarantine(Duration.ofSeconds(2)).quarantineClock(clock);
        ObservedArena o = ObservedArena.create(def, (arena, change) -> { });
        for (int i = 0; i < 4; i++) {
            o.arena().alloc(1, Policy.INSTANT_FIT);
        }
        o.arena().free(1);
        ArenaState checkpoint = o.exportState();
        assertEquals(List.of(0L, 2L, 3L), List.of(checkpoint.allocations()[0], checkpoint.allocations()[2],
                checkpoint.allocations()[4]));
        assertEquals(1, checkpoint.quarantine()[0]);
        ArenaReplay replay = new ArenaReplay(checkpoint, 1, false, def.build().quarantine());
        assertEquals(null, replay.apply(new ArenaChange.Freed(2, 1)));
        ArenaState recovered = replay.state();
        assertEquals(ArenaState.DUE_UNKNOWN, recovered.quarantine()[5]);

        clock.advance(1_500);
        Arena.Builder bare = Arena.builder("inodes").quarantine(Duration.ofSeconds(2)).quarantineClock(clock);
        ObservedArena back = ObservedArena.restore(bare, recovered, (arena, change) -> { });
        assertEquals(List.of(1L, 2L), quarantinedBases(back.arena()));
        clock.advance(600); // past block 1's due time from before the restart, not block 2's from the restore
        assertEquals(1, back.arena().reapQuarantine());
        clock.advance(1_401); // the whole delay from the restore, plus the millisecond of rounding
        assertEquals(1, back.arena().reapQuarantine());
        Invariants.assertSound(back.arena());

        // An allocation replayed over a quarantined block proves it (and every older one) had left.
        ArenaReplay later = new ArenaReplay(recovered, 1, false, def.build().quarantine());
        assertEquals(null, later.apply(new ArenaChange.Allocated(2, 1)));
        assertEquals(0, later.state().quarantine().length);
    }

    @Test
    void revertingAQuarantinedFree_makesTheBlockLiveAgain() {
        ObservedArena o = ObservedArena.create(Arena.builder("x").span(0, 8).quarantine(4), (arena, change) -> { });
        long v = o.arena().alloc(2, Policy.BEST_FIT);
        String before = o.arena().dump();
        o.arena().free(v);
        o.revert(new ArenaChange.Freed(v, 2));
        assertEquals(before, o.arena().dump());
        assertThrows(IllegalArgumentException.class, () -> o.revert(new ArenaChange.Freed(v, 2)));
        o.arena().free(v);
        Invariants.assertSound(o.arena());
    }

    @Test
    void restore_refusesQuarantinedBlocksThatOverlapAnAllocation() {
        Arena.Builder def = Arena.builder("x").quarantine(4);
        ArenaState bad = new ArenaState(List.of(new Segment(0, 8, Segment.Kind.SPAN)), new long[] {0, 2}, 0,
                new ArenaStats(0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0), new long[] {1, 1, 5});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ObservedArena.restore(def, bad, (arena, change) -> { }));
        assertTrue(e.getMessage().contains("base=1 size=1"), e.getMessage());
    }

    @Test
    void quarantinedBlocks_keepTheirMark_asTheirSpanMovesBetweenForms_bothWays() {
        ManualClock clock = new ManualClock();
        Arena a = Arena.builder("ids").quantum(1).span(0, 10_000).quarantine(Duration.ofMillis(5))
                .quarantineClock(clock).build();
        a.engine.forms.use(new DenseRule(2, 10_000, 2, 1L << 36, 1_000_000, 8, 1L << 36, 1, 0));
        long[] ids = new long[100];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = a.alloc(1, Policy.NEXT_FIT);
        }
        a.free(ids[10]); // queued in list or dense form, whichever the span has now
        DenseTag d = a.engine.forms.holding(ids[0]);
        assertTrue(d != null, "the span is dense");
        a.free(ids[20]); // queued in dense form
        Invariants.assertSound(a);
        a.engine.forms.toList(d);
        assertTrue(a.engine.forms.holding(ids[0]) == null, "the span is in list form");
        Invariants.assertSound(a);
        assertThrows(InvalidFreeException.class, () -> a.free(ids[20]), "still quarantined after the move");
        a.free(ids[30]); // queued in list form
        a.engine.forms.toDense(a.engine.list.spanContaining(0));
        Invariants.assertSound(a);
        assertThrows(InvalidFreeException.class, () -> a.free(ids[30]), "still quarantined after the move back");
        a.engine.forms.toList(a.engine.forms.holding(ids[0]));
        assertEquals(3, a.stats().quarantined());
        clock.advance(6);
        assertEquals(2, a.reapQuarantine(), "the third free came between two clock readings: stamped at this one");
        clock.advance(6);
        assertEquals(1, a.reapQuarantine());
        assertEquals(0, a.stats().quarantined());
        Invariants.assertSound(a);
        a.free(ids[40]);
        assertEquals(1, a.stats().quarantined());
        Invariants.assertSound(a);
    }

    @Test
    void fastFrees_readTheClockNowAndThen_stampingTheBlocksBetweenWithTheNextReading_neverEarlier() {
        AtomicLong reads = new AtomicLong();
        ManualClock clock = new ManualClock();
        InstantSource counting = new InstantSource() {
            @Override
            public long millis() {
                reads.incrementAndGet();
                return clock.millis();
            }

            @Override
            public Instant instant() {
                return Instant.ofEpochMilli(millis());
            }
        };
        Arena a = Arena.builder("ids").span(0, 100_000).quarantine(Duration.ofMillis(8)).quarantineClock(counting).build();
        for (int i = 0; i < 10_000; i++) {
            a.free(a.alloc(1, Policy.INSTANT_FIT));
        }
        assertTrue(reads.get() < 10_000 / 32, "a steady stream of frees reads the clock once in 64: " + reads.get());
        assertEquals(10_000, a.stats().quarantined(), "the clock never moved: all are held");
        clock.advance(9);
        long first = a.reapQuarantine();
        assertTrue(first > 10_000 - ClockReadings.MAX_EVERY, "all but those freed since the last reading: " + first);
        clock.advance(9);
        assertEquals(10_000 - first, a.reapQuarantine(), "those, stamped at the first reap, are due one delay on");
        long before = reads.get();
        for (int i = 0; i < 10; i++) { // the clock moves more than an eighth of the delay between frees: read at each
            clock.advance(2);
            a.free(a.alloc(1, Policy.INSTANT_FIT));
        }
        assertTrue(reads.get() - before >= 10, "slow frees read the clock at each free: " + (reads.get() - before));
        clock.advance(7);
        // Freed at 2, 4, .., 20 ms, due 9 ms later: the later frees released those freed at 2 to 10; at 27, those
        // freed at 12 to 18 are due, the one freed at 20 is not.
        assertEquals(4, a.reapQuarantine());
        assertEquals(1, a.stats().quarantined());
        Invariants.assertSound(a);
    }
}

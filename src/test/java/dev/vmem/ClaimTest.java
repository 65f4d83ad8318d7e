package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link VmemArena#claim}: exactly the range asked, or a clear refusal that changes nothing. */
class ClaimTest {

    private static void assertUnchangedBy(Arena a, Runnable call, Class<? extends RuntimeException> expected,
            String... inMessage) {
        String before = a.dump();
        RuntimeException e = assertThrows(expected, call::run);
        for (String s : inMessage) {
            assertTrue(e.getMessage().contains(s), "message '" + e.getMessage() + "' lacks '" + s + "'");
        }
        assertEquals(before, a.dump(), "a refused claim changed the arena");
        Invariants.assertSound(a);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 8, 4096})
    void claim_ofAFreeRange_allocatesExactlyIt_andFreesLikeAnyAllocation(long q) {
        Arena a = Arena.builder("c").quantum(q).span(0, 1000 * q).build();
        long x = a.alloc(10 * q, Policy.INSTANT_FIT);
        a.claim(500 * q, 7 * q);
        a.claim(0 + 10 * q, q); // right after x: touches it without overlapping
        a.claim(993 * q, 7 * q); // the span's last values
        assertEquals(List.of(new Segment(0, 1000 * q, Segment.Kind.SPAN), new Segment(x, 10 * q, Segment.Kind.ALLOCATED),
                new Segment(10 * q, q, Segment.Kind.ALLOCATED), new Segment(11 * q, 489 * q, Segment.Kind.FREE),
                new Segment(500 * q, 7 * q, Segment.Kind.ALLOCATED), new Segment(507 * q, 486 * q, Segment.Kind.FREE),
                new Segment(993 * q, 7 * q, Segment.Kind.ALLOCATED)), a.segments());
        assertEquals(4, a.stats().allocations());
        assertEquals(0, a.nextFitCursor(), "a claim is no placement: the rotor stays");
        assertThrows(InvalidFreeException.class, () -> a.free(500 * q, 6 * q));
        a.free(500 * q, 7 * q);
        a.free(10 * q);
        a.free(993 * q);
        a.free(x);
        assertEquals(0, a.stats().allocated());
        Invariants.assertSound(a);
    }

    @Test
    void claim_overlappingALiveAllocation_namesIt_andChangesNothing() {
        Arena a = Arena.builder("c").quantum(8).span(0, 8000).build();
        a.claim(800, 80);
        for (long[] bad : new long[][] {{800, 80}, {760, 48}, {872, 8}, {0, 8000}, {840, 8}}) {
            RangeInUseException e = assertThrows(RangeInUseException.class, () -> a.claim(bad[0], bad[1]));
            assertEquals(new Allocation(800, 80), e.held());
            assertTrue(e.getMessage().contains("[800, 880)") && e.getMessage().contains("base=" + bad[0]), e.getMessage());
        }
        assertUnchangedBy(a, () -> a.claim(792, 16), RangeInUseException.class, "overlaps the live allocation [800, 880)");
        Invariants.assertSound(a);
    }

    @Test
    void claim_withBadArguments_namesTheValue_andChangesNothing() {
        Arena a = Arena.builder("bad").quantum(8).span(1024, 1024).span(4096, 64).build();
        assertUnchangedBy(a, () -> a.claim(1024, 0), IllegalArgumentException.class, "size=0", "positive");
        assertUnchangedBy(a, () -> a.claim(1024, -8), IllegalArgumentException.class, "size=-8");
        assertUnchangedBy(a, () -> a.claim(-8, 8), IllegalArgumentException.class, "base=-8", "negative");
        assertUnchangedBy(a, () -> a.claim(1028, 8), IllegalArgumentException.class, "base=1028", "quantum=8");
        assertUnchangedBy(a, () -> a.claim(1024, 12), IllegalArgumentException.class, "size=12", "quantum=8");
        assertUnchangedBy(a, () -> a.claim(Long.MAX_VALUE - 7, 16), IllegalArgumentException.class, "Long.MAX_VALUE");
        assertUnchangedBy(a, () -> a.claim(0, 8), IllegalArgumentException.class, "[0, 8) lies outside every span");
        assertUnchangedBy(a, () -> a.claim(3000, 8), IllegalArgumentException.class, "outside every span");
        assertUnchangedBy(a, () -> a.claim(2040, 16), IllegalArgumentException.class,
                "runs past the end of span [1024, 2048)");
        assertUnchangedBy(a, () -> a.claim(4096, 72), IllegalArgumentException.class, "span [4096, 4160)");
        assertEquals(0, a.stats().allocations() + a.stats().failures());
    }

    @Test
    void claim_acrossTwoAdjacentSpans_isRefused_spansAreNeverMerged() {
        Arena a = Arena.builder("adj").span(0, 100).span(100, 100).build();
        assertUnchangedBy(a, () -> a.claim(90, 20), IllegalArgumentException.class, "runs past the end of span [0, 100)");
        a.claim(0, 100);
        a.claim(100, 100);
        assertEquals(200, a.stats().allocated());
        Invariants.assertSound(a);
    }

    @Test
    void claim_inADenseSpan_findsTheAllocationThatBeganBelowTheBase() {
        Arena a = Arena.builder("dense").quantum(4).span(0, 4 << 16).build();
        a.engine.forms.use(DenseFormTest.STICKY);
        a.claim(400, 40);
        a.alloc(4, Policy.INSTANT_FIT);
        a.engine.forms.review();
        assertTrue(a.engine.forms.dense.size() == 1, "the span is dense");
        RangeInUseException e = assertThrows(RangeInUseException.class, () -> a.claim(420, 100));
        assertEquals(new Allocation(400, 40), e.held());
        e = assertThrows(RangeInUseException.class, () -> a.claim(300, 104));
        assertEquals(new Allocation(400, 40), e.held());
        a.claim(440, 4);
        a.claim(396, 4);
        a.free(440);
        a.free(396, 4);
        Invariants.assertSound(a);
    }

    @ParameterizedTest
    @EnumSource(Policy.class)
    void claimAndFree_matchATreeMapModel_inBothSpanForms(Policy policy) {
        long seed = 0xC1A1_0000L + policy.ordinal();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (DenseRule rule : new DenseRule[] {DenseRule.DEFAULT, DenseFormTest.RESTLESS}) {
            Arena a = Arena.builder("m").quantum(8).span(0, 8 * 4096).span(8 * 8192, 8 * 512).build();
            a.engine.forms.use(rule);
            TreeMap<Long, Long> live = new TreeMap<>();
            for (int i = 0; i < 20_000; i++) {
                int r = rnd.nextInt(10);
                if (r < 4) {
                    long base = 8 * rnd.nextLong(8192 + 600);
                    long size = 8 * (1 + rnd.nextLong(r == 0 ? 64 : 4));
                    boolean inSpan = base + size <= 8 * 4096 || base >= 8 * 8192 && base + size <= 8 * 8704;
                    var below = live.floorEntry(base + size - 1);
                    boolean free = inSpan && (below == null || below.getKey() + below.getValue() <= base);
                    try {
                        a.claim(base, size);
                        assertTrue(free, "seed=" + seed + " step " + i + ": claimed taken or outside range " + base);
                        live.put(base, size);
                    } catch (RangeInUseException e) {
                        assertTrue(inSpan && !free, "seed=" + seed + " step " + i + ": " + e.getMessage());
                        long h = e.held().base();
                        assertEquals(live.get(h), e.held().size(), "seed=" + seed + ": names a live allocation");
                        assertTrue(h < base + size && h + e.held().size() > base, "seed=" + seed + ": it overlaps");
                        var floor = live.floorEntry(base);
                        long lowest = floor != null && floor.getKey() + floor.getValue() > base ? floor.getKey()
                                : live.ceilingKey(base);
                        assertEquals(lowest, h, "seed=" + seed + ": names the lowest allocation it overlaps");
                    } catch (IllegalArgumentException e) {
                        assertTrue(!inSpan, "seed=" + seed + " step " + i + ": " + e.getMessage());
                    }
                } else if (r < 7 && !live.isEmpty()) {
                    Long probe = live.ceilingKey(8 * rnd.nextLong(8704));
                    long k = probe == null ? live.firstKey() : probe;
                    a.free(k, live.remove(k));
                } else {
                    long b = a.tryAlloc(8 * (1 + rnd.nextInt(8)), policy);
                    if (b != Arena.NONE) {
                        live.put(b, a.segments().stream().filter(s -> s.base() == b && s.kind() == Segment.Kind.ALLOCATED)
                                .findFirst().orElseThrow().size());
                    }
                }
            }
            assertEquals(live.values().stream().mapToLong(Long::longValue).sum(), a.stats().allocated(), "seed=" + seed);
            Invariants.assertSound(a);
        }
    }

    @Test
    void claim_inACachedBlock_takesItFromTheCache_oneHeldIsRefused() {
        Arena a = Arena.builder("cached").quantum(8).qcacheMax(64).span(0, 1 << 20).build();
        long held = a.alloc(16, Policy.INSTANT_FIT);
        long idle = held + 16; // the next block of the same slab
        a.claim(idle, 16);
        RangeInUseException e = assertThrows(RangeInUseException.class, () -> a.claim(idle, 16));
        assertEquals(new Allocation(idle, 16), e.held());
        assertTrue(e.getMessage().contains("cached block"), e.getMessage());
        assertUnchangedBy(a, () -> a.claim(held, 32), RangeInUseException.class, "[" + held + ", " + (held + 16) + ")");
        // half of an idle block of a slab in use: refused naming the slab, the one thing it overlaps
        assertUnchangedBy(a, () -> a.claim(idle + 16, 8), RangeInUseException.class, "quantum-cache slab");
        assertEquals(2, a.stats().liveAllocations());
        a.free(idle, 16); // into the cache, like any cached block
        a.free(held);
        assertEquals(0, a.stats().allocated());
        Invariants.assertSound(a);
    }

    @Test
    void claim_ofOneBlockOfAWhollyIdleSlab_takesItFromTheCache() {
        Arena a = Arena.builder("cached").quantum(8).qcacheMax(64).span(0, 1 << 20).build();
        long b = a.alloc(8, Policy.INSTANT_FIT);
        a.free(b); // the slab stays, every block idle
        long cached = a.stats().cached();
        a.claim(b, 8); // exactly one block: taken from the slab, which stays
        assertEquals(cached - 8, a.stats().cached());
        assertEquals(8, a.stats().allocated());
        assertThrows(RangeInUseException.class, () -> a.claim(b, 8));
        a.free(b, 8);
        assertEquals(cached, a.stats().cached());
        Invariants.assertSound(a);
    }

    @Test
    void claim_overAWhollyIdleSlab_takesTheSlabBack_andClaimsFromTheList() {
        Arena a = Arena.builder("cached").quantum(8).qcacheMax(64).span(0, 1 << 20).build();
        long b = a.alloc(8, Policy.INSTANT_FIT);
        a.free(b); // the slab stays, wholly idle
        assertTrue(a.stats().cached() > 0);
        a.claim(b, 24); // not one block of the slab: the slab goes back first
        assertEquals(0, a.stats().cached());
        assertEquals(24, a.stats().allocated());
        assertTrue(a.segments().contains(new Segment(b, 24, Segment.Kind.ALLOCATED)), a.dump());
        a.free(b, 24);
        Invariants.assertSound(a);
    }

    @Test
    void claim_racingCacheAllocations_neverHandsOneBlockOutTwice() throws Exception {
        Arena a = Arena.builder("race").quantum(1).qcacheMax(4).span(0, 1 << 16).build();
        java.util.Set<Long> got = java.util.concurrent.ConcurrentHashMap.newKeySet();
        Thread t = new Thread(() -> {
            for (int i = 0; i < 5000; i++) {
                long x = a.alloc(2, Policy.INSTANT_FIT);
                assertTrue(got.add(x), "twice: " + x);
            }
        });
        t.start();
        int claimed = 0;
        for (long v = 0; v < 1 << 14; v += 2) {
            try {
                a.claim(v, 2);
                assertTrue(got.add(v), "claimed a held block " + v);
                claimed++;
            } catch (RangeInUseException e) {
                assertTrue(e.held().base() <= v, e.getMessage());
            }
        }
        t.join(30_000);
        assertTrue(claimed > 0);
        assertEquals(got.size(), a.stats().liveAllocations());
        Invariants.assertSound(a);
    }
}

package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link LongRunSearch} against a scan of a plain array: bitmaps of runs short and long, free and allocated, searched
 * from every index for run lengths around the word size and the powers of two.
 */
class LongRunSearchTest {
    private static final long[] LENGTHS = {1, 2, 3, 4, 5, 7, 8, 15, 31, 32, 33, 62, 63, 64, 65, 66, 100, 127, 128,
        129, 200, 1000};

    /** Runs drawn from short (1-3), around a word (60-70) and longer (100-300), allocated and free in turn. */
    @ParameterizedTest(name = "quanta={0}, seed={1}")
    @CsvSource({"1, 1", "63, 2", "64, 3", "65, 4", "130, 5", "1000, 6", "4097, 7", "5000, 8"})
    void everyStartAndLength_agreeWithAScan(int quanta, long seed) {
        System.out.println("LongRunSearchTest seed=" + seed + " quanta=" + quanta);
        SplittableRandom rnd = new SplittableRandom(seed);
        boolean[] used = new boolean[quanta];
        QuantumBitmaps bits = new QuantumBitmaps(quanta);
        boolean allocated = rnd.nextBoolean();
        for (int i = 0; i < quanta; allocated = !allocated) {
            int kind = rnd.nextInt(4);
            int length = kind < 2 ? 1 + rnd.nextInt(3) : kind == 2 ? 60 + rnd.nextInt(11) : 100 + rnd.nextInt(201);
            int end = Math.min(quanta, i + length);
            if (allocated) {
                bits.setRange(i, end, true);
                for (int j = i; j < end; j++) {
                    used[j] = true;
                }
            }
            i = end;
        }
        LongRunSearch runs = new LongRunSearch(bits);
        for (long k : LENGTHS) {
            for (long i = 0; i <= quanta; i++) {
                assertFound(used, runs, i, k, "seed=" + seed);
            }
        }
    }

    /**
     * A span of 2^20 quanta whose 64 Ki stretches are wholly allocated, wholly free, or single holes: the search
     * crosses the first two through the summaries and must land exactly where a scan does.
     */
    @Test
    void stretchesCrossedThroughTheSummaries_agreeWithAScan() {
        long seed = 21;
        System.out.println("LongRunSearchTest stretches seed=" + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        int quanta = (1 << 20) + 77;
        boolean[] used = new boolean[quanta];
        QuantumBitmaps bits = new QuantumBitmaps(quanta);
        for (int s = 0; s < quanta; s += 1 << 16) {
            int kind = rnd.nextInt(3);
            int end = Math.min(quanta, s + (1 << 16));
            for (int j = s; j < end; j++) {
                used[j] = kind == 0 || (kind == 2 && j % 2 == 0);
            }
            if (kind == 0) {
                bits.setRange(s, end, true);
            } else if (kind == 2) {
                for (int j = s; j < end; j += 2) {
                    bits.setRange(j, j + 1, true);
                }
            }
        }
        LongRunSearch runs = new LongRunSearch(bits);
        for (int probe = 0; probe < 300; probe++) {
            assertFound(used, runs, rnd.nextLong(quanta + 1), LENGTHS[rnd.nextInt(LENGTHS.length)], "stretches");
        }
    }

    @Test
    void windows_markEveryStartOfKSetBitsInARow() {
        assertEquals(0b1011L, LongRunSearch.windows(0b1011L, 1));
        assertEquals(0b0001L, LongRunSearch.windows(0b1011L, 2));
        assertEquals(0L, LongRunSearch.windows(0b1011L, 3));
        assertEquals(0b11L, LongRunSearch.windows(0b1111L, 3));
        long all = -1L >>> 1; // 63 bits: the most a word holds below its top run
        assertEquals(1L, LongRunSearch.windows(all, 63));
        assertEquals(0b111L, LongRunSearch.windows(all, 61));
        assertEquals(0L, LongRunSearch.windows(all, 64));
        assertEquals(0L, LongRunSearch.windows(all, Long.MAX_VALUE));
    }

    /**
     * The run found from {@code i} is the scan's, and the end it gives for that run is the run's end, whether it
     * remembered it or measured it; so is the end it gives for a free quantum it did not just find.
     */
    private static void assertFound(boolean[] used, LongRunSearch runs, long i, long k, String where) {
        long expected = scan(used, i, k);
        long found = runs.from(i, k);
        assertEquals(expected, found, where + ": the first run of " + k + " from " + i);
        if (found < used.length) {
            assertEquals(endOf(used, found), runs.end(found), where + ": the end of the run at " + found);
        }
        long other = i < used.length && !used[(int) i] && i != found ? i : -1; // a free quantum it did not return
        if (other >= 0) {
            assertEquals(endOf(used, other), runs.end(other), where + ": the end of the run from " + other);
        }
    }

    private static long endOf(boolean[] used, long j) {
        while (j < used.length && !used[(int) j]) {
            j++;
        }
        return j;
    }

    /** The first j >= i, i itself or after an allocated quantum, beginning k free quanta; the length if none. */
    private static long scan(boolean[] used, long i, long k) {
        for (long j = i; j < used.length; j++) {
            if (!used[(int) j] && (j == i || used[(int) j - 1])) {
                long end = j;
                while (end < used.length && !used[(int) end]) {
                    end++;
                }
                if (end - j >= k) {
                    return j;
                }
                j = end;
            }
        }
        return used.length;
    }
}

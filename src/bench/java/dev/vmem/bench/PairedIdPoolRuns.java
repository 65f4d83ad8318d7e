package dev.vmem.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * {@link IdPoolBenchmark}'s step (free a random live ID, allocate one; 1,000,000 IDs) for several pools in one
 * JVM, in alternating bursts: each round runs one burst of every pool, in a shuffled order, so that every pool
 * of a round meets the same machine load. Prints each pool's median time per step over the rounds and the
 * median (and quartiles) over the rounds of its ratio to the locked cursor {@code BitSet} of the same round, and
 * the median of its ratio to the same {@code BitSet} under a {@code ReentrantLock}.
 *
 * <p>Why besides JMH: on a shared, noisy machine the load changes between JMH's forks, and a ratio of two
 * forks takes one side's load; a paired ratio cancels what the two sides of a round share. The cost is that
 * the pools share the JIT's profile of {@code IdPoolBenchmark.step} (a few branches stay unpruned for every
 * pool) and each other's cache: a burst starts with another pool's data in the cache, so bursts are long
 * (1,000,000 steps by default) to make that refill a small part of each.
 *
 * <pre>
 *   java -cp target/benchmarks.jar dev.vmem.bench.PairedIdPoolRuns [occupancy% ...]   (default 10 50 90)
 *   system properties: -Drounds=60 -Dsteps=1000000 -Dwarmup=8 -Dseed=1
 * </pre>
 */
public final class PairedIdPoolRuns {
    /** The reference first: every ratio is to it. */
    static final String[] POOLS = {"bitset-locked", "vmem-next", "vmem-cached", "vmem-instant", "bitset-cursor",
        "bitset-reentrant", "cas-bitmap", "cas-bitmap-counted"};

    private PairedIdPoolRuns() {
    }

    public static void main(String[] args) {
        int rounds = Integer.getInteger("rounds", 60);
        int steps = Integer.getInteger("steps", 1_000_000);
        int warmup = Integer.getInteger("warmup", 8);
        long seed = Long.getLong("seed", 1);
        System.out.println("PairedIdPoolRuns rounds=" + rounds + " steps=" + steps + " warmup=" + warmup + " seed="
                + seed);
        for (String occupancy : args.length == 0 ? new String[] {"10", "50", "90"} : args) {
            run(Integer.parseInt(occupancy), rounds, steps, warmup, new Random(seed));
        }
    }

    private static void run(int occupancy, int rounds, int steps, int warmup, Random order) {
        List<IdPoolBenchmark> pools = new ArrayList<>();
        for (String name : POOLS) {
            IdPoolBenchmark b = new IdPoolBenchmark();
            b.pool = name;
            b.occupancy = occupancy;
            b.fill();
            pools.add(b);
        }
        for (int w = 0; w < warmup; w++) {
            for (IdPoolBenchmark b : pools) {
                burst(b, steps);
            }
        }
        double[][] nanos = new double[pools.size()][rounds];
        List<Integer> sequence = new ArrayList<>();
        for (int k = 0; k < pools.size(); k++) {
            sequence.add(k);
        }
        for (int r = 0; r < rounds; r++) {
            Collections.shuffle(sequence, order);
            for (int k : sequence) {
                nanos[k][r] = burst(pools.get(k), steps) / (double) steps;
            }
        }
        int reentrant = Arrays.asList(POOLS).indexOf("bitset-reentrant");
        for (int k = 0; k < pools.size(); k++) {
            double[] ratio = ratios(nanos[k], nanos[0]);
            double[] time = nanos[k].clone();
            Arrays.sort(time);
            System.out.printf("occupancy=%d%% %-18s median %7.1f ns/step (quartiles %7.1f-%7.1f) | x %s: median %.2f"
                    + " (quartiles %.2f-%.2f) | x %s: median %.2f%n", occupancy, POOLS[k], time[rounds / 2],
                    time[rounds / 4], time[3 * rounds / 4], POOLS[0], ratio[rounds / 2], ratio[rounds / 4],
                    ratio[3 * rounds / 4], POOLS[reentrant], ratios(nanos[k], nanos[reentrant])[rounds / 2]);
        }
    }

    /** Each round's ratio of {@code time} to {@code reference}, sorted. */
    private static double[] ratios(double[] time, double[] reference) {
        double[] ratio = new double[time.length];
        for (int r = 0; r < time.length; r++) {
            ratio[r] = time[r] / reference[r];
        }
        Arrays.sort(ratio);
        return ratio;
    }

    /** Nanoseconds for {@code steps} steps of {@code b}. */
    private static long burst(IdPoolBenchmark b, int steps) {
        long sum = 0;
        long start = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            sum += b.step();
        }
        long elapsed = System.nanoTime() - start;
        if (sum == Long.MIN_VALUE) { // never: keeps the steps' results alive
            System.out.println(sum);
        }
        return elapsed;
    }
}

package dev.vmem.store;

import java.util.Map;
import java.util.TreeMap;

/** What one lane of kills saw, printed after the run: shows that the kills landed where they were meant to. */
final class CrashStats {
    final String name;
    final long seed;
    final long started = System.nanoTime();
    int kills;
    final Map<CrashHistory.Plan, Integer> plans = new TreeMap<>();
    long acknowledged;
    long batches;
    long rejected;
    long scratchCreates;
    long scratchDrops;
    int inFlightAtKill;
    int inFlightPresent;
    int killsBeforeReady;
    int killsInCheckpointWrite;
    int damagedCheckpointFiles;
    int checkpointsBegun;
    int partialLines;
    int rotorWraps;
    long maxLivePids;
    long readyMillis;
    int readyCount;
    long checkMillis;
    // The level campaigns (CrashByDurabilityTest).
    long lostUnits;
    long maxLostUnits;
    int killsWithLoss;
    long syncs;
    int rotorSkips;
    long skippedQuanta;
    long maxSkippedQuanta;
    int lostNextFitWraps;

    CrashStats(String name, long seed) {
        this.name = name;
        this.seed = seed;
    }

    void print() {
        System.out.println("CrashRecoveryTest " + this);
    }

    @Override
    public String toString() {
        return String.format("[%s] seed=%d kills=%d plans=%s in %.1f s: %d acknowledged units (%d batches), %d"
                + " rejected, scratch arena created %d and dropped %d times; at the kill %d units in flight, %d of them present after reopen; %d kills before"
                + " READY; %d kills inside a checkpoint write (%d damaged checkpoint files found, %d checkpoints"
                + " begun in all); %d partial lines cut off; %d rotor wraps seen; up to %d live PIDs; worker READY"
                + " after %d ms on average, reopen and checks %d ms on average", name, seed,
                kills, plans, (System.nanoTime() - started) / 1e9, acknowledged, batches, rejected, scratchCreates,
                scratchDrops, inFlightAtKill,
                inFlightPresent, killsBeforeReady, killsInCheckpointWrite, damagedCheckpointFiles,
                checkpointsBegun, partialLines, rotorWraps, maxLivePids, readyMillis / Math.max(1, readyCount),
                checkMillis / Math.max(1, kills)) + (rotorSkips + killsWithLoss + syncs == 0 ? ""
                : String.format("; %d acknowledged units lost in %d kills (%.1f per kill, at most %d), %d syncs"
                        + " completed; %d rotor skips of %.1f quanta on average, at most %d; %d lost wraps",
                        lostUnits, killsWithLoss, lostUnits / (double) Math.max(1, kills), maxLostUnits, syncs,
                        rotorSkips, skippedQuanta / (double) Math.max(1, rotorSkips), maxSkippedQuanta,
                        lostNextFitWraps));
    }
}

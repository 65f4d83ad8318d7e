package dev.vmem.store;

import dev.vmem.Arena;
import dev.vmem.ArenaState;
import dev.vmem.ArenaStats;
import dev.vmem.Segment;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The store's full check: every arena's invariants, imported spans matched in their sources, both
 * checkpoint generations readable, and the checkpoint plus the journal recovering exactly the state in
 * memory. Problems are returned as descriptions, never thrown.
 *
 * <p>Assumptions: called under the store's lock, with no checkpoint being written.
 */
final class StoreVerifier {
    private final Path dir;
    private final ArenaRegistry registry;

    StoreVerifier(Path dir, ArenaRegistry registry) {
        this.dir = dir;
        this.registry = registry;
    }

    /**
     * The whole check, reporting progress in segments checked.
     *
     * @param generationSeqs the sequence number of each checkpoint generation, -1 for none
     * @param writtenSeq     the sequence number of the newest journal record written
     */
    List<String> verify(VmemStore.Progress progress, long[] generationSeqs, long writtenSeq) {
        long total = 0;
        for (ArenaRegistry.Entry e : registry.entries()) {
            total += e.arena().stats().segments();
        }
        // Three passes over the segments: invariants, replaying the disk, comparing.
        long all = 3 * total;
        List<String> problems = checkArenas();
        progress.checked(total, all);
        checkAgainstDisk(generationSeqs, writtenSeq, problems);
        progress.checked(all, all);
        return problems;
    }

    /** Every arena's invariants, and every imported span an allocation of the same range in its source. */
    List<String> checkArenas() {
        List<String> problems = new ArrayList<>();
        for (ArenaRegistry.Entry e : registry.entries()) {
            Arena a = e.handle().arena();
            for (String p : a.checkInvariants()) {
                problems.add("arena '" + a.label() + "': " + p);
            }
            if (e.definition().source() == -1) {
                for (Segment span : e.handle().exportState().spans()) {
                    if (span.kind() == Segment.Kind.IMPORTED_SPAN) {
                        problems.add("arena '" + a.label() + "': imported span [" + span.base() + ", " + span.end()
                                + ") in an arena without a source");
                    }
                }
            } else if (e.definition().sourceInStore()) {
                ArenaHandle parent = registry.byId(e.definition().source()).handle();
                Map<Long, Long> live = liveAllocations(parent.exportState());
                for (Segment span : e.handle().exportState().spans()) {
                    if (span.kind() == Segment.Kind.IMPORTED_SPAN
                            && !Long.valueOf(span.size()).equals(live.get(span.base()))) {
                        problems.add("arena '" + a.label() + "': imported span [" + span.base() + ", " + span.end()
                                + ") is not an allocation of its source '" + parent.arena().label() + "'");
                    }
                }
            }
        }
        return problems;
    }

    private static Map<Long, Long> liveAllocations(ArenaState s) {
        Map<Long, Long> out = new HashMap<>();
        long[] a = s.allocations();
        for (int i = 0; i < a.length; i += 2) {
            out.put(a[i], a[i + 1]);
        }
        return out;
    }

    private void checkAgainstDisk(long[] generationSeqs, long writtenSeq, List<String> problems) {
        for (int g = 0; g < 2; g++) {
            if (generationSeqs[g] >= 0) {
                try {
                    Checkpoint.read(dir.resolve(StoreFormat.checkpointName(g)));
                } catch (StoreCorruptedException e) {
                    problems.add("checkpoint " + g + ": " + e.getMessage());
                }
            }
        }
        Recovery.Result replay;
        try {
            replay = Recovery.recover(dir, StoreDirectory.checkFormat(dir));
        } catch (IOException | StoreException e) {
            problems.add("checkpoint and journal do not recover: " + e.getMessage());
            return;
        }
        StoreImage image = replay.image();
        if (image.seq != writtenSeq) {
            problems.add("journal replays to sequence " + image.seq + " but " + writtenSeq + " were written");
        }
        if (!image.arenas.keySet().equals(registry.ids())) {
            problems.add("checkpoint and journal hold arenas " + image.arenas.keySet() + ", memory holds "
                    + registry.ids());
            return;
        }
        for (ArenaRegistry.Entry e : registry.entries()) {
            ArenaState disk = image.arenas.get(e.id()).state();
            ArenaState memory = e.handle().exportState();
            if (!disk.spans().equals(memory.spans()) || !Arrays.equals(disk.allocations(), memory.allocations())
                    || disk.cursor() != memory.cursor() || !sameCounters(disk.counters(), memory.counters())) {
                problems.add("arena '" + e.definition().name() + "': checkpoint and journal recover " + disk
                        + " but memory holds " + memory);
            }
            // A block memory holds back must be held after a crash too (the disk may hold more: never fewer).
            Map<Long, Long> held = new HashMap<>();
            long[] d = disk.quarantine();
            for (int i = 0; i < d.length; i += 3) {
                held.put(d[i], d[i + 1]);
            }
            long[] q = memory.quarantine();
            for (int i = 0; i < q.length; i += 3) {
                if (!Long.valueOf(q[i + 1]).equals(held.get(q[i]))) {
                    problems.add("arena '" + e.definition().name() + "': quarantined block [" + q[i] + ", "
                            + (q[i] + q[i + 1]) + ") would not be held after a reopen");
                }
            }
        }
    }

    private static boolean sameCounters(ArenaStats a, ArenaStats b) {
        return a.allocations() == b.allocations() && a.frees() == b.frees() && a.imports() == b.imports()
                && a.releases() == b.releases();
    }
}

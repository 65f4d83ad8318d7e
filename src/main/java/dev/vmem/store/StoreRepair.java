package dev.vmem.store;

import dev.vmem.ArenaChange;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Repair of a store that refuses to open: {@link #diagnose} says what is damaged and what accepting the loss
 * would drop; {@link #repair} does it, and only it. Nothing is guessed: the repaired store holds exactly the
 * state the undamaged part of the disk recovers to (the newest checkpoint that verifies and the journal up to
 * the first damage), each NEXT_FIT rotor moved past every value the dropped records show it handed out, and a
 * head that counts the repair. The damaged files are kept, moved into {@code damaged-<time>/}.
 *
 * <h2>Assumptions and guarantees</h2>
 * Takes the store's lock, so never runs beside an open store. Crash-safe: the repaired store is built whole in
 * {@value #STAGING} and marked complete before any file of the store is touched; an open (or a repair) that
 * finds a complete staging directory finishes moving it into place, and one that finds an incomplete one
 * deletes it. What a repair cannot bound is said in {@link Diagnosis#problems}: records the store head proves
 * were durable but that are gone entirely carry no content, so the values they handed out are unknown.
 */
public final class StoreRepair {
    private static final Logger LOG = LoggerFactory.getLogger(StoreRepair.class);
    static final String STAGING = "repair.tmp";
    static final String COMPLETE = "COMPLETE";

    /** A NEXT_FIT rotor that accepting the loss moves forward, so that no value handed out before comes again. */
    public record RotorJump(String arena, long from, long to) {
    }

    /**
     * What is wrong, and what accepting the loss would drop.
     *
     * @param problems          why the store refuses to open (empty: it opens, nothing to repair)
     * @param keptThroughSeq    the newest journal record the repaired store keeps
     * @param droppedRecords    whole journal records found after the damage: dropped
     * @param droppedOperations the operations in them (allocations, frees, spans, ...)
     * @param droppedAllocations the allocations among those operations
     * @param unknownRecords    records the store head proves were durable but that are gone with their content
     * @param rotorJumps        the NEXT_FIT rotors moved forward
     */
    public record Diagnosis(Path directory, List<String> problems, long keptThroughSeq, long droppedRecords,
            long droppedOperations, long droppedAllocations, long unknownRecords, List<RotorJump> rotorJumps) {
        public boolean sound() {
            return problems.isEmpty();
        }
    }

    private StoreRepair() {
    }

    /** Says what is damaged in the store in {@code dir} and what {@link #repair} would drop; changes nothing. */
    public static Diagnosis diagnose(Path dir) {
        return Interrupts.deferred(() -> run(dir, false));
    }

    /** Accepts the loss {@link #diagnose} describes and rewrites the store so that it opens. */
    public static Diagnosis repair(Path dir) {
        return Interrupts.deferred(() -> run(dir, true));
    }

    private static Diagnosis run(Path dir, boolean write) {
        StoreFiles files = StoreFiles.DEFAULT;
        try {
            DirectoryLock lock = DirectoryLock.acquire(dir);
            try {
                return runLocked(files, dir, write);
            } finally {
                lock.close();
            }
        } catch (IOException e) {
            throw new StoreIOException("cannot repair store " + dir + ": " + e, e);
        }
    }

    private static Diagnosis runLocked(StoreFiles files, Path dir, boolean write) throws IOException {
        int version = StoreDirectory.checkFormat(dir);
        finishInterrupted(files, dir);
        try {
            Recovery.Result fine = Recovery.recover(dir, version);
            return new Diagnosis(dir, List.of(), fine.scan().nextSeq() - 1, 0, 0, 0, 0, List.of());
        } catch (StoreCorruptedException refused) {
            Salvaged s = salvage(dir, version);
            Diagnosis d = s.diagnosis(dir, refused);
            if (write) {
                write(files, dir, s, d);
            }
            return d;
        }
    }

    /** What the undamaged part recovers to, and what the damaged part held. */
    private static final class Salvaged implements JournalReader.Salvage {
        final List<StoreCorruptedException> damage = new ArrayList<>();
        /** Per arena: where the newest dropped record left its NEXT_FIT rotor. */
        final Map<Integer, Long> rotor = new HashMap<>();
        /** Per arena: the rotor marks and moves of the dropped records, in order, to follow its mark through them. */
        final Map<Integer, List<Op>> markOps = new HashMap<>();
        long records;
        long operations;
        long allocations;
        long newestDropped;
        Recovery.Result result;

        @Override
        public void damaged(StoreCorruptedException e) {
            damage.add(e);
        }

        @Override
        public void dropped(long seq, byte[] payload) {
            List<Op> ops;
            try {
                ops = UnitCodec.decode(payload);
            } catch (IllegalArgumentException e) {
                return; // a whole record that decodes to nothing tells nothing
            }
            records++;
            newestDropped = Math.max(newestDropped, seq);
            for (Op op : ops) {
                operations++;
                if (op instanceof Op.Mark m) {
                    markOps.computeIfAbsent(m.arena(), k -> new ArrayList<>()).add(m);
                }
                if (op instanceof Op.Change c) {
                    allocations += c.change() instanceof ArenaChange.Allocated ? 1 : 0;
                    if (c.change() instanceof ArenaChange.CursorMoved m) {
                        // Records come in sequence order: the last move is where the rotor was left, even
                        // when it wrapped; every value handed out since lies behind it.
                        rotor.put(c.arena(), m.to());
                        markOps.computeIfAbsent(c.arena(), k -> new ArrayList<>()).add(c);
                    }
                }
            }
        }

        /**
         * The mark of an arena once the dropped records are followed too (as replay follows them): a MARK a
         * dropped record made durable covers values that units after it, lost with the damage, may have handed out.
         */
        long markAfterDropped(int arena, long kept) {
            long mark = kept;
            for (Op op : markOps.getOrDefault(arena, List.of())) {
                mark = op instanceof Op.Mark m ? m.mark()
                        : RotorMarks.afterMove(mark, (ArenaChange.CursorMoved) ((Op.Change) op).change());
            }
            return mark;
        }

        Diagnosis diagnosis(Path dir, StoreCorruptedException refused) {
            List<String> problems = new ArrayList<>();
            problems.add(refused.getMessage());
            for (StoreCorruptedException e : damage) {
                if (!problems.contains(e.getMessage())) {
                    problems.add(e.getMessage());
                }
            }
            long kept = result.scan().nextSeq() - 1;
            StoreHead.State head = result.head();
            long unknown = head == null ? 0 : Math.max(0, head.durableSeq() - Math.max(kept, newestDropped));
            if (unknown > 0) {
                problems.add(unknown + " journal record(s) the store head proves durable are gone with their content:"
                        + " values they handed out cannot be known, so a NEXT_FIT rotor is moved only past what the"
                        + " records found show");
            }
            List<RotorJump> jumps = new ArrayList<>();
            for (Map.Entry<Integer, StoreImage.ArenaImage> e : result.image().arenas.entrySet()) {
                long cursor = e.getValue().state().cursor();
                Long seen = rotor.get(e.getKey());
                long to = seen != null ? seen : cursor;
                long mark = markAfterDropped(e.getKey(), e.getValue().mark);
                if (mark != RotorMarks.NONE && mark > to) {
                    to = mark; // a mark still set lies past the rotor, and covers what lost units may have handed out
                }
                if (to != cursor) {
                    jumps.add(new RotorJump(e.getValue().definition.name(), cursor, to));
                }
            }
            return new Diagnosis(dir, List.copyOf(problems), kept, records, operations, allocations, unknown,
                    List.copyOf(jumps));
        }
    }

    private static Salvaged salvage(Path dir, int version) throws IOException {
        Salvaged s = new Salvaged();
        Recovery.Result first = Recovery.recover(dir, version, s, Long.MAX_VALUE);
        // A record that did not fit may have been applied in part: replay again, stopping before it.
        Salvaged again = new Salvaged();
        again.result = Recovery.recover(dir, version, again, first.scan().nextSeq());
        again.damage.addAll(s.damage);
        return again;
    }

    /** Builds the repaired store in the staging directory, marks it complete, then moves it into place. */
    private static void write(StoreFiles files, Path dir, Salvaged s, Diagnosis d) throws IOException {
        StoreImage image = s.result.image();
        for (RotorJump jump : d.rotorJumps()) {
            for (StoreImage.ArenaImage a : image.arenas.values()) {
                if (a.definition.name().equals(jump.arena())) {
                    String why = a.apply(new ArenaChange.CursorMoved(jump.from(), jump.to()));
                    if (why != null) {
                        throw new StoreCorruptedException(dir, -1, "cannot move the rotor of '" + jump.arena() + "': "
                                + why);
                    }
                }
            }
        }
        // A rotor mark the salvaged journal still sets covers values that lost units may have handed out.
        Recovery.skipToMarks(image);
        image.epoch = s.result.epoch() + 1;
        Path staging = dir.resolve(STAGING);
        if (Files.exists(staging)) {
            deleteTree(files, staging);
        }
        files.createDirectory(staging);
        StoreHead.State old = s.result.head();
        int repairs = (old == null ? 0 : old.repairs()) + 1;
        StoreDirectory.writeImage(files, staging, image, repairs);
        String kept = "damaged-" + repairs;
        for (int k = 2; Files.exists(dir.resolve(kept)); k++) {
            kept = "damaged-" + repairs + "-" + k; // a head lost since an earlier repair restarts the count
        }
        try (StoreFiles.Channel done = files.open(staging.resolve(COMPLETE))) {
            done.write(ByteBuffer.wrap((kept + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            done.force();
        }
        files.syncDirectory(staging);
        files.syncDirectory(dir);
        LOG.warn("store {}: repair {} accepted the loss: kept journal up to sequence {}, dropped {} record(s) ({} "
                + "allocations), {} unknown; rotors moved: {}", dir, repairs, d.keptThroughSeq(), d.droppedRecords(),
                d.droppedAllocations(), d.unknownRecords(), d.rotorJumps());
        finishInterrupted(files, dir);
    }

    /** The names a repair replaces. */
    private static final List<String> REPLACED = List.of(StoreFormat.checkpointName(0), StoreFormat.checkpointName(1),
            StoreFormat.HEAD_FILE, StoreFormat.JOURNAL_DIR);

    /**
     * Finishes a repair that a crash interrupted, or throws away one that never completed: called with the
     * store locked, before recovery. Idempotent: each name moves only while its staged copy is still there.
     */
    static void finishInterrupted(StoreFiles files, Path dir) throws IOException {
        Path staging = dir.resolve(STAGING);
        if (!Files.isDirectory(staging)) {
            return;
        }
        if (!Files.exists(staging.resolve(COMPLETE))) {
            deleteTree(files, staging);
            files.syncDirectory(dir);
            return;
        }
        // COMPLETE names the directory the replaced files go to, chosen when the repair was staged.
        Path damaged = dir.resolve(Files.readString(staging.resolve(COMPLETE)).strip());
        if (!Files.isDirectory(damaged)) {
            files.createDirectory(damaged);
        }
        for (String name : REPLACED) {
            Path staged = staging.resolve(name);
            if (!Files.exists(staged)) {
                continue; // moved into place before the interruption
            }
            Path current = dir.resolve(name);
            if (Files.exists(current)) {
                files.move(current, damaged.resolve(name));
            }
            files.move(staged, current);
            files.syncDirectory(damaged);
            files.syncDirectory(staging);
            files.syncDirectory(dir);
        }
        deleteTree(files, staging);
        files.syncDirectory(dir);
        if (StoreDirectory.checkFormat(dir) < StoreFormat.VERSION) {
            // What was moved in is of this format: a format 1 store is upgraded with it.
            StoreDirectory.writeFormat(files, dir);
        }
        LOG.warn("store {}: repaired; the files it replaced are in {}", dir, damaged);
    }

    /** Removes {@code root} and everything in it. */
    static void deleteTree(StoreFiles files, Path root) throws IOException {
        List<Path> all;
        try (Stream<Path> walk = Files.walk(root)) {
            all = walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList();
        }
        for (Path p : all) {
            files.delete(p);
        }
    }
}

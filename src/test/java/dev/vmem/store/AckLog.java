package dev.vmem.store;

import static dev.vmem.store.CrashWorker.DISK;
import static dev.vmem.store.CrashWorker.PIDS;
import static dev.vmem.store.CrashWorker.SCRATCH;
import static dev.vmem.store.CrashWorker.TENANT;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vmem.Constraints;
import dev.vmem.Policy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The acknowledgement log: a killed {@link CrashWorker}'s stdout, parsed (its line format is documented on
 * {@link CrashWorker}). It says which units were acknowledged ({@code K} lines, in order), which were in
 * flight at the kill ({@code S} without its {@code K} or {@code N}), whether the worker got past set-up
 * ({@code READY}), whether the kill landed inside a checkpoint write ({@code CB} without {@code CE}), and
 * which units a completed {@code sync()} covered ({@code SY} ... {@code Y}: those acknowledged before the SY).
 * A line the format does not know fails the test.
 */
final class AckLog {
    /** Each arena's quantum, as the worker defines it: items name sizes as requested, blocks are rounded. */
    static final Map<String, Long> QUANTUM = Map.of(PIDS, 1L, DISK, CrashWorker.PAGE, TENANT, CrashWorker.PAGE,
            SCRATCH, CrashWorker.PAGE);

    final List<String> lines;
    final List<Unit> acked = new ArrayList<>();
    final Map<Integer, List<Item>> inFlightByThread = new TreeMap<>();
    boolean ready;
    boolean anyAck;
    int rejected;
    int checkpointsBegun;
    boolean inCheckpointWrite;
    /** How many of {@link #acked} a completed {@code sync()} covers: those printed before its SY. */
    int syncedAcked;
    int syncsCompleted;
    private int syncCalledAt = -1;

    AckLog(List<String> lines) {
        this.lines = lines;
    }

    static AckLog parse(List<String> lines, String ctx) {
        AckLog log = new AckLog(lines);
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n);
            String[] head = line.split(" ", 4);
            switch (head[0]) {
                case "READY":
                    log.ready = true;
                    break;
                case "CB":
                    log.checkpointsBegun++;
                    log.inCheckpointWrite = true;
                    break;
                case "CE":
                    log.inCheckpointWrite = false;
                    break;
                case "SY":
                    log.syncCalledAt = log.acked.size();
                    break;
                case "Y":
                    if (log.syncCalledAt < 0) {
                        fail(ctx + " worker line " + (n + 1) + ": a sync returned that was never called");
                    }
                    log.syncedAcked = log.syncCalledAt;
                    log.syncsCompleted++;
                    log.syncCalledAt = -1;
                    break;
                case "S": {
                    int tid = Integer.parseInt(head[1]);
                    log.inFlightByThread.put(tid, items(line.substring(line.indexOf(' ', 2) + 1), ctx));
                    break;
                }
                case "K": {
                    int tid = Integer.parseInt(head[1]);
                    String[] ticketAt = head[2].split("@");
                    long ticket = ticketAt[0].equals("-") ? -1 : Long.parseLong(ticketAt[0]);
                    Durability asked = ticketAt.length > 1 ? Durability.valueOf(ticketAt[1]) : null;
                    log.inFlightByThread.remove(tid);
                    log.acked.add(new Unit(tid, ticket, asked, items(head[3], ctx), n + 1));
                    log.anyAck = true;
                    break;
                }
                case "N":
                    log.inFlightByThread.remove(Integer.parseInt(head[1]));
                    log.rejected++;
                    break;
                default:
                    fail(ctx + " unexpected worker line " + (n + 1) + ": '" + line + "'");
            }
        }
        return log;
    }

    private static List<Item> items(String text, String ctx) {
        List<Item> out = new ArrayList<>();
        for (String part : text.split(" ; ")) {
            out.add(Item.parse(part, ctx));
        }
        return out;
    }

    /** Units in flight at the kill, of the worker threads (thread 0 is set-up, checked apart). */
    Map<Integer, List<Item>> inFlight() {
        Map<Integer, List<Item>> out = new TreeMap<>(inFlightByThread);
        out.remove(0);
        return out;
    }

    /**
     * The highest ticket that must survive a process crash at BUFFERED, or -1: that of a unit acknowledged before
     * a completed {@code sync()} was called, or of a unit that asked for WRITE or SYNC itself. Every unit with
     * a ticket up to it was journalled before it, so it must survive too.
     */
    long mustSurviveTicket() {
        long bound = -1;
        for (int i = 0; i < acked.size(); i++) {
            Unit u = acked.get(i);
            if (i < syncedAcked || u.asked() != null) {
                bound = Math.max(bound, u.ticket());
            }
        }
        return bound;
    }

    /** The worker lines that mention {@code b}'s base in arena {@code a}, for failure messages. */
    String linesAbout(String a, Block b) {
        StringBuilder sb = new StringBuilder("  worker lines about " + a + " " + b + ":");
        int shown = 0;
        for (int n = 0; n < lines.size() && shown < 20; n++) {
            String l = lines.get(n);
            if (l.contains(" " + a + " ") && l.contains(" " + b.base())) {
                sb.append("\n    ").append(n + 1).append(": ").append(l);
                shown++;
            }
        }
        return sb.toString();
    }

    /** A block of an arena: {@code [base, base + size)}. */
    record Block(long base, long size) {
        long end() {
            return base + size;
        }

        @Override
        public String toString() {
            return "[" + base + "+" + size + ")";
        }
    }

    /** One item of a unit, as the worker printed it. */
    static final class Item {
        char kind;
        String arena;
        long size;
        long base = -1;
        Policy policy;
        Constraints constraints;

        /** The block an alloc produced or a free names, size rounded to the arena's quantum. */
        Block block() {
            long q = QUANTUM.get(arena);
            return new Block(base, (size + q - 1) / q * q);
        }

        /** Whether an allocation of this item could have produced {@code b}. */
        boolean admits(Block b) {
            long q = QUANTUM.get(arena);
            if (b.size() != (size + q - 1) / q * q || b.base() % q != 0) {
                return false;
            }
            return constraints == null || constraints.admits(b.base());
        }

        static Item parse(String text, String ctx) {
            String[] t = text.trim().split(" ");
            Item it = new Item();
            it.kind = t[0].charAt(0);
            it.arena = t[1];
            switch (it.kind) {
                case 'c':
                case 'd':
                    break;
                case 's':
                case 'f':
                    it.base = Long.parseLong(t[2]);
                    it.size = Long.parseLong(t[3]);
                    break;
                case 'a':
                    it.size = Long.parseLong(t[2]);
                    it.policy = Policy.valueOf(t[3]);
                    it.base = t[4].equals("?") ? -1 : Long.parseLong(t[4]);
                    break;
                case 'x':
                    it.constraints = new Constraints(Long.parseLong(t[2]), Long.parseLong(t[3]), Long.parseLong(t[4]),
                            Long.parseLong(t[5]), Long.parseLong(t[6]), Long.parseLong(t[7]));
                    it.size = it.constraints.size();
                    it.policy = Policy.valueOf(t[8]);
                    it.base = t[9].equals("?") ? -1 : Long.parseLong(t[9]);
                    break;
                default:
                    fail(ctx + " unknown item '" + text + "'");
            }
            return it;
        }

        @Override
        public String toString() {
            switch (kind) {
                case 'c':
                    return "create " + arena;
                case 'd':
                    return "drop " + arena;
                case 's':
                    return "span " + arena + " [" + base + "+" + size + ")";
                case 'f':
                    return "free " + arena + " " + block();
                default:
                    return (kind == 'a' ? "alloc " : "xalloc " + constraints + " ") + arena + " size " + size + " "
                            + policy + " -> " + (base < 0 ? "?" : Long.toString(base));
            }
        }
    }

    /** An acknowledged unit; {@code asked}: the level the batch asked for, or null for the store's. */
    record Unit(int tid, long ticket, Durability asked, List<Item> items, int line) {
        @Override
        public String toString() {
            return "line " + line + " thread " + tid + " ticket " + ticket + (asked == null ? "" : "@" + asked) + " "
                    + items;
        }
    }
}

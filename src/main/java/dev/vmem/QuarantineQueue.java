package dev.vmem;

import java.time.InstantSource;
import java.util.List;

/**
 * The blocks an arena holds back after their free, oldest first, and the rule that lets them go (see
 * {@link Quarantine}). A quarantined block stays an allocated segment of the engine (a tag in the
 * allocation table, or bits of a dense span), so no policy, no form and no search needs to know about it;
 * this queue says which of the engine's allocations are held here rather than by a caller, and releases
 * them, oldest first, by the engine's own free once they are due.
 *
 * <p>A block is due when the clock has reached its due time (its free time plus the delay, plus one
 * millisecond because the clock is read in whole milliseconds) and at least {@code frees} blocks were
 * quarantined after it. Both only grow along the queue while the clock does not go back, so the head is
 * always the first block due; a clock that goes back only holds blocks longer.
 *
 * <p>A ring of three parallel arrays (base, size, due time) and a {@link BaseSet} of the bases: a free
 * costs a clock read (with a delay), a set probe and, when the head is due, the engine's free of it.
 * Runs with the arena's lock held.
 */
final class QuarantineQueue {
    /** A due time that is not known yet: a restored block freed after the last checkpoint. */
    static final long DUE_UNKNOWN = -1;

    final Quarantine rule;
    private final long delayMillis;
    private final long frees;
    private final InstantSource clock;
    private final ArenaEngine engine;
    private final BaseSet members = new BaseSet();
    private long[] bases = new long[16];
    private long[] sizes = new long[16];
    private long[] dues = new long[16];
    private int head;
    private int count;
    /** Values in quarantined blocks. */
    long values;

    QuarantineQueue(ArenaEngine engine, Quarantine rule, InstantSource clock) {
        this.engine = engine;
        this.rule = rule;
        this.delayMillis = rule.delayMillis();
        this.frees = rule.frees();
        this.clock = clock;
    }

    int count() {
        return count;
    }

    boolean holds(long base) {
        return members.contains(base);
    }

    /**
     * Quarantines the caller's live allocation {@code [base, base + size)}: first releases the blocks
     * this free makes due, then queues it. A release the source refuses throws with this block still
     * live (earlier releases in the same call stay done, as a reap would have done them).
     */
    void admit(long base, long size) {
        long now = delayMillis == 0 ? 0 : clock.millis();
        releaseDue(now, 1);
        reserveOne();
        add(base, size, delayMillis == 0 ? 0 : now + delayMillis + 1);
    }

    /** Releases every block due now; returns how many it released. */
    long reap() {
        return count == 0 ? 0 : releaseDue(delayMillis == 0 ? 0 : clock.millis(), 0);
    }

    /** Releases head blocks due at {@code now}, counting {@code incoming} frees about to be queued. */
    private int releaseDue(long now, int incoming) {
        int released = 0;
        while (count > 0 && count - 1 + incoming >= frees && dues[head] <= now) {
            long base = bases[head];
            long size = sizes[head];
            engine.releaseQuarantined(base, size); // may throw: the head stays as it was
            members.remove(base);
            values -= size;
            head = (head + 1) & (bases.length - 1);
            count--;
            released++;
        }
        return released;
    }

    private void reserveOne() {
        members.reserveOne();
        if (count == bases.length) {
            int n = bases.length;
            long[][] grown = {new long[2 * n], new long[2 * n], new long[2 * n]};
            long[][] old = {bases, sizes, dues};
            for (int k = 0; k < 3; k++) {
                for (int i = 0; i < count; i++) {
                    grown[k][i] = old[k][(head + i) & (n - 1)];
                }
            }
            bases = grown[0];
            sizes = grown[1];
            dues = grown[2];
            head = 0;
        }
    }

    private void add(long base, long size, long due) {
        int at = (head + count) & (bases.length - 1);
        bases[at] = base;
        sizes[at] = size;
        dues[at] = due;
        members.add(base);
        values += size;
        count++;
    }

    /** Whether the newest block is {@code [base, base + size)}: a reverted free takes it back. */
    boolean newestIs(long base, long size) {
        int at = (head + count - 1) & (bases.length - 1);
        return count > 0 && bases[at] == base && sizes[at] == size;
    }

    /** Takes the newest block out of quarantine, leaving it the caller's again (a reverted free). */
    void takeBackNewest() {
        int at = (head + count - 1) & (bases.length - 1);
        members.remove(bases[at]);
        values -= sizes[at];
        count--;
    }

    /**
     * Queues a block of a restored state, oldest first; the engine has already made it an allocated
     * segment. A due time of {@link #DUE_UNKNOWN} (freed after the last checkpoint) starts the whole delay now;
     * so does a due time later than that (its clock was ahead of this one, or this one went back): the block
     * was freed before now, so the whole delay from now is always long enough, and holding it longer helps nobody.
     */
    void restore(long base, long size, long due) {
        reserveOne();
        add(base, size, delayMillis == 0 ? due : due == DUE_UNKNOWN ? clock.millis() + delayMillis + 1
                : Math.min(due, clock.millis() + delayMillis + 1));
    }

    /** Visits the blocks oldest first: base, size, due time (0 without a delay). */
    void forEach(Visitor v) {
        for (int i = 0; i < count; i++) {
            int at = (head + i) & (bases.length - 1);
            v.visit(bases[at], sizes[at], dues[at]);
        }
    }

    /** Frees every block without the source, for a closing arena: its spans go back whole afterwards. */
    void dropAll() {
        forEach((base, size, due) -> {
            engine.discardAt(base);
            engine.frees--; // counted at its free
        });
        members.clear();
        head = 0;
        count = 0;
        values = 0;
    }

    /** The time until the head is due (ms), or -1 when it waits for frees; for messages. */
    String nextRelease() {
        if (count == 0) {
            return "";
        }
        long wait = dues[head] - (delayMillis == 0 ? 0 : clock.millis());
        long more = frees - (count - 1);
        return (wait > 0 ? " in " + wait + " ms" : "") + (more > 0 ? (wait > 0 ? " and" : "") + " after " + more
                + " more frees" : "") + (wait <= 0 && more <= 0 ? " now" : "");
    }

    /** The queue's part of the invariant check: each block an allocated segment of its size, the totals agree. */
    void check(List<String> problems) {
        long[] sum = {0, 0};
        forEach((base, size, due) -> {
            sum[0] += size;
            sum[1]++;
            if (Addresses.liveSize(engine, base) != size) {
                problems.add("quarantined block [" + base + ", " + (base + size) + ") is not an allocated segment of that size");
            }
            if (!members.contains(base)) {
                problems.add("quarantined block at " + base + " missing from the quarantine's set");
            }
        });
        if (sum[0] != values || sum[1] != members.size()) {
            problems.add("quarantine counts values=" + values + " and " + members.size() + " members, its queue "
                    + sum[0] + " values in " + sum[1] + " blocks");
        }
    }

    /** One quarantined block. */
    interface Visitor {
        void visit(long base, long size, long due);
    }
}

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
 * <p>A block is due when the clock has reached its due time (the time of the first clock reading at or
 * after its free, plus the delay, plus one millisecond because the clock is read in whole milliseconds; see
 * {@link ClockReadings} for when it is read) and at least {@code frees} blocks were
 * quarantined after it. Both only grow along the queue while the clock does not go back, so the head is
 * always the first block due; a clock that goes back only holds blocks longer.
 *
 * <p>A ring of parallel arrays (base, size, due time, and the block's tag while it is in list form). A
 * list-form block is marked on its tag ({@link Tag#quarantined}), so a free tells a double free from a live
 * block by the tag it looks up anyway; a dense-form block, which has no tag, is in a {@link BaseSet} of bases
 * instead ({@code SpanForms} moves the mark between the two when a span changes form). A free costs a clock
 * read now and then (with a delay) and, when the head is due, the engine's release of it through the tag it
 * kept, with no second lookup. Runs with the arena's lock held.
 */
final class QuarantineQueue {
    /** A due time that is not known yet: a restored block freed after the last checkpoint. */
    static final long DUE_UNKNOWN = -1;
    /** The due time of a block queued since the last clock reading: the next reading stamps it. */
    static final long PENDING = Long.MAX_VALUE;

    final Quarantine rule;
    private final long delayMillis;
    private final long frees;
    private final InstantSource clock;
    /** Null without a delay. */
    private final ClockReadings readings;
    /** The newest blocks, still {@link #PENDING}. */
    private int pending;
    private final ArenaEngine engine;
    /** The bases of the quarantined blocks in dense spans. */
    private final BaseSet denseMembers = new BaseSet();
    private long[] bases = new long[16];
    private long[] sizes = new long[16];
    private long[] dues = new long[16];
    /** The block's tag, marked, when it was queued in list form; else null or a tag no longer marked. */
    private Tag[] tags = new Tag[16];
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
        this.readings = delayMillis == 0 ? null : new ClockReadings(clock, delayMillis);
    }

    int count() {
        return count;
    }

    /** Whether the allocated segment at {@code base} is a quarantined block. O(1) expected; off the hot path. */
    boolean holds(long base) {
        DenseTag d = engine.forms.holding(base);
        if (d != null) {
            return holdsDense(base);
        }
        Tag t = engine.table.find(base);
        return t != null && t.quarantined;
    }

    /** The tag of the allocated segment at {@code base}, or null if its span is in dense form. */
    private Tag tagOf(long base) {
        return engine.forms.holding(base) != null ? null : engine.table.find(base);
    }

    /** Whether the allocated segment at {@code base}, in a dense span, is a quarantined block. */
    boolean holdsDense(long base) {
        return denseMembers.size() > 0 && denseMembers.contains(base);
    }

    /** A span moves to dense form: its quarantined block at {@code base}, tag {@code t}, is marked in the set. */
    void toDense(Tag t) {
        t.quarantined = false;
        denseMembers.reserveOne();
        denseMembers.add(t.base);
    }

    /** A span moves to list form: its block's new tag {@code t} is marked if the block is quarantined. */
    void toList(Tag t) {
        if (holdsDense(t.base)) {
            denseMembers.remove(t.base);
            t.quarantined = true;
        }
    }

    /**
     * Quarantines the caller's live allocation {@code [base, base + size)}: first releases the blocks
     * this free makes due, then queues it. A release the source refuses throws with this block still
     * live (earlier releases in the same call stay done, as a reap would have done them).
     */
    void admit(long base, long size, Tag t) {
        long due = 0;
        long now = 0;
        if (readings != null) {
            boolean fresh = readings.freeReads();
            now = fresh ? stamp(readings.readAtFree()) : readings.last(); // the last reading: no later than now
            due = fresh ? now + delayMillis + 1 : PENDING;
        }
        if (releaseDue(now, 1) > 0) {
            t = tagOf(base); // a release can move this block's span back to boundary tags
        }
        reserveOne(t == null);
        add(base, size, due, t);
        pending += due == PENDING ? 1 : 0;
    }

    /** Stamps the pending blocks with the reading {@code now}, which it returns. */
    private long stamp(long now) {
        for (; pending > 0; pending--) {
            dues[(head + count - pending) & (bases.length - 1)] = now + delayMillis + 1;
        }
        return now;
    }

    /** Gives the pending blocks a due time from a reading now; they have one already without a delay. */
    void settle() {
        if (pending > 0) {
            stamp(readings.read());
        }
    }

    /** Releases every block due now; returns how many it released. */
    long reap() {
        return count == 0 ? 0 : releaseDue(readings == null ? 0 : stamp(readings.read()), 0);
    }

    /** Releases head blocks due at {@code now}, counting {@code incoming} frees about to be queued. */
    private int releaseDue(long now, int incoming) {
        int released = 0;
        while (count > 0 && count - 1 + incoming >= frees && dues[head] <= now) {
            long base = bases[head];
            long size = sizes[head];
            Tag t = tags[head];
            if (t == null || !t.quarantined) { // queued in dense form, or its span changed form since
                t = tagOf(base);
            }
            engine.releaseQuarantined(base, size, t); // may throw: the head stays as it was
            if (t != null) {
                t.quarantined = false;
            } else {
                denseMembers.remove(base);
            }
            tags[head] = null;
            values -= size;
            head = (head + 1) & (bases.length - 1);
            count--;
            released++;
        }
        return released;
    }

    /** Makes room for one more block ({@code dense}: in a dense span) before anything changes. */
    private void reserveOne(boolean dense) {
        if (dense) {
            denseMembers.reserveOne();
        }
        if (count == bases.length) {
            int n = bases.length;
            long[][] grown = {new long[2 * n], new long[2 * n], new long[2 * n]};
            long[][] old = {bases, sizes, dues};
            Tag[] grownTags = new Tag[2 * n];
            for (int i = 0; i < count; i++) {
                int at = (head + i) & (n - 1);
                for (int k = 0; k < 3; k++) {
                    grown[k][i] = old[k][at];
                }
                grownTags[i] = tags[at];
            }
            bases = grown[0];
            sizes = grown[1];
            dues = grown[2];
            tags = grownTags;
            head = 0;
        }
    }

    /** Queues a block, its tag {@code t} (null: in a dense span) marked, after {@link #reserveOne}. */
    private void add(long base, long size, long due, Tag t) {
        int at = (head + count) & (bases.length - 1);
        bases[at] = base;
        sizes[at] = size;
        dues[at] = due;
        tags[at] = t;
        if (t != null) {
            t.quarantined = true;
        } else {
            denseMembers.add(base);
        }
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
        unmark(bases[at], tags[at]);
        tags[at] = null;
        values -= sizes[at];
        count--;
        pending -= pending > 0 ? 1 : 0; // the pending blocks are the newest
    }

    /** Takes the mark off the queued block at {@code base} (queued with tag {@code t}), which stays allocated. */
    private void unmark(long base, Tag t) {
        if (t == null || !t.quarantined) {
            t = engine.forms.holding(base) != null ? null : engine.table.find(base);
        }
        if (t != null) {
            t.quarantined = false;
        } else {
            denseMembers.remove(base);
        }
    }

    /**
     * Queues a block of a restored state, oldest first; the engine has already made it an allocated
     * segment. A due time of {@link #DUE_UNKNOWN} (freed after the last checkpoint) starts the whole delay now;
     * so does a due time later than that (its clock was ahead of this one, or this one went back): the block
     * was freed before now, so the whole delay from now is always long enough, and holding it longer helps nobody.
     */
    void restore(long base, long size, long due) {
        Tag t = engine.forms.holding(base) != null ? null : engine.table.find(base);
        reserveOne(t == null);
        add(base, size, delayMillis == 0 ? due : due == DUE_UNKNOWN ? clock.millis() + delayMillis + 1
                : Math.min(due, clock.millis() + delayMillis + 1), t);
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
        for (int i = 0; i < count; i++) {
            int at = (head + i) & (bases.length - 1);
            unmark(bases[at], tags[at]);
            engine.discardAt(bases[at]);
            engine.frees--; // counted at its free
            tags[at] = null;
        }
        denseMembers.clear();
        pending = 0;
        head = 0;
        count = 0;
        values = 0;
    }

    /** The time until the head is due (ms), or -1 when it waits for frees; for messages. */
    String nextRelease() {
        if (count == 0) {
            return "";
        }
        long now = delayMillis == 0 ? 0 : clock.millis(); // not a reading: a message changes nothing
        long wait = (dues[head] == PENDING ? now + delayMillis + 1 : dues[head]) - now;
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
            if (!holds(base)) {
                problems.add("quarantined block at " + base + " is not marked (on its tag, or in the dense set)");
            }
        });
        for (int i = 0; i < count; i++) {
            if ((dues[(head + i) & (bases.length - 1)] == PENDING) != (i >= count - pending)) {
                problems.add("quarantined block " + i + " of " + count + " is " + (i >= count - pending ? "" : "not ")
                        + "among the " + pending + " newest, but its due time says otherwise");
            }
        }
        long[] marked = {0};
        for (Tag t = engine.list.first(); t != engine.list.sentinel; t = t.next) {
            marked[0] += t.quarantined ? 1 : 0;
            if (t.quarantined && t.type != Tag.ALLOCATED) {
                problems.add("quarantine mark on " + t + ", which is not an allocated segment");
            }
        }
        if (sum[0] != values || sum[1] != marked[0] + denseMembers.size()) {
            problems.add("quarantine counts values=" + values + ", " + marked[0] + " marked tags and "
                    + denseMembers.size() + " dense members; its queue " + sum[0] + " values in " + sum[1] + " blocks");
        }
    }

    /** One quarantined block. */
    interface Visitor {
        void visit(long base, long size, long due);
    }
}

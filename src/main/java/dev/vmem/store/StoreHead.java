package dev.vmem.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The store head: the evidence of how far the journal reached that lives outside the journal (layout:
 * {@link StoreFormat}). A journal can lose its newest segment, or its tail, in ways no record inside it
 * can show; recovery compares what it finds with the head and refuses when the journal ends before what
 * the head proves was durable.
 *
 * <h2>Assumptions and guarantees</h2>
 * The head only ever moves forward, and says nothing that is not already durable: the journal passes it
 * a sequence number only once an fsync covered it, a segment only once its name is durable, and a
 * checkpoint only once it is verified. Two slots a page apart are written in turn and forced, so a write
 * torn by a power loss leaves the previous head whole in the other slot. Thread-safe.
 */
final class StoreHead implements AutoCloseable {

    /**
     * One head.
     *
     * @param count         how many heads were written before this one, plus one: the newer slot wins
     * @param durableSeq    every journal record up to here was on disk
     * @param segment       the first sequence number of the newest journal segment: that file exists
     * @param checkpointSeq the sequence number of the newest verified checkpoint (0 for none)
     * @param repairs       how many times {@code vmem repair} accepted a loss in this store
     * @param acknowledgedSeq the newest record of a unit acknowledged before its fsync (0 for none, or unknown)
     */
    record State(long count, long durableSeq, long segment, long checkpointSeq, int repairs, long acknowledgedSeq) {
        /** A head without an acknowledged sequence number (format 2's, or one that knows none yet). */
        State(long count, long durableSeq, long segment, long checkpointSeq, int repairs) {
            this(count, durableSeq, segment, checkpointSeq, repairs, 0);
        }

        State advance(long durable, long newestSegment, long checkpoint, long acknowledged) {
            return new State(count + 1, Math.max(durableSeq, durable), Math.max(segment, newestSegment),
                    Math.max(checkpointSeq, checkpoint), repairs, Math.max(acknowledgedSeq, acknowledged));
        }
    }

    private final Path file;
    private final StoreFiles.Channel channel;
    private State state;

    private StoreHead(Path file, StoreFiles.Channel channel, State state) {
        this.file = file;
        this.channel = channel;
        this.state = state;
    }

    /** Creates the head of a new store, or of one repaired or upgraded, and makes it durable. */
    static StoreHead create(StoreFiles files, Path dir, State initial) throws IOException {
        Path file = dir.resolve(StoreFormat.HEAD_FILE);
        StoreFiles.Channel ch = files.open(file);
        try {
            ch.truncate(0);
            StoreHead head = new StoreHead(file, ch, new State(0, 0, 0, 0, 0));
            head.write(initial);
            files.syncDirectory(dir);
            return head;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Opens the head recovery read, to keep it up to date. */
    static StoreHead open(StoreFiles files, Path dir, State recovered) throws IOException {
        Path file = dir.resolve(StoreFormat.HEAD_FILE);
        return new StoreHead(file, files.open(file), recovered);
    }

    /**
     * The newest whole head in {@code dir}.
     *
     * @throws StoreCorruptedException if the file is missing or neither slot is whole
     */
    static State read(Path dir) throws IOException {
        Path file = dir.resolve(StoreFormat.HEAD_FILE);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new StoreCorruptedException(file, -1, "the store head is missing: without it, a lost journal tail"
                    + " cannot be told from a short one");
        }
        State a = StoreFormat.headFromSlot(bytes, 0);
        State b = StoreFormat.headFromSlot(bytes, StoreFormat.HEAD_SLOT_STRIDE);
        if (a == null && b == null) {
            throw new StoreCorruptedException(file, 0, "the store head is damaged: neither of its two slots is whole");
        }
        return a == null || b != null && b.count() > a.count() ? b : a;
    }

    synchronized State state() {
        return state;
    }

    /**
     * Records that records up to {@code durableSeq} are on disk, that segment {@code segment} exists and
     * that a checkpoint at {@code checkpointSeq} is verified, if any of it is news; forced before it returns.
     */
    synchronized void advance(long durableSeq, long segment, long checkpointSeq) throws IOException {
        advance(durableSeq, segment, checkpointSeq, 0);
    }

    /** As {@link #advance(long, long, long)}, recording also the newest unit acknowledged before its fsync. */
    synchronized void advance(long durableSeq, long segment, long checkpointSeq, long acknowledgedSeq)
            throws IOException {
        if (durableSeq > state.durableSeq() || segment > state.segment() || checkpointSeq > state.checkpointSeq()
                || acknowledgedSeq > state.acknowledgedSeq()) {
            write(state.advance(durableSeq, segment, checkpointSeq, acknowledgedSeq));
        }
    }

    /**
     * At open, once recovery has reported what it found: the journal goes on after {@code lastSeq}, so the
     * sequence numbers of any units it lost will be used again, and the head must no longer claim them.
     */
    synchronized void reopened(long lastSeq, long segment) throws IOException {
        if (state.acknowledgedSeq() <= lastSeq) {
            advance(lastSeq, segment, 0); // written only if it is news: an open that changes nothing writes nothing
            return;
        }
        State s = state.advance(lastSeq, segment, 0, 0);
        write(new State(s.count(), s.durableSeq(), s.segment(), s.checkpointSeq(), s.repairs(), lastSeq));
    }

    /** Records one more accepted loss. */
    synchronized void repaired() throws IOException {
        State s = state;
        write(new State(s.count() + 1, s.durableSeq(), s.segment(), s.checkpointSeq(), s.repairs() + 1,
                s.acknowledgedSeq()));
    }

    private void write(State next) throws IOException {
        State written = new State(Math.max(next.count(), state.count() + 1), next.durableSeq(), next.segment(),
                next.checkpointSeq(), next.repairs(), next.acknowledgedSeq());
        channel.write(StoreFormat.headSlot(written), StoreFormat.headSlotOffset(written.count()));
        channel.force();
        state = written;
    }

    Path file() {
        return file;
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }
}

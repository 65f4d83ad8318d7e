package dev.vmem.store;

import dev.vmem.Policy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntFunction;

/**
 * One run's history for the power-loss test, in the order things really happened: every change to the
 * store's files ({@link RecordingFiles}) and every acknowledgement the workload received. An index into
 * it is an instant; a power loss "at index {@code c}" is one after events {@code [0, c)} and before the
 * rest.
 *
 * <h2>Assumptions and guarantees</h2>
 * Any thread may append. The order is the real order because whoever appends does its deed and appends
 * under {@link #lock}: a file change is recorded under the same lock hold as the change itself, and an
 * acknowledgement after the call returned. fsyncs are the exception, on purpose: holding the lock
 * through one would stop every writer for its duration and hide the records written while an fsync runs,
 * which is what group commit is about. So an fsync is two events, its start and its end; what was written
 * before the start is durable once the end is recorded, what was written in between may or may not be.
 * Paths are relative to the store directory, with '/' separators.
 */
final class PowerLossLog {

    /** Something that happened. */
    sealed interface Event {
    }

    /**
     * An entry that was created outside the seam, found when the recorder first needed it. Its content is
     * taken as durable; its name as durable only if {@code nameDurable}.
     */
    record Appeared(String path, boolean directory, byte[] content, boolean nameDurable) implements Event {
    }

    /** {@code path} was opened for writing as {@code channel}, created empty if it did not exist. */
    record Opened(int channel, String path) implements Event {
    }

    record Wrote(int channel, long position, byte[] bytes) implements Event {
    }

    /** The file grew to {@code size} with zeros. */
    record Extended(int channel, long size) implements Event {
    }

    record Truncated(int channel, long size) implements Event {
    }

    /** An fsync of {@code channel}'s file started; it covers everything written before this event. */
    record ForceBegan(int force, int channel) implements Event {
    }

    /** The fsync numbered {@code force} returned. */
    record ForceEnded(int force) implements Event {
    }

    /**
     * A file written whole by code outside the seam (MapDB): its name now exists and its content is
     * {@code content}, known to the recorder as {@code channel}. Not durable until a force of that channel.
     */
    record WroteOutside(int channel, String path, byte[] content) implements Event {
    }

    record CreatedDirectory(String path) implements Event {
    }

    record Deleted(String path) implements Event {
    }

    record Moved(String from, String to) implements Event {
    }

    /** An fsync of directory {@code dir} started; it covers every name changed in it before this event. */
    record DirSyncBegan(int sync, String dir) implements Event {
    }

    record DirSyncEnded(int sync) implements Event {
    }

    /** What an acknowledgement is about. */
    enum AckKind {
        CREATE, SPAN, ALLOC, FREE
    }

    /**
     * The workload is about to run unit {@code unit} (one call, or one batch) acknowledged at {@code level};
     * {@code nextFit} bounds, per arena, the bytes its NEXT_FIT allocations may hand out. From here on the
     * unit may be in the journal; it was started after every unit acknowledged before this event, so its
     * record follows theirs.
     */
    record Began(int thread, int unit, Durability level, Map<String, Long> nextFit) implements Event {
    }

    /**
     * The workload's call returned: one of unit {@code unit}'s items, acknowledged at {@code level} (the
     * unit's). For CREATE the arena; for SPAN, ALLOC and FREE the range {@code [base, base + size)} (size
     * rounded to the quantum) and, for ALLOC, the policy.
     */
    record Acked(int thread, int unit, Durability level, AckKind kind, String arena, Policy policy, long base,
            long size) implements Event {
    }

    /** Unit {@code unit} threw (the arena was exhausted): nothing it did happened. */
    record Failed(int unit) implements Event {
    }

    /**
     * {@code store.sync()} (or a clean close) was called: once the matching {@link SyncReturned} is recorded,
     * everything acknowledged before this event is durable, whatever its level.
     */
    record SyncCalled(int thread, int barrier) implements Event {
    }

    record SyncReturned(int barrier) implements Event {
    }

    /** The workload is about to free {@code [base, base + size)}: from here on it may be gone. */
    record FreeStarted(int thread, String arena, long base, long size) implements Event {
    }

    final ReentrantLock lock = new ReentrantLock();
    private final List<Event> events = new ArrayList<>();
    private int nextId;

    /** Appends {@code e}. */
    void append(Event e) {
        lock.lock();
        try {
            events.add(e);
        } finally {
            lock.unlock();
        }
    }

    /** Appends {@code all} at once: no instant falls between them. */
    void appendAll(List<? extends Event> all) {
        lock.lock();
        try {
            events.addAll(all);
        } finally {
            lock.unlock();
        }
    }

    /** Appends the event {@code make} builds from a fresh id (a channel, fsync or directory sync number). */
    int appendNumbered(IntFunction<Event> make) {
        lock.lock();
        try {
            int id = nextId++;
            events.add(make.apply(id));
            return id;
        } finally {
            lock.unlock();
        }
    }

    /** A fresh id, for an event appended later under the same lock hold. Call with {@link #lock} held. */
    int newId() {
        assert lock.isHeldByCurrentThread();
        return nextId++;
    }

    /** A copy of the history so far. */
    List<Event> events() {
        lock.lock();
        try {
            return List.copyOf(events);
        } finally {
            lock.unlock();
        }
    }
}

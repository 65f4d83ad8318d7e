package dev.vmem.testing;

import dev.vmem.Arena;
import dev.vmem.ArenaChange;
import dev.vmem.ArenaObserver;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An observer that keeps every change, with the arena that made it, for tests that check what was
 * reported or revert it. One log can observe a parent and its child: an import reports the parent's
 * change before the child's, and a revert must undo them in the opposite order on the arena that made each.
 */
public final class ChangeLog implements ArenaObserver {

    /** One change as the observer saw it, with the arena that made it. */
    public record Event(Arena arena, ArenaChange change) {
    }

    private final List<Event> events = new ArrayList<>();

    @Override
    public synchronized void changed(Arena arena, ArenaChange change) {
        events.add(new Event(arena, change));
    }

    /** Every change so far, oldest first. */
    public synchronized List<Event> events() {
        return List.copyOf(events);
    }

    /** Every change so far, newest first: the order to revert them in. */
    public synchronized List<Event> newestFirst() {
        List<Event> out = new ArrayList<>(events);
        Collections.reverse(out);
        return out;
    }

    /** The changes {@code arena} reported, oldest first. */
    public synchronized List<ArenaChange> changesOf(Arena arena) {
        List<ArenaChange> out = new ArrayList<>();
        for (Event e : events) {
            if (e.arena() == arena) {
                out.add(e.change());
            }
        }
        return out;
    }

    /** Forgets what was logged so far, e.g. the spans a builder added. */
    public synchronized void clear() {
        events.clear();
    }
}

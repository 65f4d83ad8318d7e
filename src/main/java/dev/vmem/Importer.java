package dev.vmem;

import java.util.ArrayList;
import java.util.List;

/**
 * An arena's dealings with its source: importing a span that holds a request when the arena runs out,
 * and giving an imported span back once it is wholly free or the arena closes. Runs with the arena's
 * lock held; a source never calls back into its importer, so the lock order is child before parent.
 */
final class Importer {
    private final ArenaEngine engine;
    private final Source source;
    private final long importQuantum;

    Importer(ArenaEngine engine, Source source, long importQuantum) {
        this.engine = engine;
        this.source = source;
        this.importQuantum = importQuantum;
    }

    Source source() {
        return source;
    }

    /**
     * Imports a span that can hold the request and places the block in it, trying the requests of
     * {@link ImportPlan} in turn (at most four calls to the source, none of them recursive into this
     * arena). A span that still cannot hold the block is given back. Returns the start (the free tag
     * holding it left for the engine's carve) or {@link Arena#NONE}.
     */
    long importAndFind(Request r) {
        long quantum = engine.quantum;
        for (Constraints request : ImportPlan.requests(quantum, source.quantum(), importQuantum, r)) {
            long base;
            try {
                base = source.importSpan(request);
            } catch (ArenaExhaustedException e) {
                continue;
            }
            long span = request.size();
            if (!request.admits(base) || (base & (quantum - 1)) != 0 || engine.list.overlappingSpan(base, span) != null) {
                IllegalStateException bad = new IllegalStateException("source of arena '" + engine.label
                        + "' returned base=" + base + " for " + request
                        + ", which is misaligned, outside the request or overlaps a span");
                try {
                    source.releaseSpan(base, span);
                } catch (RuntimeException e) {
                    bad.addSuppressed(e);
                }
                throw bad;
            }
            engine.insertSpan(base, span, Tag.IMPORTED_SPAN);
            long start = engine.find(r);
            if (start != Arena.NONE) {
                engine.imports++;
                engine.emit(new ArenaChange.SpanAdded(base, span, true));
                return start;
            }
            // A futile import leaves no trace in this arena: no counter, no reported change.
            engine.removeFreeSpan(engine.list.spanAt(base));
            source.releaseSpan(base, span);
        }
        return Arena.NONE;
    }

    /** Gives a wholly free imported span back to the source; may throw, before anything has changed. */
    void giveBack(Tag marker) {
        source.releaseSpan(marker.base, marker.size);
    }

    /**
     * Gives every imported span back to the source, with whatever it still holds, for a closing arena.
     * A span the source refuses stays; the first refusal is thrown after trying the others.
     */
    void releaseAll() {
        List<Tag> spans = new ArrayList<>();
        for (Tag marker : engine.list.spanMarkers()) {
            if (marker.type == Tag.IMPORTED_SPAN) {
                spans.add(marker);
            }
        }
        RuntimeException failure = null;
        for (Tag marker : spans) {
            try {
                giveBack(marker);
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = new IllegalStateException("arena '" + engine.label + "' could not give span ["
                            + marker.base + ", " + marker.end() + ") back to its source", e);
                } else {
                    failure.addSuppressed(e);
                }
                continue;
            }
            engine.discardImportedSpan(marker);
            engine.releases++;
        }
        if (failure != null) {
            throw failure;
        }
    }
}

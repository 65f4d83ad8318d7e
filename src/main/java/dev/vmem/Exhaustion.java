package dev.vmem;

/**
 * The message of a failed allocation: what was asked, under which policy, and the figures it failed
 * against; with a quarantine, whether the request would fit once the quarantined blocks are released
 * (a run of free and quarantined segments admits it) and when the next one is due. Runs with the
 * arena's lock held, on the failure path only: the quarantine's part walks the segments, O(n).
 */
final class Exhaustion {
    private Exhaustion() {
    }

    static ArenaExhaustedException of(ArenaEngine e, ArenaStats s, boolean cached, Constraints asked, Request r) {
        StringBuilder m = new StringBuilder("arena '").append(e.label).append("' has no room for ").append(asked)
                .append(" under ").append(r.policy()).append(" (total=").append(s.total()).append(", free=")
                .append(s.free());
        if (cached) {
            m.append(" of which cached=").append(s.cached());
        }
        QuarantineQueue q = e.quarantine;
        if (q != null && q.count() > 0) {
            m.append(", quarantined=").append(s.quarantined()).append(" in ").append(q.count()).append(" blocks");
            if (fitsOnceReleased(e, r)) {
                m.append(": it would fit in quarantined space, the oldest block leaves quarantine")
                        .append(q.nextRelease());
            }
        }
        if (e.importer != null) {
            m.append(", and its source supplied no span that holds it: ").append(e.importer.source());
        }
        return new ArenaExhaustedException(m.append(')').toString());
    }

    /** Whether some run of free and quarantined segments, inside one span, admits the request. */
    static boolean fitsOnceReleased(ArenaEngine e, Request r) {
        Run run = new Run(e.quarantine, r);
        for (Tag t = e.list.first(); t != e.list.sentinel && !run.fits; t = t.next) {
            if (t.isSpan()) {
                run.end();
            } else if (t.type == Tag.DENSE) {
                ((DenseTag) t).bits.visit(run::segment);
            } else {
                run.segment(t.base, t.size, t.type == Tag.ALLOCATED);
            }
        }
        run.end();
        return run.fits;
    }

    /** The run being gathered as the segments go by in address order. */
    private static final class Run {
        private final QuarantineQueue q;
        private final Request r;
        private long base = -1;
        private long end;
        boolean fits;

        Run(QuarantineQueue q, Request r) {
            this.q = q;
            this.r = r;
        }

        void segment(long b, long size, boolean allocated) {
            if (allocated && !q.holds(b)) {
                end();
                return;
            }
            if (base < 0) {
                base = b;
            }
            end = b + size;
        }

        void end() {
            fits |= base >= 0 && r.lowestWithin(base, end) != Arena.NONE;
            base = -1;
        }
    }
}

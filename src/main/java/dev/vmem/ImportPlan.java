package dev.vmem;

import java.util.ArrayList;
import java.util.List;

/**
 * What an arena asks its source for when it runs out: at most two requests, tried in order.
 *
 * <ol>
 *   <li>Generous: at least the import quantum, so that later allocations need not import again. The
 *       whole span carries the block's alignment, phase, nocross and bounds, so the block fits at its
 *       base. Skipped when the larger span cannot meet them (for example, it would straddle nocross).</li>
 *   <li>Exact: just the block, rounded to the coarser of the two quanta.</li>
 * </ol>
 * When the source's quantum is too coarse to express the phase, a single request pads the span by the
 * alignment instead, keeping only the bounds; the arena then looks for the block inside the span and
 * gives the span back if it is not there. Every request is feasible at the source's quantum, so the
 * source rejects none of them as malformed.
 */
final class ImportPlan {
    private ImportPlan() {
    }

    static List<Constraints> requests(long quantum, long sourceQuantum, long importQuantum,
            long size, long align, long phase, long nocross, long min, long max) {
        long grain = Math.max(quantum, sourceQuantum);
        long lo = Fit.roundUp(min, grain);
        long hi = Fit.roundDown(max, grain);
        List<Constraints> out = new ArrayList<>(2);
        if (lo == Fit.NONE) {
            return out;
        }
        if ((phase & (grain - 1)) == 0) {
            long spanAlign = Math.max(align, grain);
            long exact = Fit.roundUp(size, grain);
            long generous = Fit.roundUp(Math.max(size, importQuantum), grain);
            if (generous != Fit.NONE && generous > exact) {
                add(out, generous, spanAlign, phase, nocross, lo, hi);
            }
            if (exact != Fit.NONE) {
                add(out, exact, spanAlign, phase, nocross, lo, hi);
            }
        } else if (size <= Long.MAX_VALUE - align) {
            long padded = Fit.roundUp(Math.max(size + align, importQuantum), grain);
            if (padded != Fit.NONE) {
                add(out, padded, grain, 0, 0, lo, hi);
            }
        }
        return out;
    }

    private static void add(List<Constraints> out, long size, long align, long phase, long nocross, long min,
            long max) {
        if (Constraints.feasible(size, align, phase, nocross, min, max)) {
            out.add(new Constraints(size, align, phase, nocross, min, max));
        }
    }
}

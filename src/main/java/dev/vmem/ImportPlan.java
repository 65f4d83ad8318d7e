package dev.vmem;

import java.util.ArrayList;
import java.util.List;

/**
 * What an arena asks its source for when it runs out: at most four requests, tried in order, each a
 * span whose base {@code B} is a multiple of the grain {@code g} (the coarser of the two quanta).
 *
 * <p>The block is planned at a fixed offset {@code d} from the span's base, {@code d < g} or the first
 * offset that keeps the block clear of a fine {@code nocross}, so the span needs only
 * {@code roundUp(d + size, g)} values. The block's constraints become constraints on {@code B}:
 * <ul>
 *   <li>align and phase: {@code B = phase - d (mod max(align, g))};</li>
 *   <li>min and max: {@code B >= min - d} and {@code B + d + size <= max}, which for a span of
 *       {@code n} values is {@code B + n <= max - d - size + n};</li>
 *   <li>nocross {@code N}: when {@code N > max(align, g)}, the span itself must not straddle {@code N}
 *       (equivalent, since {@code g} divides {@code B mod N}); otherwise the block's position relative
 *       to {@code N} does not depend on {@code B} and {@code d} already accounts for it.</li>
 * </ul>
 * Each translation is exact at the source's quantum, so the requests are:
 * <ol>
 *   <li>generous: at least the import quantum, so later allocations need not import again (skipped
 *       when the larger span would straddle {@code nocross});</li>
 *   <li>exact: just {@code roundUp(d + size, g)};</li>
 *   <li>shifted: when {@code min - d} falls inside a grain (and the alignment is finer than the grain,
 *       else the block's place in a span is fixed), a span starting exactly at that grain may hold the
 *       block above its offset: the exact size, then one grain more.</li>
 * </ol>
 * The arena places the block in the span it gets and gives the span back if the block is not there
 * (only a shifted request can produce such a span). A custom {@link Source} may still refuse all of
 * them while holding a range that would do; the request then fails cleanly.
 */
final class ImportPlan {
    private ImportPlan() {
    }

    static List<Constraints> requests(long quantum, long sourceQuantum, long importQuantum, Request r) {
        long size = r.size();
        long align = r.align();
        long phase = r.phase();
        long nocross = r.nocross();
        long min = r.min();
        long max = r.max();
        long g = Math.max(quantum, sourceQuantum);
        long spanAlign = Math.max(align, g);
        long spanPhase = align >= g ? Fit.roundDown(phase, g) : 0;
        long offset;
        long spanNocross = 0;
        if (nocross != 0 && nocross <= spanAlign) {
            // B is a multiple of nocross and of align (or B = spanPhase mod align): the block's place
            // relative to every boundary is fixed by its offset alone.
            long first = Fit.lowest(spanPhase, Long.MAX_VALUE, size, align, phase, nocross);
            if (first == Fit.NONE) {
                return List.of();
            }
            offset = first - spanPhase;
        } else {
            offset = align >= g ? phase - spanPhase : phase;
            spanNocross = nocross;
        }
        if (offset > Long.MAX_VALUE - size) {
            return List.of();
        }
        long need = offset + size;
        List<Constraints> out = new ArrayList<>(4);
        long exact = Fit.roundUp(need, g);
        long generous = Fit.roundUp(Math.max(need, importQuantum), g);
        if (generous != Fit.NONE && generous > exact && (spanNocross == 0 || generous <= spanNocross)) {
            add(out, atOffset(generous, offset, size, spanAlign, spanPhase, spanNocross, min, max));
        }
        if (exact == Fit.NONE) {
            return out;
        }
        add(out, atOffset(exact, offset, size, spanAlign, spanPhase, spanNocross, min, max));
        if (align < g && ((min - offset) & (g - 1)) != 0) {
            // min falls inside a grain: a span starting at that grain can hold the block higher up (a span
            // starting higher would have satisfied the exact request already).
            long lo = Fit.roundDown(Math.max(0, min - offset), g);
            for (long n = exact; n > 0 && n - exact <= g; n += g) {
                if ((spanNocross == 0 || n <= spanNocross) && n <= Long.MAX_VALUE - lo) {
                    add(out, within(n, spanAlign, spanPhase, spanNocross, lo, lo + n));
                }
                if (n > Long.MAX_VALUE - g) {
                    break;
                }
            }
        }
        return out;
    }

    /** A span of {@code n} values starting at or above {@code lo} and ending by {@code hi}, or null. */
    private static Constraints within(long n, long align, long phase, long nocross, long lo, long hi) {
        return Constraints.feasible(n, align, phase, nocross, lo, hi)
                ? new Constraints(n, align, phase, nocross, lo, hi)
                : null;
    }

    /** The span of {@code n} values that holds the block at {@code offset}, or null if none can. */
    private static Constraints atOffset(long n, long offset, long size, long align, long phase, long nocross,
            long min, long max) {
        long lowestBase = Math.max(0, min - offset);
        long room = max - offset - size; // highest base for the block to end by max
        if (room < 0) {
            return null;
        }
        long spanMax = room > Long.MAX_VALUE - n ? Long.MAX_VALUE : room + n;
        if (!Constraints.feasible(n, align, phase, nocross, lowestBase, spanMax)) {
            return null;
        }
        return new Constraints(n, align, phase, nocross, lowestBase, spanMax);
    }

    private static void add(List<Constraints> out, Constraints c) {
        if (c != null) {
            out.add(c);
        }
    }
}

package dev.vmem.cli;

import dev.vmem.ArenaStats;
import dev.vmem.Segment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Draws an arena's address space as SVG: one band per span, each column of a band shaded by how much
 * of its range is allocated (so a million segments still make a picture of a few thousand shapes),
 * with the figures that describe fragmentation above.
 */
final class SvgMap {
    static final int WIDTH = 1000;
    static final int BAND = 28;
    static final int GAP = 18;
    static final int MAX_BANDS = 64;
    private static final int LEVELS = 8;

    private SvgMap() {
    }

    static String render(String name, long quantum, ArenaStats stats, List<Segment> segments) {
        List<Segment> spans = new ArrayList<>();
        long freeSegments = 0;
        long largestFree = 0;
        for (Segment s : segments) {
            if (s.kind().isSpan()) {
                spans.add(s);
            } else if (s.kind() == Segment.Kind.FREE) {
                freeSegments++;
                largestFree = Math.max(largestFree, s.size());
            }
        }
        int bands = Math.min(spans.size(), MAX_BANDS);
        int top = 70;
        int height = top + bands * (BAND + GAP) + 40;
        StringBuilder svg = new StringBuilder();
        svg.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"13\">%n", WIDTH + 40, height,
                WIDTH + 40, height));
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        double fragmentation = stats.free() == 0 ? 0 : 1 - (double) largestFree / stats.free();
        text(svg, 20, 22, "arena " + name + " (quantum " + quantum + "): " + spans.size() + " spans, total "
                + stats.total() + ", allocated " + stats.allocated() + ", free " + stats.free());
        text(svg, 20, 42, String.format(Locale.ROOT, "%d live allocations, %d free segments, largest free %d, "
                + "fragmentation %.1f%% (1 - largest free / free)", stats.liveAllocations(), freeSegments, largestFree,
                100 * fragmentation));
        text(svg, 20, 60, "one band per span, scaled to the full width; each column is shaded by the share of its "
                + "range allocated (dark: allocated, light: free)");
        int band = 0;
        for (int i = 0; i < segments.size() && band < bands; i++) {
            Segment span = segments.get(i);
            if (!span.kind().isSpan()) {
                continue;
            }
            int y = top + band * (BAND + GAP);
            double[] allocated = new double[WIDTH];
            double perColumn = (double) span.size() / WIDTH;
            int j = i + 1;
            for (; j < segments.size() && !segments.get(j).kind().isSpan(); j++) {
                Segment s = segments.get(j);
                if (s.kind() == Segment.Kind.ALLOCATED) {
                    spread(allocated, (s.base() - span.base()) / perColumn, (s.end() - span.base()) / perColumn);
                }
            }
            drawBand(svg, y, allocated);
            svg.append(String.format(Locale.ROOT, "<rect x=\"20\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                    + "stroke=\"#333\" stroke-width=\"0.5\"/>%n", y, WIDTH, BAND));
            text(svg, 20, y + BAND + 9, "[" + span.base() + ", " + span.end() + ")"
                    + (span.kind() == Segment.Kind.IMPORTED_SPAN ? " imported" : ""), 9);
            band++;
        }
        if (spans.size() > bands) {
            text(svg, 20, height - 12, (spans.size() - bands) + " more spans not drawn");
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    /** Adds the share of the range [from, to) (in columns) that falls into each column. */
    private static void spread(double[] columns, double from, double to) {
        int first = (int) Math.floor(from);
        int last = Math.min(columns.length - 1, (int) Math.ceil(to) - 1);
        for (int c = Math.max(0, first); c <= last; c++) {
            double lo = Math.max(from, c);
            double hi = Math.min(to, c + 1);
            if (hi > lo) {
                columns[c] += hi - lo;
            }
        }
    }

    private static void drawBand(StringBuilder svg, int y, double[] allocated) {
        int start = 0;
        int level = level(allocated[0]);
        for (int c = 1; c <= WIDTH; c++) {
            int l = c < WIDTH ? level(allocated[c]) : -1;
            if (l != level) {
                svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                        + "fill=\"%s\"/>%n", 20 + start, y, c - start, BAND, color(level)));
                start = c;
                level = l;
            }
        }
    }

    private static int level(double share) {
        return (int) Math.round(Math.min(1, Math.max(0, share)) * (LEVELS - 1));
    }

    /** From light green (free) to dark blue (allocated). */
    private static String color(int level) {
        double t = (double) level / (LEVELS - 1);
        int r = (int) Math.round(0xd8 + (0x1f - 0xd8) * t);
        int g = (int) Math.round(0xf0 + (0x3a - 0xf0) * t);
        int b = (int) Math.round(0xd8 + (0x93 - 0xd8) * t);
        return String.format("#%02x%02x%02x", r, g, b);
    }

    private static void text(StringBuilder svg, int x, int y, String s) {
        text(svg, x, y, s, 13);
    }

    private static void text(StringBuilder svg, int x, int y, String s, int size) {
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"%d\">%s</text>%n", x, y, size,
                escape(s)));
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}

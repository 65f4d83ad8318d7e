package dev.vmem.cli;

import dev.vmem.ArenaStats;
import dev.vmem.Segment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Draws an arena's address space as SVG: one band per span, with an address axis in hex under it and the
 * figures that describe fragmentation above. A band of at most {@link #MAX_RUNS} runs draws each run (each
 * free, allocated or cached segment) as a rectangle whose {@code <title>} tooltip gives its kind, base, end and
 * size; a busier band is shaded by column instead (so a million segments still make a picture of a few
 * thousand shapes), each column by how much of its range is allocated.
 *
 * <p>Nothing that exists is drawn too thin to see: a run is at least {@link #MIN_WIDTH} px wide, and a column
 * holding any allocation is never shaded as free (nor one holding any free value as full). So one value
 * allocated in a span of 2^40 still shows, widened; the legend says so.
 */
final class SvgMap {
    static final int WIDTH = 1000;
    static final int LEFT = 20;
    static final int BAND = 28;
    /** Space for the axis labels under a band and the caption over the next. */
    static final int GAP = 44;
    static final int MAX_BANDS = 64;
    static final int MAX_RUNS = 500;
    static final int MIN_WIDTH = 2;
    /** Width of a column where a band is shaded: {@link #MIN_WIDTH}, so both ways draw nothing thinner. */
    static final int COLUMN = MIN_WIDTH;
    private static final int COLUMNS = WIDTH / COLUMN;
    private static final int LEVELS = 8;
    private static final int MIN_LEVEL = 3;
    private static final int TOP = 140;
    private static final String CACHED_COLOR = "#f0c060";
    /** Quarantined blocks: freed, but held back from reuse (amber, apart from both free and allocated). */
    private static final String QUARANTINED_COLOR = "#e0a030";

    private SvgMap() {
    }

    static String render(String name, long quantum, ArenaStats stats, List<Segment> segments) {
        int spans = (int) segments.stream().filter(s -> s.kind().isSpan()).count();
        int bands = Math.min(spans, MAX_BANDS);
        int height = TOP + bands * (BAND + GAP) + 20;
        StringBuilder svg = new StringBuilder();
        svg.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"13\">%n", WIDTH + 2 * LEFT, height,
                WIDTH + 2 * LEFT, height));
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        legend(svg, name, quantum, stats, segments, spans);
        int band = 0;
        for (int i = 0; i < segments.size() && band < bands; i++) {
            Segment span = segments.get(i);
            if (!span.kind().isSpan()) {
                continue;
            }
            int j = i + 1;
            while (j < segments.size() && !segments.get(j).kind().isSpan()) {
                j++;
            }
            drawSpan(svg, TOP + band * (BAND + GAP), span, segments.subList(i + 1, j));
            band++;
        }
        if (spans > bands) {
            text(svg, LEFT, height - 8, "", (spans - bands) + " more spans not drawn", 13);
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static void legend(StringBuilder svg, String name, long quantum, ArenaStats stats, List<Segment> segments,
            int spans) {
        Fragmentation f = Fragmentation.of(segments, 0);
        long freeSegments = 0;
        for (long c : f.counts()) {
            freeSegments += c;
        }
        double fragmentation = stats.free() == 0 ? 0 : 1 - (double) f.largest() / stats.free();
        text(svg, LEFT, 22, "", "arena " + name + " (quantum " + quantum + "): " + spans + " spans, total "
                + stats.total() + ", allocated " + stats.allocated() + ", free " + stats.free()
                + (stats.quarantined() == 0 ? "" : ", quarantined " + stats.quarantined()), 13);
        text(svg, LEFT, 42, "", String.format(Locale.ROOT, "%d live allocations, %d free segments, largest free %d, "
                + "fragmentation %.1f%% (1 - largest free / free)", stats.liveAllocations(), freeSegments, f.largest(),
                100 * fragmentation), 13);
        int x = LEFT;
        for (String[] key : new String[][] {{color(LEVELS - 1), "allocated"}, {color(0), "free"},
                {CACHED_COLOR, "cached (idle in a quantum cache)"}, {QUARANTINED_COLOR, "quarantined (freed, held back)"}}) {
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"51\" width=\"12\" height=\"12\" fill=\"%s\" "
                    + "stroke=\"#333\" stroke-width=\"0.5\"/>%n", x, key[0]));
            text(svg, x + 16, 62, "", key[1], 12);
            x += 40 + 7 * key[1].length();
        }
        text(svg, LEFT, 80, "legend", "One band per span, scaled to its full width, addresses in hex below; hover over "
                + "a run for its kind, base, end and size.", 12);
        text(svg, LEFT, 95, "legend", String.format(Locale.ROOT, "Every run is drawn at least %d px wide, so a "
                + "single value in a huge span stays visible (and looks wider than it is).", MIN_WIDTH), 12);
        text(svg, LEFT, 110, "legend", String.format(Locale.ROOT, "Spans of more than %d runs are shaded by %d px "
                + "column instead: the darker, the more of it allocated; any allocation makes a column darker than "
                + "free.", MAX_RUNS, COLUMN), 12);
    }

    private static void drawSpan(StringBuilder svg, int y, Segment span, List<Segment> runs) {
        svg.append("<g class=\"span\">\n");
        text(svg, LEFT, y - 5, "caption", kindName(span.kind()) + " [" + AddressAxis.hex(span.base()) + ", "
                + AddressAxis.hex(span.end()) + "): " + runs.size() + " runs", 11);
        svg.append(String.format(Locale.ROOT, "<rect class=\"band\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                + "fill=\"%s\">", LEFT, y, WIDTH, BAND, color(0)));
        title(svg, describe(span));
        svg.append("</rect>\n");
        if (runs.size() <= MAX_RUNS) {
            drawRuns(svg, y, span, runs);
        } else {
            drawColumns(svg, y, span, runs);
        }
        svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                + "stroke=\"#333\" stroke-width=\"0.5\"/>%n", LEFT, y, WIDTH, BAND));
        drawAxis(svg, y + BAND, span);
        svg.append("</g>\n");
    }

    /** Wide runs first, then the ones widened to {@link #MIN_WIDTH} on top of them, so none is hidden. */
    private static void drawRuns(StringBuilder svg, int y, Segment span, List<Segment> runs) {
        double scale = (double) WIDTH / span.size();
        for (boolean narrow : new boolean[] {false, true}) {
            for (Segment run : runs) {
                double width = run.size() * scale;
                if ((width < MIN_WIDTH) != narrow) {
                    continue;
                }
                width = Math.max(MIN_WIDTH, width);
                double x = Math.min(LEFT + (run.base() - span.base()) * scale, LEFT + WIDTH - width);
                // Adjacent allocations stay apart by a hairline where there is room for one.
                String edge = width >= 4 * MIN_WIDTH ? " stroke=\"white\" stroke-width=\"0.5\"" : "";
                svg.append(String.format(Locale.ROOT, "<rect class=\"run\" x=\"%s\" y=\"%d\" width=\"%s\" height=\"%d\" "
                        + "fill=\"%s\"%s>", fmt(x), y, fmt(width), BAND, runColor(run.kind()), edge));
                title(svg, describe(run));
                svg.append("</rect>\n");
            }
        }
    }

    /** Columns of equal shade merged into one rectangle, whose title gives its range and allocated share. */
    private static void drawColumns(StringBuilder svg, int y, Segment span, List<Segment> runs) {
        double[] allocated = new double[COLUMNS];
        double perColumn = (double) span.size() / COLUMNS;
        for (Segment s : runs) {
            if (s.kind() == Segment.Kind.ALLOCATED) {
                spread(allocated, (s.base() - span.base()) / perColumn, (s.end() - span.base()) / perColumn);
            }
        }
        int start = 0;
        for (int c = 1; c <= COLUMNS; c++) {
            if (c < COLUMNS && level(allocated[c]) == level(allocated[start])) {
                continue;
            }
            double share = 0;
            for (int k = start; k < c; k++) {
                share += allocated[k];
            }
            svg.append(String.format(Locale.ROOT, "<rect class=\"column\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                    + "fill=\"%s\">", LEFT + start * COLUMN, y, (c - start) * COLUMN, BAND,
                    color(level(allocated[start]))));
            long from = span.base() + (long) (start * perColumn);
            long to = c == COLUMNS ? span.end() : span.base() + (long) (c * perColumn);
            title(svg, String.format(Locale.ROOT, "[%s, %s): %.1f%% allocated", AddressAxis.hex(from),
                    AddressAxis.hex(to), 100 * share / (c - start)));
            svg.append("</rect>\n");
            start = c;
        }
    }

    private static void drawAxis(StringBuilder svg, int y, Segment span) {
        svg.append("<g class=\"axis\" font-size=\"10\">\n");
        double scale = (double) WIDTH / span.size();
        List<Long> ticks = AddressAxis.ticks(span.base(), span.end(), 0.1);
        for (int k = 0; k < ticks.size(); k++) {
            long v = ticks.get(k);
            double x = LEFT + (v - span.base()) * scale;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%s\" y1=\"%d\" x2=\"%s\" y2=\"%d\" stroke=\"#333\" "
                    + "stroke-width=\"0.5\"/>%n", fmt(x), y, fmt(x), y + 5));
            String anchor = k == 0 ? "start" : k == ticks.size() - 1 ? "end" : "middle";
            svg.append(String.format(Locale.ROOT, "<text class=\"tick\" x=\"%s\" y=\"%d\" text-anchor=\"%s\">%s</text>%n",
                    fmt(x), y + 16, anchor, AddressAxis.hex(v)));
        }
        svg.append("</g>\n");
    }

    /** A run's or span's tooltip: {@code allocated: base 0x1000 (4096), end 0x1040 (4160), size 0x40 (64)}. */
    static String describe(Segment s) {
        return kindName(s.kind()) + ": base " + AddressAxis.hexAndDecimal(s.base()) + ", end "
                + AddressAxis.hexAndDecimal(s.end()) + ", size " + AddressAxis.hexAndDecimal(s.size());
    }

    private static String kindName(Segment.Kind kind) {
        switch (kind) {
            case SPAN:
                return "span";
            case IMPORTED_SPAN:
                return "imported span";
            default:
                return kind.name().toLowerCase(Locale.ROOT);
        }
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

    /**
     * The shade of a column: a column with anything allocated is clearly darker than a free one (at least
     * {@link #MIN_LEVEL}), and one with anything free is not the full shade.
     */
    private static int level(double share) {
        if (share <= 0) {
            return 0;
        }
        if (share >= 1) {
            return LEVELS - 1;
        }
        return (int) Math.max(MIN_LEVEL, Math.min(LEVELS - 2, Math.round(share * (LEVELS - 1))));
    }

    private static String runColor(Segment.Kind kind) {
        switch (kind) {
            case ALLOCATED:
                return color(LEVELS - 1);
            case CACHED:
                return CACHED_COLOR;
            case QUARANTINED:
                return QUARANTINED_COLOR;
            default:
                return color(0);
        }
    }

    /** From light green (free) to dark blue (allocated). */
    private static String color(int level) {
        double t = (double) level / (LEVELS - 1);
        int r = (int) Math.round(0xd8 + (0x1f - 0xd8) * t);
        int g = (int) Math.round(0xf0 + (0x3a - 0xf0) * t);
        int b = (int) Math.round(0xd8 + (0x93 - 0xd8) * t);
        return String.format("#%02x%02x%02x", r, g, b);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.2f", v).replaceAll("\\.?0+$", "");
    }

    private static void title(StringBuilder svg, String s) {
        svg.append("<title>").append(escape(s)).append("</title>");
    }

    private static void text(StringBuilder svg, int x, int y, String cssClass, String s, int size) {
        svg.append(String.format(Locale.ROOT, "<text%s x=\"%d\" y=\"%d\" font-size=\"%d\">%s</text>%n",
                cssClass.isEmpty() ? "" : " class=\"" + cssClass + "\"", x, y, size, escape(s)));
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}

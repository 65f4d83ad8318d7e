package dev.vmem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Arena;
import dev.vmem.Constraints;
import dev.vmem.Policy;
import dev.vmem.Segment;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The map's SVG, read back as XML: an axis per span, a tooltip per run, and nothing drawn too thin to see. */
class SvgMapTest {
    static final String SVG_NS = "http://www.w3.org/2000/svg";

    /** Parses SVG text with the JDK's DOM parser (no DTDs, no external entities). */
    static Document parse(byte[] svg) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return factory.newDocumentBuilder().parse(new ByteArrayInputStream(svg));
    }

    /** The elements named {@code tag} with {@code class="cssClass"} under {@code root}, in document order. */
    static List<Element> elements(Element root, String tag, String cssClass) {
        NodeList all = root.getElementsByTagNameNS(SVG_NS, tag);
        List<Element> out = new ArrayList<>();
        for (int i = 0; i < all.getLength(); i++) {
            Element e = (Element) all.item(i);
            if (cssClass.equals(e.getAttribute("class"))) {
                out.add(e);
            }
        }
        return out;
    }

    static String title(Element e) {
        NodeList titles = e.getElementsByTagNameNS(SVG_NS, "title");
        return titles.getLength() == 0 ? null : titles.item(0).getTextContent();
    }

    /**
     * Each span's axis: labelled with the span's base and end in hex, round values between them in rising order,
     * each at the x its value maps to.
     */
    static void assertAxesMatchSpans(Document doc, List<Segment> segments) {
        List<Segment> spans = segments.stream().filter(s -> s.kind().isSpan()).toList();
        List<Element> axes = elements(doc.getDocumentElement(), "g", "axis");
        assertEquals(spans.size(), axes.size(), "one axis per span");
        for (int i = 0; i < spans.size(); i++) {
            Segment span = spans.get(i);
            List<Element> labels = elements(axes.get(i), "text", "tick");
            assertTrue(labels.size() >= 2, "base and end at least: " + labels.size());
            assertEquals("0x" + Long.toHexString(span.base()), labels.get(0).getTextContent());
            assertEquals("0x" + Long.toHexString(span.end()), labels.get(labels.size() - 1).getTextContent());
            long previous = -1;
            for (Element label : labels) {
                long v = Long.parseUnsignedLong(label.getTextContent().substring(2), 16);
                assertTrue(v > previous && v >= span.base() && v <= span.end(), "rising, inside the span: " + v);
                double x = SvgMap.LEFT + (double) (v - span.base()) / span.size() * SvgMap.WIDTH;
                assertEquals(x, Double.parseDouble(label.getAttribute("x")), 0.01, "x of " + label.getTextContent());
                previous = v;
            }
        }
    }

    /** Every segment inside a span has exactly one run whose tooltip names its kind, base, end and size. */
    static void assertRunTitlesMatchSegments(Document doc, List<Segment> segments) {
        List<String> expected = new ArrayList<>();
        for (Segment s : segments) {
            if (!s.kind().isSpan()) {
                expected.add(String.format("%s: base 0x%x (%d), end 0x%x (%d), size 0x%x (%d)",
                        s.kind().name().toLowerCase(java.util.Locale.ROOT), s.base(), s.base(), s.end(), s.end(),
                        s.size(), s.size()));
            }
        }
        List<String> titles = elements(doc.getDocumentElement(), "rect", "run").stream().map(SvgMapTest::title)
                .sorted().toList();
        assertEquals(expected.stream().sorted().toList(), titles);
    }

    private static Document render(Arena arena) throws Exception {
        String svg = SvgMap.render(arena.label(), arena.quantum(), arena.stats(), arena.segments());
        return parse(svg.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aFewRuns_eachHaveATooltip_andEachSpanAnAxisFromBaseToEndInHex() throws Exception {
        Arena a = Arena.builder("a").quantum(16).span(0x1000, 0x3000).span(0x10000, 0x100).build();
        List<Long> bases = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            bases.add(a.alloc(0x40, Policy.INSTANT_FIT));
        }
        for (int i = 0; i < bases.size(); i += 3) {
            a.free(bases.get(i));
        }
        Document doc = render(a);
        assertAxesMatchSpans(doc, a.segments());
        assertRunTitlesMatchSegments(doc, a.segments());
        List<String> ticks = elements(doc.getDocumentElement(), "text", "tick").stream().map(Element::getTextContent)
                .toList();
        assertEquals(List.of("0x1000", "0x1800", "0x2000", "0x2800", "0x3000", "0x3800", "0x4000",
                "0x10000", "0x10040", "0x10080", "0x100c0", "0x10100"), ticks, "round steps between the ends");
        assertTrue(doc.getDocumentElement().getTextContent().contains(
                "allocated: base 0x1040 (4160), end 0x1080 (4224), size 0x40 (64)"));
        assertEquals(List.of(), a.checkInvariants());
    }

    @Test
    void oneValueInA2To40Span_isDrawnAtTheMinimumWidth_andTheLegendSaysSo() throws Exception {
        Arena a = Arena.builder("huge").quantum(1).span(0, 1L << 40).build();
        long base = a.xalloc(Constraints.builder(1).min(1L << 39).build(), Policy.INSTANT_FIT);
        Document doc = render(a);
        assertAxesMatchSpans(doc, a.segments());
        assertRunTitlesMatchSegments(doc, a.segments());
        Element allocated = elements(doc.getDocumentElement(), "rect", "run").stream()
                .filter(r -> title(r).startsWith("allocated")).findFirst().orElseThrow();
        assertEquals(SvgMap.MIN_WIDTH, Double.parseDouble(allocated.getAttribute("width")), 1e-9);
        assertEquals(SvgMap.LEFT + SvgMap.WIDTH / 2.0, Double.parseDouble(allocated.getAttribute("x")), 0.01,
                "at its place: base " + base + " is half-way");
        String legend = doc.getDocumentElement().getTextContent();
        assertTrue(legend.contains("Every run is drawn at least 2 px wide"), legend);
        assertEquals(List.of(), a.checkInvariants());
    }

    @Test
    void aBusySpan_isShadedByColumn_andAColumnWithOneAllocatedValueIsNotDrawnFree() throws Exception {
        Arena a = Arena.builder("busy").quantum(1).span(0, 1L << 40).build();
        List<Long> bases = new ArrayList<>();
        for (int i = 0; i < 2 * SvgMap.MAX_RUNS; i++) {
            bases.add(a.alloc(1, Policy.INSTANT_FIT));
        }
        for (int i = 0; i < bases.size(); i += 2) {
            a.free(bases.get(i));
        }
        Document doc = render(a);
        assertAxesMatchSpans(doc, a.segments());
        assertEquals(List.of(), elements(doc.getDocumentElement(), "rect", "run"), "more than MAX_RUNS runs: columns");
        List<Element> columns = elements(doc.getDocumentElement(), "rect", "column");
        assertEquals(2, columns.size(), "the first column (a few allocated values) and the rest (free): " + columns.size());
        assertEquals(SvgMap.COLUMN, Double.parseDouble(columns.get(0).getAttribute("width")), 1e-9);
        assertNotEquals(columns.get(1).getAttribute("fill"), columns.get(0).getAttribute("fill"),
                "500 allocated values in a column of 2^40 / 500 are a tiny share, and still not drawn as free");
        long columnEnd = (long) ((double) (1L << 40) / (SvgMap.WIDTH / SvgMap.COLUMN));
        assertEquals("[0x0, 0x" + Long.toHexString(columnEnd) + "): 0.0% allocated", title(columns.get(0)));
        assertEquals(List.of(), a.checkInvariants());
    }
}

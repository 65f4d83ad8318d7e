package dev.vmem;

import java.util.ArrayList;
import java.util.List;

/**
 * The full invariant check of an arena (package documentation, "Invariants"). Reads the structure
 * independently of the running totals it then compares them with, so a bookkeeping slip shows up as a
 * mismatch rather than being checked against itself. O(n); the caller holds the arena's lock.
 */
final class ArenaCheck {
    private ArenaCheck() {
    }

    static List<String> run(ArenaEngine a) {
        List<String> problems = new ArrayList<>();
        // A walk longer than every tag the arena counts (plus slack for a miscount) means a cycle.
        long walkLimit = a.tagSegments + a.list.spanCount() + 16;
        long walked = 0;
        long total = 0;
        long imported = 0;
        long allocated = 0;
        long freeCount = 0;
        long allocatedCount = 0;
        long[] dense = new long[3]; // dense spans, their allocations and their segments
        int spans = 0;
        boolean hintSeen = a.rotorHint == a.list.sentinel;

        Tag sentinel = a.list.sentinel;
        Tag span = null;
        long cursor = 0; // next value the current span's segments must start at
        long lastSpanEnd = Long.MIN_VALUE;
        Tag prev = sentinel;
        for (Tag t = sentinel.next; t != sentinel; prev = t, t = t.next) {
            if (t.prev != prev) {
                problems.add("broken back link at " + t);
            }
            if (++walked > walkLimit) {
                problems.add("segment list is longer than the arena's counts allow (a cycle?) at " + t);
                break;
            }
            if (t == a.rotorHint) {
                hintSeen = true;
                if (t.base > a.rotor) {
                    problems.add("rotor hint " + t + " lies above rotor=" + a.rotor);
                }
            }
            if (t.size <= 0 || t.base < 0 || t.size > Long.MAX_VALUE - t.base) {
                problems.add("bad range " + t);
                continue;
            }
            if (((t.base | t.size) & (a.quantum - 1)) != 0) {
                problems.add("not aligned to quantum=" + a.quantum + ": " + t);
            }
            if (t.isSpan()) {
                if (span != null && cursor != span.end()) {
                    problems.add("segments do not tile " + span + ": they end at " + cursor);
                }
                if (t.base < lastSpanEnd) {
                    problems.add("span " + t + " overlaps or precedes the span before it");
                }
                if (a.list.spanAt(t.base) != t) {
                    problems.add("span " + t + " missing from the span index");
                }
                if (t.next == sentinel || t.next.isSpan()) {
                    problems.add("span " + t + " has no segments");
                }
                span = t;
                cursor = t.base;
                lastSpanEnd = t.end();
                spans++;
                total += t.size;
                if (t.type == Tag.IMPORTED_SPAN) {
                    imported += t.size;
                }
                continue;
            }
            if (span == null) {
                problems.add("segment " + t + " precedes every span");
                continue;
            }
            if (t.base != cursor) {
                problems.add("segment " + t + " should start at 0x" + Long.toHexString(cursor) + " (gap or overlap)");
            }
            cursor = t.end();
            if (t.end() > span.end()) {
                problems.add("segment " + t + " runs past its span " + span);
            }
            if (t.type == Tag.FREE) {
                freeCount++;
                if (prev.type == Tag.FREE) {
                    problems.add("adjacent free segments not coalesced: " + prev + " " + t);
                }
            } else if (t.type == Tag.ALLOCATED) {
                allocatedCount++;
                allocated += t.size;
                if (a.table.find(t.base) != t) {
                    problems.add("allocated segment " + t + " missing from the allocation table");
                }
            } else if (t.type == Tag.DENSE) {
                checkDense(a, (DenseTag) t, span, dense, problems);
                allocated += ((DenseTag) t).bits.usedQuanta() * a.quantum;
            } else {
                problems.add("unknown tag type " + t.type + " at " + t);
            }
        }
        if (span != null && cursor != span.end()) {
            problems.add("segments do not tile " + span + ": they end at 0x" + Long.toHexString(cursor));
        }
        if (!hintSeen) {
            problems.add("rotor hint " + a.rotorHint + " is not in the segment list");
        }
        if (spans != a.list.spanCount()) {
            problems.add("span index holds " + a.list.spanCount() + " spans, list holds " + spans);
        }

        checkFreeLists(a, freeCount, problems);
        if (a.quarantine != null) {
            a.quarantine.check(problems);
        }
        checkTable(a, allocatedCount, problems);
        if (a.forms.none != a.forms.dense.isEmpty()) {
            problems.add("the engine's flag says " + (a.forms.none ? "no" : "some") + " span is dense; "
                    + a.forms.dense.size() + " are");
        }
        // Each dense tag of the list is among the engine's dense spans (checked per tag): the same number of
        // them means none is listed twice or missing, and the engine's sums over them are the list's.
        if (dense[0] != a.forms.dense.size()) {
            problems.add("the engine lists " + a.forms.dense.size() + " dense spans; the segment list holds " + dense[0]);
        }
        allocatedCount += dense[1];

        if (total != a.total) {
            problems.add("total=" + a.total + " but spans sum to " + total);
        }
        if (imported != a.imported) {
            problems.add("imported=" + a.imported + " but imported spans sum to " + imported);
        }
        if (allocated != a.allocated) {
            problems.add("allocated=" + a.allocated + " but allocated segments sum to " + allocated);
        }
        long importedSpans = 0;
        for (Tag marker : a.list.spanMarkers()) {
            importedSpans += marker.type == Tag.IMPORTED_SPAN ? 1 : 0;
        }
        ArenaStats c = a.stats();
        // A quarantined block is an allocated segment whose free has been counted.
        long held = a.quarantine == null ? 0 : a.quarantine.count();
        if (c.allocations() - c.frees() + held != allocatedCount) {
            problems.add("counters: allocations=" + c.allocations() + " - frees=" + c.frees()
                    + (held == 0 ? "" : " + quarantined=" + held) + " but " + allocatedCount + " allocations are live");
        }
        if (c.imports() - c.releases() != importedSpans) {
            problems.add("counters: imports=" + c.imports() + " - releases=" + c.releases() + " but "
                    + importedSpans + " imported spans are held");
        }
        if (freeCount + allocatedCount + dense[2] - dense[1] != a.segments()) {
            problems.add("segments=" + a.segments() + " but the list holds " + (freeCount + allocatedCount + dense[2]
                    - dense[1]));
        }
        return problems;
    }

    /**
     * A dense tag: alone in its span and covering it, known to the engine, its bitmaps consistent. Adds
     * to {@code dense} one span, its allocations and its segments.
     */
    private static void checkDense(ArenaEngine a, DenseTag d, Tag span, long[] dense, List<String> problems) {
        if (d.prev != span || d.base != span.base || d.end() != span.end() || d.bits.base != d.base
                || d.bits.end() != d.end()) {
            problems.add("dense " + d + " does not cover its span " + span + " alone");
        }
        if (!a.forms.dense.contains(d)) {
            problems.add("dense " + d + " is not among the engine's dense spans");
        }
        d.bits.check("dense " + d, problems);
        dense[0]++;
        dense[1] += d.bits.allocations;
        dense[2] += d.bits.allocations + d.bits.freeRuns();
    }

    /** Whether {@code t} is linked into a segment list (its neighbours point back at it). */
    private static boolean linked(Tag t) {
        return t.prev != null && t.next != null && t.prev.next == t && t.next.prev == t;
    }

    private static void checkFreeLists(ArenaEngine a, long freeCount, List<String> problems) {
        FreeLists fl = a.freeLists;
        long members = 0;
        for (int c = 0; c < FreeLists.CLASSES; c++) {
            boolean bit = (fl.bitmap & (1L << c)) != 0;
            if (bit != (fl.heads[c] != null)) {
                problems.add("freelist bitmap bit " + c + " is " + bit + " but the list is "
                        + (fl.heads[c] == null ? "empty" : "not empty"));
            }
            Tag before = null;
            for (Tag t = fl.heads[c]; t != null; before = t, t = t.lnext) {
                members++;
                if (members > freeCount + 1) {
                    problems.add("freelist " + c + " holds more members than there are free segments");
                    return;
                }
                if (t.lprev != before) {
                    problems.add("broken freelist back link at " + t);
                }
                if (t.type != Tag.FREE || !linked(t)) {
                    problems.add("freelist " + c + " holds " + t + ", which is not a free segment of the list");
                }
                if (FreeLists.classOf(t.size) != c) {
                    problems.add("free segment " + t + " is on freelist " + c + ", not " + FreeLists.classOf(t.size));
                }
            }
        }
        if (members != freeCount) {
            problems.add("freelists hold " + members + " segments, the list has " + freeCount + " free");
        }
    }

    private static void checkTable(ArenaEngine a, long allocatedCount, List<String> problems) {
        if (a.table.size() != allocatedCount) {
            problems.add("allocation table holds " + a.table.size() + " entries, the list has " + allocatedCount
                    + " allocated segments");
        }
        a.table.forEach((bucket, t) -> {
            if (t.type != Tag.ALLOCATED || !linked(t)) {
                problems.add("allocation table holds " + t + ", which is not an allocated segment of the list");
            }
            if (!a.table.inRightBucket(bucket, t)) {
                problems.add("allocation table holds " + t + " in the wrong bucket " + bucket);
            }
        });
    }
}

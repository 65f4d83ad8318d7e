/**
 * Tests of the core. Every test asserts and ends with the invariant check; random tests are seeded and
 * print their seed.
 *
 * <h2>Mutants judged equivalent</h2>
 * {@code mvn -B -Pmutation test-compile org.pitest:pitest-maven:mutationCoverage} leaves these mutants
 * alive on purpose: no test can tell them from the code, because they change only speed or memory, or
 * only values that cannot occur where they are, or only a race between threads. Methods are named; line
 * numbers are those of the code the judgement was made on: for {@code QuantumCache}, {@code QuantumCaches},
 * {@code SlabIndex}, {@code ReadMostlyTable} and {@code IdPath} the code of 2026-12-03 (PIT on those five
 * classes: 369 of 417 mutants killed and 10 timed out; the tests that run added kill 10 more, each checked
 * by hand), for the rest the code before the split of
 * {@code Arena}, whose methods kept their bodies in {@code ArenaEngine}, {@code QuantumCaches} and
 * {@code StateTransfer}.
 * <pre>
 * 
 * == Speed or memory only (hashing, table sizing, search shortcuts, contention) ==
 * AllocationTable:27    indexOf: &gt;&gt;&gt; (64-bits) -&gt; &lt;&lt;          — every base hashes to bucket 0; lookups stay right, chains grow.
 * AllocationTable:44    reserveOne: both boundaries; size+1 -&gt; size-1 — only when the table doubles (bits&lt;=30 differs past 2^30 entries).
 * AllocationTable:52,55,56  reserve (bulk restore): boundaries, negations, rehash removed — pre-sizing only; insert chains at any size.
 * Arena:847             load: reserve(a.length/2) -&gt; *2; reserve removed — pre-sizing of the allocation table on restore.
 * ReadMostlyTable:30,31 home: * -&gt; /; &gt;&gt;&gt;32 -&gt; &lt;&lt;32; return 0   — probes start elsewhere (or all at slot 0); linear probing still finds every slab.
 * ReadMostlyTable:52    put: growth test boundary, used+1 -&gt; used-1, negated — when the table grows (negated: it rehashes on every put,
 *                       since a rehash sizes it to at least twice the live slabs); it never fills (ReadMostlyTableTest holds 1,000 entries).
 * ReadMostlyTable:53    put: live+1 -&gt; live-1                   — the rehash is one step smaller at most and grows again at the next put.
 * ReadMostlyTable:74    remove: i+1 -&gt; i-1                      — probing backwards still reaches the slab, which is in the table.
 * QuantumCaches:69      free: the sized look through the index (a condition negated or removed) — the look through the slab
 *                       table right after it, over every slab alignment, finds the same slab and word, or refuses the same way.
 * SlabIndex:95          leaf: i &gt;= 0 -&gt; &gt; 0            — the leaf at the window's first place is found in the table, which
 *                       holds every leaf too.
 * SlabIndex:138,141,142 placeInWindow: the window's length, start and density bound (MIN_WINDOW, 2x, 4x) — how often the
 *                       window is rebuilt and how far it reaches; SlabIndex.check holds whatever it covers to its places.
 * IdPath:98             free: plain() negated                  — freePlainOne refuses a span that is not plain (the general
 *                       path then frees there), and freeOne frees in a plain span as fully.
 * Placement:52          instantFit: size &lt;= MAX - slack -&gt; &lt;    — at equality both branches give Long.MAX_VALUE.
 * Placement:65          instantFit: c &lt; sure -&gt; &lt;=              — class `sure` was already walked whole (or its head taken) by the first loop.
 * Placement:112         nextFit: t.end() &gt; rotor -&gt; &gt;=          — a segment ending at the rotor has no room at or after it: Fit.lowest gives NONE.
 * Placement:122         nextFit: t.base &lt; rotor -&gt; &lt;=           — a segment starting at the rotor was searched in the first pass with the same bounds.
 * QuantumCaches:39      &lt;init&gt;: stripes *2 -&gt; /2; 2n-1 -&gt; 2n+1 — fewer or more stripes; who uses which slab changes, not what is
 *                       handed out or refused (CachePartialQueueTest's outcomes hold for any stripe count by design).
 * QuantumCache:124,125  &lt;init&gt;: the stripes' current slots left 0, not NO_SLAB — every stripe starts with slab number 0 as its
 *                       current if this cache has one (its own slab, whose word decides), else looks further as from none.
 * QuantumCache:145      alloc: n &gt;= 0 (boundary, negated)     — the fast path skipped: allocSlow serves every state it does.
 * QuantumCache:201      allocSlow: j &lt; partial.length() -&gt; &lt;=   — j == length wraps to the stripe's own queue, just found empty: one extra poll.
 * 
 * == Values that cannot occur there ==
 * QuantumCaches:264     check: live &lt; 0 -&gt; &lt;= 0 (a message)   — Addresses.liveSize gives -1 or a positive size.
 * FreeLists:57          classesFrom: from &gt;= 64 -&gt; &gt; 64        — from &lt;= 63 (classOf of a positive long &lt;= 62; firstSureClass(need &lt;= MAX) &lt;= 63).
 * ImportPlan:42,54      align &gt;= g -&gt; &gt;                         — at align == g, roundDown(phase, g) is 0 (phase &lt; align), so both branches agree.
 * ImportPlan:68         return out -&gt; emptyList                 — exact overflowed, so generous (&gt;= exact) did too: out is empty already.
 * ImportPlan:75         n &gt; 0 -&gt; n &gt;= 0                         — n starts at exact &gt; 0 and the loop breaks before n could overflow.
 * ImportPlan:76         n &lt;= MAX - lo -&gt; &lt;                      — n and lo are multiples of g &gt;= 2: lo + n is even, never MAX.
 * ImportPlan:79         n &gt; MAX - g -&gt; &gt;=                       — n is a multiple of g &gt;= 2 and MAX - g is odd.
 * ImportPlan:102        atOffset: room &gt; MAX - n -&gt; &gt;=          — at equality room + n is MAX, which the other branch gives.
 * Fit:40                lowest: phase - boundary -&gt; phase + boundary — boundary is a multiple of nocross: with align &lt;= nocross also of
 *                       align, so both give phase mod align; with align &gt; nocross every candidate has the first one's offset mod nocross,
 *                       and the first crossed, so both return NONE.
 * Fit:56                crosses: &amp; -nocross -&gt; &amp; nocross        — the same for blocks of at most nocross values, which every caller ensures
 *                       (Constraints and feasible() check size &lt;= nocross first); they differ only for longer blocks.
 * Constraints:58        feasible: max &gt; min -&gt; &gt;=               — at max == min, Fit.lowest gives NONE anyway.
 * Constraints:80        admits: nocross == 0 -&gt; != 0            — crosses(base, size, 0) is always false.
 * Placement:90          bestFit: t.base &gt; best.base -&gt; &gt;=       — two free segments never share a base.
 * Arena$Builder:1295    build: importQuantum &lt; 0 -&gt; &lt;= 0        — importQuantum is never 0 there (0 was just replaced by the quantum).
 * Arena:1024            walk: w &gt;= 0 -&gt; w &gt; 0                   — at w == 0 no block bit is set either.
 * ArenaCheck:37         run: ++walked &gt; walkLimit -&gt; &gt;=         — the limit has 16 of slack over the arena's counts.
 * ArenaState:43         hashCode -&gt; 0                           — still a valid hashCode: equal states hash equal; nothing promises more.
 * QuantumCache:447      retireAll: return held -&gt; 0             — its only caller (Arena.retireSlabs) ignores the result.
 * 
 * == Redundant pairs (each check alone is backed by another on the same path) ==
 * Arena:277             allocOrFail: ensureOpen removed (cached path) — a closed arena's slabs are all retired, so the cache falls
 *                       through to newSlab, whose ensureOpen throws the same IllegalStateException.
 * Arena:545             freeCached: ensureOpen removed         — a closed arena's slabs are out of the slab table, so the free falls through
 *                       to the locked path, whose ensureOpen throws the same exception.
 * 
 * == Reachable only in a race (a concurrency harness such as jcstress or Lincheck could reach them; no sequential test can) ==
 * QuantumCaches:90 (x2) freeLocked: the re-check under the lock — a slab made between the lock-free look and taking the lock.
 * QuantumCaches:81      free: return ... -&gt; true; QuantumCache:296 the same — false only for a retired slab still in the table.
 * QuantumCache:63       Slab.cas -&gt; true; SlabIndex:231 the same — a compare-and-set fails only if another thread changed the word
 *                       since it was read.
 * QuantumCache:159      currentLeaf: the leaf number's test negated — the stripe's remembered leaf is another leaf's only when
 *                       another thread of the stripe replaced its current slab in between.
 * Arena:582             newSlab: ensureOpen removed            — allocOrFail checks first; only a close racing the allocation gets here.
 * QuantumCache:211      allocSlow: enqueue after a lost CAS    — needs another thread in between.
 * QuantumCache:212      allocSlow: hasRoom negated             — queues the replaced slab when full (polled and skipped) and not when
 *                       a free raced the replacement; CacheRemadeSlabRaceTest pins the enqueue itself with a latch.
 * QuantumCache:336,337  becamePartial: the second branch (c got room between the check and the CAS) — needs a concurrent free.
 * </pre>
 */
package dev.vmem;

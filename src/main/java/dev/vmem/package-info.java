/**
 * vmem: a general-purpose allocator of integer ranges (Bonwick and Adams, "Magazines and Vmem",
 * USENIX 2001), for process IDs, inode numbers, disk blocks, extents and address ranges.
 *
 * <h2>Theory statement</h2>
 *
 * <h3>Terms</h3>
 * <dl>
 *   <dt>value</dt>
 *   <dd>A {@code long} in {@code [0, 2^63)}. Every range is half-open, {@code [base, base + size)},
 *       and {@code end = base + size} never exceeds {@code Long.MAX_VALUE}, so no arithmetic on a range
 *       overflows. {@code 0} is a value like any other; {@code -1} ({@link dev.vmem.Arena#NONE}) never is.</dd>
 *   <dt>arena</dt>
 *   <dd>A named allocator over a set of ranges ({@link dev.vmem.Arena}).</dd>
 *   <dt>quantum</dt>
 *   <dd>The arena's unit, a power of two: every span, segment, base and size is a multiple of it
 *       (1 for IDs, 4096 for pages).</dd>
 *   <dt>span</dt>
 *   <dd>A range given to the arena, by {@link dev.vmem.Arena#addSpan} or by importing it from the
 *       arena's {@link dev.vmem.Source source}. Spans never overlap and are never merged, so an
 *       imported span can always be given back whole.</dd>
 *   <dt>segment</dt>
 *   <dd>A piece of a span, FREE or ALLOCATED. A span's segments tile it exactly.</dd>
 *   <dt>import, release</dt>
 *   <dd>An arena that runs out asks its source for a new span (at least its import quantum) and gives
 *       an imported span back as soon as it is wholly free again. An arena is itself a source
 *       ({@link dev.vmem.Arena#asSource()}).</dd>
 * </dl>
 *
 * <h3>Data structures</h3>
 * <ul>
 *   <li><b>Segment list</b> ({@code SegmentList}): every span marker and segment in one doubly linked,
 *       address-ordered list; a span marker precedes the segments tiling its span. A span index (a
 *       sorted map of span bases) finds where a new span goes and whether it overlaps.</li>
 *   <li><b>Freelists</b> ({@code FreeLists}): free segments by size class; list {@code n} holds sizes in
 *       {@code [2^n, 2^(n+1))}, and a 64-bit bitmap marks the non-empty lists. For a request of size
 *       {@code s}, every member of list {@code ceil(log2 s)} or above fits, so INSTANT_FIT is one mask
 *       and one count of trailing zeros: O(1), plus a look at each dense span (at most 64).</li>
 *   <li><b>Allocation table</b> ({@code AllocationTable}): live allocations by base in a chained hash
 *       table that doubles at load factor 1, hashing the base with the quantum's zero bits removed, so
 *       {@code free} is O(1) for every quantum.</li>
 *   <li><b>Placement</b> ({@code Placement}): the policies' search over the freelists (INSTANT_FIT,
 *       BEST_FIT) or the segment list from the rotor (NEXT_FIT); it reads only, and the engine then
 *       carves the chosen segment.</li>
 *   <li><b>Boundary tags</b> ({@code Tag}): one 48-byte node per span marker and segment, on the
 *       segment list and, by type, on a freelist or a table chain.</li>
 *   <li><b>Dense spans</b> ({@code DenseSpan}, {@code DenseTag}): a span may instead be held as two
 *       bitmaps, one bit per quantum for "allocated" and one for "an allocation starts here", with two
 *       summary levels (a bit per bitmap word that is full, and one per word that is empty, each with a
 *       top level over it). The span's segments are then implicit: an allocation runs from its start bit
 *       to the next start bit or free quantum, a free segment is a maximal run of free quanta. In the
 *       segment list the span marker is followed by one dense tag instead of its segments; free runs are
 *       counted by size class (for INSTANT_FIT's class rule and to skip spans in BEST_FIT) but are on no
 *       freelist, and the allocations are in no table. About a quarter of a byte per quantum whatever the
 *       span holds, against some 54 bytes per live allocation (plus a free tag per gap) as boundary tags.
 *       See "Dense spans" below for when a span takes which form.</li>
 *   <li><b>Address index</b> ({@code AddressIndex}): every 8th segment a claim's lookup walked past,
 *       keyed by base, so that a claim finds the segment holding its base in O(log n) and a walk of at most
 *       8 segments plus those made nearby since. Alloc and free never touch it (a maintained index would put a sorted-map update on
 *       every carve and coalesce): a tag's base never changes and a tag that leaves the list is unlinked, so
 *       a sample is either still a segment of the list, at its address, or recognisably stale.</li>
 *   <li><b>Quantum caches</b> ({@code QuantumCache}, optional, {@code qcacheMax}): one cache per size
 *       of 1 to {@code qcacheMax / quantum} quanta. A cache carves blocks from slabs, each slab one
 *       allocation of 63 blocks in the segment list, aligned to the next power of two above its size;
 *       a 64-bit word per slab records which blocks callers hold. The words live in a per-cache index by
 *       slab number ({@code SlabIndex}), so a free that names its size finds its word without touching the
 *       slab; a lock-free table ({@code ReadMostlyTable}) finds a block's slab from its base for the rest.
 *       Allocating or freeing a cached block is one compare-and-set on that word and takes no lock.</li>
 * </ul>
 *
 * <h3>Policies and constraints</h3>
 * INSTANT_FIT takes the head of the first freelist whose members all fit, else searches, first fit, the
 * lists from the request's own size class up to that one. BEST_FIT takes the smallest fitting segment
 * (lowest address among equals). NEXT_FIT keeps a rotor at the end of its previous allocation, places
 * the block at the lowest fitting address at or after it, and wraps round to the lowest address. A
 * constrained request ({@link dev.vmem.Constraints}: align, phase, nocross, min, max) is placed by
 * every policy at the lowest admissible start within the segment the policy chose; a policy fails only
 * when no free range of the arena admits the block and the source cannot supply one. A constrained
 * INSTANT_FIT starts at the class of {@code size + align - quantum}, every member of which holds an
 * aligned block.
 *
 * <h3>Claim and reconcile</h3>
 * {@code claim(base, size)} allocates exactly the range if all of it is free, as one ordinary allocation
 * (counted, reported and journalled as one; the rotor stays): the span from the span index, the segment
 * holding {@code base} from the address index or the dense bitmaps, then the carve every allocation
 * makes. A range that is exactly one idle cached block is taken from its cache; one over slabs no caller
 * holds a block of takes them back first. {@code reconcile(ranges)} makes the live allocations exactly
 * the caller's ranges: it checks the input (aligned, inside one span each, no two overlapping) before it
 * changes anything, merges it with the arena's allocations in address order (O(n + m)), frees every
 * allocation the caller does not name exactly (same base and size: one that merely overlaps a caller's
 * range is freed, and the range claimed), then claims every range the arena did not hold, then gives
 * back imported spans left wholly free. With quantum caches, every slab first becomes the blocks callers
 * hold in it.
 *
 * <h3>Dense spans</h3>
 * The form of a span never changes a result: both forms hold the same segments, and every search of a
 * dense span answers what a walk of those segments would (NEXT_FIT the lowest fitting start at or after
 * the rotor, BEST_FIT the smallest fitting free segment, lowest on a tie; INSTANT_FIT takes a free run of
 * the first class that surely fits, counting the dense spans' runs with the freelists). {@code SpanForms}
 * moves spans between the forms by {@code DenseRule}:
 * <ul>
 *   <li><b>In</b>: a span of at most 2^26 quanta enters dense form when it holds at least 64 live
 *       allocations, at least one per 256 quanta, of at most 2 quanta on average, with a free gap for
 *       every 16 of them at most (where allocations sit side by side, the freelists' head and the
 *       neighbour links are as fast or faster while the tags stay in the processor's caches, measured) or,
 *       in place of that last bound, packed: at least 65,536 of them with at most 16 gaps (past that many the
 *       tags do not stay cached, and the bitmaps measured 2.5 to 2.8 times as fast in an INSTANT_FIT pool of
 *       single IDs; the gap cap keeps out large pools with gaps too few for the per-gap bound, where a dense
 *       BEST_FIT would read every bitmap word that is not full). The list-form spans are
 *       reviewed every 4,096 allocations, or every half as many allocations as there are segments if that
 *       is more; a review that finds the arena's list-form allocations as a whole too large or too packed to
 *       enter costs O(1) three times in four, and otherwise walks the list-form segments (at most two
 *       segment visits per allocation, amortised), so a qualifying span beside spans of large blocks
 *       still enters.</li>
 *   <li><b>Out</b>: a dense span goes back to boundary tags at the allocation or free (not at a store's
 *       revert of one, which restores a state exactly and moves nothing) that leaves it with fewer
 *       than one live allocation per 1,024 quanta, more than 8 quanta per allocation on average, or more
 *       than 64 allocations per free gap unless it is still packed (32,768 or more, with at most 64 gaps).</li>
 *   <li>The distance between the two sets of bounds (256 against 1,024, 2 against 8, 16 against 64;
 *       for a packed span 65,536 against 32,768 allocations and 16 against 64 gaps) is the hysteresis: a
 *       span that moved one way needs its live allocations to fall fourfold, their mean size to grow
 *       fourfold, or its gaps to close fourfold (a packed one its allocations to halve or its gaps to grow
 *       fourfold), to move back. A span enters only at a review, which needs at least half as many list-form
 *       allocations as there are segments since the last, so even a span that crosses a packed bound back
 *       and forth pays O(1) per operation for its moves. A move costs O(segments of the span + quanta / 64) once.</li>
 *   <li>Costs in dense form: allocating or freeing a block of {@code k} quanta is O(1 + k / 64) word
 *       operations, plus the search for the run boundaries (word operations over the summaries) while the
 *       free runs are counted by class; NEXT_FIT and a single-quantum INSTANT_FIT find free space in a few
 *       word operations; BEST_FIT and a constrained search visit the span's free runs long enough for the
 *       block in address order, passing over shorter ones a bitmap word at a time (BEST_FIT starts at the
 *       smallest class that can hold the block, stops at the first run of exactly the request's size, and
 *       skips a span with no run of a class small enough to win).</li>
 *   <li>Counting by class is lazy: only INSTANT_FIT and BEST_FIT read those counts, and keeping them is
 *       most of what a one-quantum free or allocation costs (the two searches for the ends of the runs
 *       beside it). After {@code max(65,536, quanta)} allocations and frees in a row with no INSTANT_FIT or
 *       BEST_FIT search of it, a span stops counting by class; the next such search counts the classes
 *       again in O(quanta / 64 + free runs), which is at most a constant per operation since the last
 *       count. A span that turns dense starts without them, and its first such search counts them (under
 *       the default rule at most 4 words per allocation it entered with, since it entered with one per 256
 *       quanta at least). An arena used only by NEXT_FIT therefore pays no run-boundary search, from its
 *       span's first operation in dense form, and a pool searched by INSTANT_FIT never stops counting.</li>
 *   <li>The number of free runs (a dense span's segments, with its allocations) is counted when read, not
 *       kept: an operation marks the group of 8 bitmap words it changed, and a read (statistics, the
 *       rule, a dump) counts the marked groups again, so a read costs up to 8 words per group changed
 *       since the last read: O(1) amortized over those operations, with a constant that shows when reads
 *       are as frequent as operations (measured: reading the statistics after every step of an ID pool
 *       made the step 1.9 times as long, against 1.4 times when the count was kept at every change).
 *       While the size classes are counted, the free runs are their sum instead, read in O(classes)
 *       (the marks wait for a read after the classes are let go).
 *       The rule itself is asked only once enough one-quantum operations have passed that its answer
 *       could have changed (each moves the allocations by one and the gaps by at most one), and after
 *       every longer block: a span moves at the same operation as if the rule were asked after every
 *       one (tested against exactly that), and a span within a few operations of a bound pays for a
 *       count at each.</li>
 *   <li>While every allocation in a span is one quantum, the starts bitmap is not kept (every allocated
 *       quantum starts one) and takes no memory: an ID pool's span is one bit per quantum and its
 *       summaries. The first longer block rebuilds it in O(quanta / 64), and it is let go once no longer
 *       block is live and one-quantum operations numbering a word each have passed since the rebuild, so a
 *       span that mixes sizes does not rebuild it at every longer block.</li>
 *   <li>One quantum by NEXT_FIT, with the rotor's hint on a dense span (where the last NEXT_FIT block went),
 *       is that span's lowest free quantum at or after the rotor if it has one (the walk could find nothing
 *       lower), taken in one summary search and one word; a free of a one-quantum allocation in a dense
 *       span is one word too (its used bit, and while the starts bitmap is kept its start bit and the bit
 *       after it free, started or past the end). Those paths change what the general ones change and
 *       report the same changes; they leave to the general path a free the quarantine takes and the free
 *       that leaves an imported span wholly free. In a span that is <i>plain</i> (no size classes counted,
 *       no starts kept: an ID pool's usual state) and whose rule is not due, {@code IdPath} does them
 *       whole, straight from the arena's call under its lock, without the engine's general layers. It also
 *       does the one-quantum free in the dense span found last, plain or not, whose rule is not due, and an
 *       INSTANT_FIT allocation of one quantum where the arena's only dense span's fresh run (the run the last
 *       counted operation made, grew or left over) is in the lowest size class holding a free run and no
 *       boundary-tag free segment is in that class or below: the block the general search would choose (a
 *       pool that frees an ID between two live ones, then takes one, gets that ID back).</li>
 * </ul>
 *
 * <h3>Quantum caches</h3>
 * INSTANT_FIT and BEST_FIT allocations of up to {@code qcacheMax} go to the cache of their size; NEXT_FIT
 * (whose rotor must see every allocation) and {@code xalloc} go to the segment list. NEXT_FIT has no cache
 * by design, dense form or not: a cache hands out the block freed last first, which is the reuse NEXT_FIT
 * exists to delay (an ID comes back only once the rotor has gone round), and values idle in a slab are
 * neither below nor above the rotor for a store's log-ahead rotor to account for. A single-quantum NEXT_FIT
 * allocation in a dense span is a few word operations instead; a pool that wants a cache's speed and can
 * take LIFO reuse uses INSTANT_FIT with a cache. A cached block is a
 * caller's allocation like any other: {@code free} checks that it is held and of the given size, so a
 * double free is refused; statistics count it as allocated and the idle blocks of slabs as
 * {@code cached} (free to callers of that size). A slab that runs full is left; the first free into it
 * makes the freeing thread's stripe adopt it or queues it on that stripe's queue, so every idle block
 * stays reachable. A stripe takes its own queued slabs, then new ones, and another stripe's only when
 * the arena has no room, so slabs stay with the threads that use them. Before an
 * allocation fails, wholly idle slabs are given back to the segment list ({@code reapCaches} does it
 * on demand); partly used slabs stay, so a cached arena can refuse a request that the idle blocks of
 * several slabs would cover together, as in Bonwick's design. An observed arena (one a store
 * journals) cannot have caches.
 *
 * <h3>Reuse quarantine</h3>
 * An arena built with a {@link dev.vmem.Quarantine} ({@code Arena.builder(..).quarantine(Duration)} and/or
 * {@code .quarantine(frees)}) holds every freed block back from reuse, by every policy, until at least the
 * delay has passed <em>and</em> at least that many later frees have been made (with one bound set, that
 * one alone), as inode numbers and NFS file handles need.
 * <ul>
 *   <li><b>Form</b>: a quarantined block stays an allocated segment (a tag in the allocation table, or
 *       bits of a dense span), so placement, the forms and the dense rule need to know nothing of it; a
 *       queue ({@code QuarantineQueue}: a ring of base, size, due time and tag) says which allocated
 *       segments are held there rather than by a caller; a list-form block is marked on its tag (in the
 *       tag's padding), a dense-form one in a hash set of bases, and a span that changes form moves the
 *       marks ({@code SpanForms}). The caller's free is counted
 *       and reported at once ({@code frees}, an {@code ArenaChange.Freed}); the release, when the block
 *       becomes free space, is neither.</li>
 *   <li><b>Order and time</b>: blocks leave oldest first. A free first releases the blocks due at the
 *       last clock reading, then queues its own; with a delay, the clock is read now and then rather than at
 *       every free ({@code ClockReadings}: every free while frees are slow, every 64th at most while they come
 *       fast), and a block freed between two readings is stamped with the next one, so it is held longer
 *       than the delay, never shorter; an allocation that finds no room (after an
 *       import) releases what is due and tries again; {@link dev.vmem.Arena#reapQuarantine()} does it on
 *       demand. Due times are whole milliseconds of an injectable clock
 *       ({@link dev.vmem.Arena.Builder#quarantineClock}), rounded so that a block is held at least the delay;
 *       the default clock never goes back.</li>
 *   <li><b>Figures</b>: {@code quarantined} in {@link dev.vmem.ArenaStats} (O(1)) is neither allocated
 *       nor free; {@code segments()} shows each block as {@code QUARANTINED}; a free of a quarantined
 *       value is a double free; an allocation that fails says whether it would fit once the quarantined
 *       blocks are released (a walk of the segments, on the failure path only).</li>
 *   <li><b>Imports</b>: an imported span holding a quarantined block stays; it goes back to the source at
 *       the release that leaves it wholly free. A release the source refuses throws from the call that made
 *       it due (a free: with that free not done) and stays at the head.</li>
 *   <li><b>NEXT_FIT</b>: the rotor does not move at a free or a release; a released block behind the
 *       rotor waits for the wrap as any free space does, so the two delays add up.</li>
 *   <li><b>Quantum caches</b>: not with a quarantine (the definition is refused): a cached free takes no
 *       lock and puts the block straight back in its slab, so it could not queue it.</li>
 *   <li><b>State</b>: {@link dev.vmem.ArenaState} lists the quarantined blocks oldest first with their due
 *       times, apart from the live allocations (a store's journal sees the free as a free); restoring puts
 *       them back in quarantine. {@link dev.vmem.ArenaReplay} queues each replayed free with an unknown
 *       due time, which a restore turns into the whole delay from then (held longer, never shorter), and
 *       drops a block, with every older one, when a replayed allocation or span release proves it had
 *       left.</li>
 * </ul>
 *
 * <h3>Invariants ({@link dev.vmem.Arena#checkInvariants()})</h3>
 * <ol>
 *   <li>Span markers are address-ordered and disjoint; each one is in the span index.</li>
 *   <li>Segments are address-ordered and tile their span exactly: no gap, no overlap.</li>
 *   <li>No two adjacent segments of a span are both free (free segments are coalesced).</li>
 *   <li>Every free segment is on the freelist of its size class and on no other; bitmap bit {@code n}
 *       is set exactly when list {@code n} is non-empty.</li>
 *   <li>The allocation table holds exactly the allocated segments, each in its hash bucket.</li>
 *   <li>{@code allocated + free = total}; {@code total} is the sum of the spans; {@code imported} the
 *       sum of the imported spans; the segment count matches the list.</li>
 *   <li>Every live slab is an allocated segment of its slab size at its alignment, in the slab table,
 *       not retired; the slab table and the count of slabs made and given back agree with the caches.
 *       Each cache's index holds a word for each of its live slabs, at the slab's number, and every other
 *       word of its leaves reads retired; each leaf counts its slabs; the index's window holds each leaf of
 *       its range at its place.</li>
 *   <li>A dense tag follows its span marker alone and covers the span; its bits past the span's end are
 *       allocated and start nothing; while the starts bitmap is kept, every run of allocated quanta begins
 *       with a start bit and no start bit is on a free quantum, and while it is not, every allocation is
 *       one quantum; the summary and top bits match the words; the free-run count of every group counted
 *       since it last changed matches its words, and the groups sum to the total; its counts of
 *       allocations, allocated quanta and free runs (by class, while it counts them, with its fresh run a
 *       free run) match the bitmaps; the engine counts each dense span and its allocations once, and its
 *       tags once each.</li>
 *   <li>Every quarantined block is an allocated segment of its size, in the quarantine's set once;
 *       {@code allocations - frees + quarantined blocks} is the number of allocated segments, and the
 *       quarantined values sum to the figure.</li>
 * </ol>
 *
 * <h3>Where each rule is decided</h3>
 * {@link dev.vmem.Arena} is the facade: it checks arguments, takes the lock and routes each call. Each
 * rule has one home:
 * <ul>
 *   <li>whether an allocation or free goes to a quantum cache or to the engine, and what an allocation
 *       tries before it fails: {@code CallRouting};</li>
 *   <li>rounding a request to the quantum: {@code Request}, the record carried through placement and
 *       import;</li>
 *   <li>where a block goes under each policy: {@code Placement};</li>
 *   <li>carving, coalescing, spans, the rotor and the counters: {@code ArenaEngine};</li>
 *   <li>claiming a given range: {@code Claims} (and {@code CacheClaims} with quantum caches); making the
 *       allocations a caller's ranges: {@code Reconciler};</li>
 *   <li>which form a span has, and moving it: {@code DenseRule} and {@code SpanForms}; the dense form's
 *       searches: {@code DenseSearch}, which passes over runs too short for a block a word at a time
 *       ({@code LongRunSearch});</li>
 *   <li>what to ask the source for, and when to give a span back: {@code ImportPlan} and
 *       {@code Importer};</li>
 *   <li>the quantum caches: {@code QuantumCaches} (per arena) and {@code QuantumCache} (per size),
 *       which get slabs only through {@code SlabSupply};</li>
 *   <li>whether a definition is valid: {@code ArenaDefinitionRules}, asked by
 *       {@link dev.vmem.Arena.Builder#validate()}, the builder, a store and the command;</li>
 *   <li>whether a change can happen to a state: {@code ChangeRules}, asked when a store reverts a
 *       change ({@link dev.vmem.ObservedArena#revert}), restores a state
 *       ({@link dev.vmem.ObservedArena#restore}) and replays its journal
 *       ({@link dev.vmem.ArenaReplay}); the moving of state itself is {@code StateTransfer};</li>
 *   <li>the invariants: {@code ArenaCheck}, and {@code QuantumCaches} for the caches' part.</li>
 * </ul>
 * What only a persistent store needs (observing changes, reverting them, exporting and restoring a
 * state) is on {@link dev.vmem.ObservedArena}, not on the plain arena.
 *
 * <h3>Failure tiers</h3>
 * Bad arguments: {@link java.lang.IllegalArgumentException} naming the values. Expected outcomes:
 * {@link dev.vmem.ArenaExhaustedException} (or {@code NONE} from the {@code try} forms) and
 * {@link dev.vmem.InvalidFreeException}, and {@link dev.vmem.RangeInUseException} for a claim of a range
 * that is not wholly free. Internal invariants: {@code assert}. Every rejected call
 * leaves the arena exactly as it was, except that an allocation that fails (a source's refusal included)
 * keeps the reaping of idle cache slabs and of due quarantined blocks it tried first (no caller's
 * allocation changes).
 */
package dev.vmem;

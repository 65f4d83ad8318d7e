/**
 * The store: arenas kept in a directory, crash-safe. {@link dev.vmem.store.VmemStore} is the facade;
 * {@link dev.vmem.store.PersistentArena} is an arena whose every change is journalled before the call
 * returns. The on-disk layout is in {@link dev.vmem.store.StoreFormat}.
 *
 * <h2>Where things are</h2>
 * <ul>
 *   <li>{@code StoreDirectory}: creating and recognising a store (FORMAT); {@code DirectoryLock}: one
 *       opener at a time.</li>
 *   <li>{@code ArenaRegistry}: the arenas by name and id, creating and dropping them and taking either
 *       back; {@code ArenaHandle}: the only class that calls the core's store-only hooks (observe, export,
 *       restore, revert, source).</li>
 *   <li>{@code UnitOfWork}: the write path. A mutation's changes (reported by the arena's observer) are
 *       collected into one unit while batches nest, taken back newest first if it fails, encoded
 *       ({@code UnitCodec}) as one journal record, and acknowledged at the unit's durability level;
 *       {@code RotorMarks}: the log-ahead NEXT_FIT rotor, which decides when a unit must wait for a mark.</li>
 *   <li>{@code Journal}: the segment files; {@code GroupCommit}: concurrent callers sharing fsyncs;
 *       {@code StoreHead}: the evidence outside the journal of how far it reached; {@code StoreFiles}: every
 *       change to a file or directory (the seam the fault and power-loss tests use).</li>
 *   <li>{@code Checkpointer} and {@code Checkpoint}: the MapDB checkpoints; {@code Recovery},
 *       {@code JournalReader} and {@code StoreImage}: opening; {@code StoreVerifier}: {@code verify()};
 *       {@code StoreRepair}: {@code vmem repair}.</li>
 * </ul>
 *
 * <h2>The crash contract, as implemented</h2>
 * Three durability levels ({@link dev.vmem.store.Durability}). At {@code SYNC} (the default) an operation
 * (or a {@code batch}) returns only after its journal record has been written and fsynced; concurrent
 * callers share fsyncs, and none returns before the fsync that covers its own record. At {@code WRITE} it
 * returns once the record is written to the operating system, at {@code BUFFERED} once it is in the
 * journal's buffer; a flusher fsyncs at least every {@code flushInterval}, and {@code sync()} is a barrier.
 * {@code RotorMarks} keeps NEXT_FIT values from coming back at those levels. Given a disk that honours
 * fsync, after {@code kill -9} or a power loss at any instant, reopening the store (the list is for
 * {@code SYNC}; at the weaker levels point 1 holds for the prefix the level keeps, and the rotor starts at
 * its durable mark):
 * <ol>
 *   <li>shows every acknowledged operation, with its NEXT_FIT rotor move (journalled in the same record),
 *       so a NEXT_FIT value handed out before the crash is not handed out again before the rotor wraps;
 *       and a value freed into an arena with a reuse quarantine is not handed out again before its delay is
 *       over (a block in the last checkpoint keeps its due time, one freed after it is held the whole delay
 *       from the open) nor before its count of later frees is (counted in the order the journal replays);</li>
 *   <li>shows each unit (one record: an operation, a batch, an import with the parent's allocation)
 *       whole or not at all, and the history as a prefix: an operation that was written but not yet
 *       acknowledged may appear (after {@code kill -9} its record is in the page cache) or not (after a
 *       power loss);</li>
 *   <li>passes the invariant check, or refuses to open: it refuses only when something acknowledged as
 *       durable is damaged or missing, and never opens with less than it acknowledged, with one window:
 *       when the newest segment's tail (or the whole segment) is lost and no record or head proves it
 *       was there, which the head bounds to the last second of acknowledged work (a tail cut off by a
 *       power loss is indistinguishable from one that was never written);</li>
 *   <li>may show a smaller {@code failures} counter: failed allocations change no state and are not
 *       journalled.</li>
 * </ol>
 * A failed journal write takes the operation back; a failed fsync leaves it applied in memory with an
 * unknown outcome on disk ({@link dev.vmem.store.StoreSyncFailedException}) and stops the store until
 * it is reopened.
 *
 * <h2>Recovery</h2>
 * <ol>
 *   <li><b>Directory.</b> FORMAT must name a version from 1 to {@value dev.vmem.store.StoreFormat#VERSION}
 *       (an older store is upgraded once it has opened); the LOCK file is locked (a second opener is
 *       refused); a repair that a crash interrupted is finished (or, if incomplete, thrown away); HEAD must
 *       hold a whole slot, and {@code journal/} must exist (a missing one is refused, never recreated).</li>
 *   <li><b>Checkpoint.</b> Of the two generations, only files marked complete are candidates; the one
 *       with the higher sequence number (then the higher epoch) is read first. It is used only if it
 *       opens and its content matches its checksum; otherwise the other generation is read, and the
 *       damaged one is rebuilt by a checkpoint soon after the open. With neither, recovery starts from an
 *       empty store at sequence 0. A checkpoint is never the only copy: each one is written whole into the
 *       older generation's file, fsynced, read back and verified before the journal drops any segment,
 *       and a segment is dropped only once both generations hold all its records.</li>
 *   <li><b>Journal.</b> Every segment is read in order. A segment header that is damaged is refused,
 *       except in the last segment when the file holds no more than a header and the head does not name
 *       it (a crash while creating it: the file is deleted). A gap between segments, a journal starting
 *       after the checkpoint's sequence + 1, or one ending before it is refused. Each record after the checkpoint's sequence is
 *       decoded and applied to the checkpoint's image; an operation that does not fit the state (a free
 *       of something not allocated, an overlapping span, ...) is refused. Refusals are
 *       {@link dev.vmem.store.StoreCorruptedException}s naming the file and offset.</li>
 *   <li><b>Cut tail or corruption.</b> A record whose length, sequence number or checksum is wrong is
 *       cut off with everything after it (reported at WARN and by {@code VmemStore.recovery()}) only if it
 *       is in the last segment, no whole later record carries a watermark at or above its sequence number,
 *       and the head's durable sequence number is below it: it was written after the last fsync, so never
 *       acknowledged. Otherwise it is corruption and the store refuses to open. A journal that ends before
 *       the head's durable sequence number, or lacks the segment the head names, is refused.</li>
 *   <li><b>Rotor marks.</b> An arena whose rotor mark the replay leaves set (a MARK not since passed or
 *       wrapped by its rotor) gets its rotor moved up to the mark: values lost units may have handed out
 *       lie behind it. The move is reported, and journalled and fsynced before the store takes work.</li>
 *   <li><b>Arenas.</b> Each arena is rebuilt from the image and the whole store passes the invariant
 *       check (including imported spans matched in their sources), or the open is refused; only then is
 *       the last segment cut back to its last valid record, fsynced (so that what was replayed
 *       survives a power loss before new work builds on it), the head brought up to date, and appended to.</li>
 * </ol>
 *
 * <h2>Space</h2>
 * After each verified checkpoint the journal starts a new segment at its next record and deletes the
 * segments both generations hold; a clean close writes the last checkpoint, copies it into the other
 * generation and leaves one segment without a record. A full file system refuses work that grows the store
 * ({@link dev.vmem.store.StoreDiskFullException}) while a reserve stays for frees.
 */
package dev.vmem.store;

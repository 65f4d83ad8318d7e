package dev.vmem.store;

import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of opening a store, in order: the directory prepared (or refused), the lock taken, a repair that
 * a crash interrupted finished, a new store created, the format checked, recovery, the store built, an older
 * format upgraded; then what recovery found is logged. Any failure releases the lock.
 */
final class StoreOpening {
    /** The store's logger: opening is the store's news. */
    private static final Logger LOG = LoggerFactory.getLogger(VmemStore.class);

    private StoreOpening() {
    }

    /** See {@link VmemStore#open(StoreOptions)}. An interrupted caller's open reads and writes all the same. */
    static VmemStore open(StoreOptions options, StoreHooks hooks) {
        return Interrupts.deferred(() -> openUninterrupted(options, hooks));
    }

    private static VmemStore openUninterrupted(StoreOptions options, StoreHooks hooks) {
        Path dir = options.directory();
        Object event = StoreEvents.recoveryBegins();
        long started = System.nanoTime();
        try {
            StoreDirectory.prepare(hooks.files(), dir, options.createIfMissing());
            DirectoryLock lock = DirectoryLock.acquire(dir);
            try {
                StoreRepair.finishInterrupted(hooks.files(), dir);
                if (!StoreDirectory.exists(dir) && options.createIfMissing()) {
                    StoreDirectory.create(hooks.files(), dir);
                }
                int version = StoreDirectory.checkFormat(dir);
                FileModes.warnIfOthersCanWrite(dir);
                Recovery.Result recovered = Recovery.recover(dir, version);
                StoreCounters counters = new StoreCounters(dir);
                VmemStore store = new VmemStore(dir, options, hooks, lock, recovered, version, counters);
                if (version < StoreFormat.VERSION) {
                    // The head exists and the journal writes a new-format segment: the store is now of this version.
                    try {
                        StoreDirectory.writeFormat(hooks.files(), dir);
                    } catch (IOException | RuntimeException e) {
                        store.closeWithoutCheckpoint(); // stops its threads; the lock is released below
                        throw e;
                    }
                    LOG.info("store {}: upgraded from format {} to {}", dir, version, StoreFormat.VERSION);
                }
                store.recovery().lostAcknowledged().ifPresent(lost -> LOG.warn("store {}: the crash took back {}"
                        + " unit(s) acknowledged before their fsync, sequence {} to {} as far as the store head knew"
                        + " (their durability level allows it)", dir, lost.units(), lost.fromSeq(), lost.toSeq()));
                store.recovery().cut().ifPresent(cut -> LOG.warn("store {}: cut off a journal tail that was never"
                        + " acknowledged as durable: {} record(s), sequence {} to {}, {} bytes from offset {} of {}",
                        dir, cut.units(), cut.fromSeq(), cut.toSeq(), cut.bytes(), cut.offset(), cut.file()));
                LOG.info("opened store {}: {} arenas, {} journal records replayed after checkpoint sequence {}, in {} ms",
                        dir, recovered.image().arenas.size(), recovered.replayed(),
                        recovered.image().seq - recovered.replayed(), (System.nanoTime() - started) / 1_000_000);
                counters.recovered(event, started, store.recovery());
                if (recovered.rebuildCheckpoint()) {
                    LOG.warn("store {}: rebuilding a damaged checkpoint from the other generation and the journal", dir);
                    store.rebuildCheckpointSoon();
                }
                return store;
            } catch (IOException | RuntimeException e) {
                try {
                    lock.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        } catch (IOException e) {
            throw new StoreIOException("cannot open store " + dir + ": " + e, e);
        }
    }
}

package dev.vmem.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opening a store read-only ({@link VmemStore#openReadOnly}): the directory recognised, recovery into memory, the
 * store built without a journal, a checkpointer or a lock. Nothing is written: recovery only reads, the LOCK file is
 * not even opened (on Linux, closing any descriptor of it would drop the locks a store open in this process holds),
 * a journal tail cut short is left out in memory only, a rotor moved up to its mark is moved in memory only, and a
 * damaged checkpoint generation is passed over without being rebuilt.
 *
 * <h2>A store another process is writing</h2>
 * Its journal only grows at its end, a record is whole once its write returns, and its files change only at the
 * end of the last segment, when a segment is created or dropped, and when a checkpoint generation is rewritten
 * (deleted and written anew). Recovery reads the head first, then a checkpoint, then the journal after it, so
 * what it finds whole is a prefix of the journal applied to a checkpoint: a state after one unit, holding every
 * unit written before the open began (every one acknowledged at {@link Durability#SYNC} or
 * {@link Durability#WRITE}; at {@link Durability#BUFFERED}, every one flushed) and maybe some written during it.
 * A record being written when it is read is a torn tail, left out as after a crash. What a concurrent change can
 * make recovery refuse (a checkpoint replaced while it was read, a segment dropped between listing and reading,
 * a record torn on one page and whole on the next) is told from damage by the files themselves: recovery is
 * tried again while their names, sizes and times change under it, up to {@value #ATTEMPTS} times, and the
 * refusal stands only when the same one comes twice with the files unchanged.
 */
final class ReadOnlyOpening {
    /** The store's logger: opening is the store's news. */
    private static final Logger LOG = LoggerFactory.getLogger(VmemStore.class);

    /** Attempts at recovery while another process changes the files under it. */
    static final int ATTEMPTS = 50;

    private ReadOnlyOpening() {
    }

    static VmemStore open(Path dir) {
        return Interrupts.deferred(() -> openUninterrupted(dir));
    }

    private static VmemStore openUninterrupted(Path dir) {
        long started = System.nanoTime();
        try {
            StoreDirectory.prepare(StoreFiles.DEFAULT, dir, false); // refuses a missing directory; creates nothing
            int version = StoreDirectory.checkFormat(dir);
            if (Files.exists(dir.resolve(StoreRepair.STAGING).resolve(StoreRepair.COMPLETE))) {
                throw new ReadOnlyStoreException("store " + dir + " holds a repair that a crash interrupted: a"
                        + " read-write open (or vmem repair) finishes it, a read-only open cannot");
            }
            String refused = null;
            for (int attempt = 1; ; attempt++) {
                List<String> before = fingerprint(dir);
                try {
                    VmemStore store = new VmemStore(dir, Recovery.recover(dir, version), version);
                    LOG.info("opened store {} read-only: {} arenas at journal sequence {}, in {} ms ({} attempt(s))",
                            dir, store.arenas().size(), store.recovery().lastSeq(),
                            (System.nanoTime() - started) / 1_000_000, attempt);
                    return store;
                } catch (StoreCorruptedException | IOException e) {
                    boolean unchanged = fingerprint(dir).equals(before);
                    if (unchanged && e.getMessage().equals(refused)) {
                        throw e;
                    }
                    if (attempt == ATTEMPTS) {
                        throw new StoreIOException("cannot read store " + dir + " read-only: its files changed under"
                                + " each of " + ATTEMPTS + " attempts; the last one found: " + e.getMessage(), e);
                    }
                    refused = unchanged ? e.getMessage() : null;
                    Interrupts.pause(10_000_000); // past the file system's coarse clock, so that a change shows
                }
            }
        } catch (IOException e) {
            throw new StoreIOException("cannot open store " + dir + " read-only: " + e, e);
        }
    }

    /**
     * What recovery reads, as it stands: each file's name, identity, size and modification time. Any write,
     * creation, deletion or replacement changes it (a write within the clock's tick may not: hence the pause).
     */
    private static List<String> fingerprint(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> all = Files.walk(dir, 2)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                    out.add(dir.relativize(p) + " " + a.fileKey() + " " + a.size() + " " + a.lastModifiedTime());
                } catch (IOException gone) {
                    out.add(dir.relativize(p) + " gone");
                }
            }
        } catch (java.io.UncheckedIOException e) {
            out.add("listing failed: " + e.getCause()); // a directory removed while it was walked
        }
        out.sort(null);
        return out;
    }
}

package dev.vmem.store;

import dev.vmem.Constraints;
import dev.vmem.Policy;
import dev.vmem.testing.StoreDirectories;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes the golden store of format version {@value StoreFormat#VERSION} that the golden-file tests
 * ({@link GoldenFormatTest} for version 1, {@link GoldenFormat2Test} for version 2) read back. Run it only
 * when the format version changes (a new version gets a new directory; the old golden files stay, so that
 * old stores keep being read):
 *
 * <pre>
 *   mvn -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 *   java -cp target/classes:target/test-classes:$(cat target/cp.txt) dev.vmem.store.GoldenStoreGenerator
 * </pre>
 *
 * with the target directory as argument (default {@code src/test/resources/golden/v<VERSION>},
 * relative to the project root). Regenerating gives byte-identical files, checkpoints included, except
 * the HEAD file of format 2: the store also brings its head up to date every second, so how many heads a
 * run writes (the count, which slot holds the newer one, and the durable sequence it reached) depends on
 * how long the run takes. The tests rely only on what a store reads from the files.
 *
 * <p>The store: {@code disk} (quantum 4096, one span) is the source of {@code tenant} (quantum 4096,
 * import quantum 1 MiB); {@code pids} (quantum 1) is used with NEXT_FIT. A checkpoint is written after
 * phase 1 and another at the close after phase 2 (from format 2 on, that close also copies it into the
 * other generation and empties the journal into a new segment); then the store is reopened, a few more
 * operations are made and the store stops like a crash, so the journal holds a tail beyond the newest
 * checkpoint that recovery must replay.
 */
public final class GoldenStoreGenerator {
    /** The golden files' location, relative to the project root. */
    public static final Path DEFAULT_TARGET = Path.of("src", "test", "resources", "golden", "v" + StoreFormat.VERSION);

    private GoldenStoreGenerator() {
    }

    public static void main(String[] args) throws IOException {
        Path target = args.length > 0 ? Path.of(args[0]) : DEFAULT_TARGET;
        generate(target);
        for (Path p : StoreDirectories.files(target)) {
            System.out.println(target.relativize(p) + " " + Files.size(p) + " bytes");
        }
    }

    /** Creates the golden store in a scratch directory and copies its files (not LOCK) to {@code target}. */
    public static void generate(Path target) throws IOException {
        Path work = Files.createTempDirectory("vmem-golden");
        try {
            Path store = work.resolve("store");
            build(store);
            StoreDirectories.delete(target);
            Files.createDirectories(target.resolve(StoreFormat.JOURNAL_DIR));
            for (Path p : StoreDirectories.files(store)) {
                String name = store.relativize(p).toString();
                if (name.equals(StoreFormat.LOCK_FILE)) {
                    continue;
                }
                Files.copy(p, target.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            StoreDirectories.delete(work);
        }
    }

    /** The golden store's history. Changing anything here changes the expected values of the test. */
    static void build(Path store) {
        // Phase 1: definitions, spans, NEXT_FIT, an import; then checkpoint generation 0.
        try (VmemStore s = VmemStore.open(StoreFixture.options(store))) {
            PersistentArena disk = s.createArena(ArenaDefinition.of("disk", 4096));
            disk.addSpan(0x100000, 0x4000000);
            PersistentArena tenant = s.createArena(ArenaDefinition.of("tenant", 4096).withSource("disk", 0x100000));
            PersistentArena pids = s.createArena(ArenaDefinition.of("pids", 1));
            pids.addSpan(300, 700);
            for (int i = 0; i < 8; i++) {
                pids.alloc(1, Policy.NEXT_FIT); // 300 .. 307
            }
            pids.free(302);
            pids.free(305);
            disk.xalloc(Constraints.builder(0x10000).align(0x10000).build(), Policy.BEST_FIT);
            tenant.alloc(0x3000, Policy.INSTANT_FIT); // imports 1 MiB from disk
            tenant.alloc(0x1000, Policy.NEXT_FIT);
            if (!s.checkpoint()) {
                throw new IllegalStateException("checkpoint failed");
            }
            // Phase 2: more changes, then close: checkpoint generation 1.
            pids.alloc(3, Policy.NEXT_FIT); // 308 .. 310
            disk.alloc(0x2000, Policy.INSTANT_FIT);
            s.batch(() -> {
                pids.free(300);
                tenant.alloc(0x200000, Policy.BEST_FIT); // a second, larger import
            });
        }
        // Phase 3: a journal tail beyond the newest checkpoint; stopped like a crash.
        VmemStore s = VmemStore.open(StoreFixture.options(store));
        try {
            PersistentArena pids = s.arena("pids");
            PersistentArena tenant = s.arena("tenant");
            PersistentArena disk = s.arena("disk");
            pids.alloc(1, Policy.NEXT_FIT); // 311
            pids.free(303);
            long first = tenant.segments().stream()
                    .filter(seg -> seg.kind() == dev.vmem.Segment.Kind.ALLOCATED).findFirst().orElseThrow().base();
            tenant.free(first);
            disk.xalloc(Constraints.builder(0x4000).align(0x8000).phase(0x4000).build(), Policy.NEXT_FIT);
        } finally {
            StoreCrash.crash(s);
        }
    }
}

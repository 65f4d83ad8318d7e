package consumer;

import dev.vmem.Policy;
import dev.vmem.store.ArenaDefinition;
import dev.vmem.store.PersistentArena;
import dev.vmem.store.VmemStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/** Opens a store, hands out IDs, reopens it and checks the rotor went on; exits non-zero if anything is off. */
public final class Main {
    private Main() {
    }

    /**
     * As a module, the library exports its public packages and nothing else: the command's classes
     * (dev.vmem.cli) ship in vmem.jar only.
     */
    private static void checkLibraryModule() {
        Module library = VmemStore.class.getModule();
        if (!library.isNamed()) {
            return;
        }
        Set<String> packages = new TreeSet<>(library.getPackages());
        if (!"dev.vmem".equals(library.getName()) || !packages.equals(Set.of("dev.vmem", "dev.vmem.store", "dev.vmem.micrometer", "dev.vmem.cluster"))) {
            throw new IllegalStateException("module " + library.getName() + " has packages " + packages);
        }
    }

    public static void main(String[] args) throws Exception {
        Path root = Files.createTempDirectory("vmem-consumer");
        try {
            Path dir = root.resolve("store");
            try (VmemStore store = VmemStore.open(dir)) {
                PersistentArena ids = store.createArena(ArenaDefinition.of("ids", 1));
                ids.addSpan(1, 1000);
                ids.alloc(1, Policy.NEXT_FIT);
                ids.alloc(1, Policy.NEXT_FIT);
            }
            long next;
            try (VmemStore store = VmemStore.open(dir)) {
                next = store.arena("ids").alloc(1, Policy.NEXT_FIT);
            }
            if (next != 3) {
                throw new IllegalStateException("expected ID 3 after a reopen, got " + next);
            }
            checkLibraryModule();
            System.out.println("consumer: ok, ID " + next + " after a reopen"
                    + (Main.class.getModule().isNamed() ? " (as module " + Main.class.getModule().getName() + ")"
                    : " (on the class path)"));
        } finally {
            try (Stream<Path> all = Files.walk(root)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}

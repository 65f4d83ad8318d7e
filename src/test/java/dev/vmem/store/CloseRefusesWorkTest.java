package dev.vmem.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmem.Policy;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A close under way takes no new work. A clean close spends the NEXT_FIT rotor marks in its last checkpoint, so
 * that the reopened store keeps the exact rotor; an allocation that got in after that (a thread still working
 * while another closes, as a command's SIGTERM hook does) set a mark again, and the reopened store skipped the
 * rotor ahead to it and warned, as after a crash.
 */
class CloseRefusesWorkTest {
    @TempDir
    Path dir;

    @Test
    void workStartedWhileTheLastCheckpointIsWritten_isRefused_andTheReopenSkipsNothing() {
        StoreOptions opts = StoreOptions.builder(dir).checkpointInterval(Duration.ZERO)
                .durability(Durability.BUFFERED).build();
        AtomicReference<PersistentArena> pids = new AtomicReference<>();
        AtomicBoolean closing = new AtomicBoolean();
        AtomicReference<Object> during = new AtomicReference<>();
        StoreHooks hooks = new StoreHooks(StoreFiles.DEFAULT, (files, file, image) -> {
            if (closing.getAndSet(false)) { // the close's checkpoint: another thread asks for one more ID now
                Thread other = new Thread(() -> {
                    try {
                        during.set(pids.get().alloc(1, Policy.NEXT_FIT));
                    } catch (RuntimeException e) {
                        during.set(e);
                    }
                });
                other.start();
                try {
                    other.join(10_000);
                } catch (InterruptedException e) {
                    throw new InterruptedIOException("interrupted");
                }
            }
            Checkpoint.write(files, file, image);
        });
        long cursor;
        VmemStore s = VmemStore.open(opts, hooks);
        try {
            pids.set(s.createArena(ArenaDefinition.of("pids", 1)));
            pids.get().addSpan(0, 1_000_000);
            for (int i = 0; i < 100; i++) {
                pids.get().alloc(1, Policy.NEXT_FIT);
            }
            cursor = pids.get().nextFitCursor();
            closing.set(true);
        } finally {
            s.close();
        }
        try (VmemStore reopened = VmemStore.open(opts)) {
            assertEquals(List.of(), reopened.recovery().rotorSkips(), "a clean close leaves no rotor to skip");
            assertEquals(cursor, reopened.arena("pids").nextFitCursor());
            assertEquals(100, reopened.arena("pids").stats().liveAllocations());
            StoreFixture.assertSound(reopened);
        }
        assertTrue(during.get() instanceof IllegalStateException && ((Exception) during.get()).getMessage()
                .contains("is being closed"), "the allocation during the close: " + during.get());
    }
}

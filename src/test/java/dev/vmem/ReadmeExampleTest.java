package dev.vmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The README's example, kept compiling and true. */
class ReadmeExampleTest {

    @Test
    void readmeExample_runsAsDocumented() {
        // Process IDs 300..32767, never reused before the rotor wraps round.
        Arena pids = Arena.builder("pids").quantum(1).span(300, 32768 - 300).build();
        long pid = pids.alloc(1, Policy.NEXT_FIT);          // 300
        pids.free(pid);
        long next = pids.alloc(1, Policy.NEXT_FIT);         // 301, not 300 again

        // Disk blocks: a 4 KiB-quantum arena, 64 KiB extents aligned to 64 KiB that stay inside one 1 MiB zone.
        Arena disk = Arena.builder("disk").quantum(4096).span(0, 1L << 30).build();
        Constraints extent = Constraints.builder(64 * 1024).align(64 * 1024).nocross(1 << 20).build();
        long block = disk.xalloc(extent, Policy.BEST_FIT);
        disk.free(block, 64 * 1024);                         // the size is checked

        // A child arena that imports from its parent at least 1 MiB at a time and gives it back when empty.
        Arena tenant = Arena.builder("tenant").quantum(4096).source(disk).importQuantum(1 << 20).build();
        long page = tenant.alloc(4096, Policy.INSTANT_FIT);
        assertEquals(1 << 20, disk.stats().allocated(), "tenant imported one MiB");
        tenant.free(page);                                   // the imported MiB goes back to `disk`

        // Small blocks for many threads: quantum caches for 1 to 8 pages, no lock on their common path.
        Arena buffers = Arena.builder("buffers").quantum(4096).qcacheMax(8 * 4096).span(0, 1L << 30).build();
        long buffer = buffers.alloc(3 * 4096, Policy.INSTANT_FIT);
        buffers.free(buffer, 3 * 4096);                      // a double free would still be refused

        assertEquals(0, buffer % 4096);
        assertEquals(0, buffers.stats().allocated());
        assertEquals(63 * 3 * 4096, buffers.stats().cached(), "the rest of the slab stays cached");
        assertEquals(300, pid);
        assertEquals(301, next);
        assertEquals(0, block % (64 * 1024));
        assertTrue(block / (1 << 20) == (block + 64 * 1024 - 1) / (1 << 20));
        assertEquals(0, tenant.stats().imported());
        assertEquals(0, disk.stats().allocated());
        Invariants.assertSound(pids, disk, tenant, buffers);
    }
}

package dev.vmem.store;

/** Stops a store in this JVM as a process crash would, so that a test can reopen it straight away. */
final class StoreCrash {
    private StoreCrash() {
    }

    /**
     * Stops {@code store} without its final checkpoint and releases its files: the checkpoints are as
     * the last one left them, and every record the journal wrote stays, as after {@code kill -9}. (Unlike
     * a kill, the journal's segment is cut back to its last record and forced. A power loss, which can
     * lose unsynced pages, is beyond this: the crash tests fork a JVM and kill it, and the corruption and
     * preallocation tests damage or copy the files by hand.)
     */
    static void crash(VmemStore store) {
        store.closeWithoutCheckpoint();
    }
}

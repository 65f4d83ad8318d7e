package dev.vmem.store;

/**
 * What JMX shows of an open store, under the object name {@code dev.vmem:type=Store,store="<store directory>"}
 * (quoted with {@link javax.management.ObjectName#quote}; its arenas' beans, {@link ArenaMXBean}, carry the same
 * {@code store} key). Registered when the store opens, unregistered when it closes; not at all with
 * {@link StoreOptions#jmx()} off. The figures are those of {@link VmemStore#stats()} and
 * {@link VmemStore#recovery()}; a duration or age that does not exist yet is -1.
 */
public interface StoreMXBean {
    String getDirectory();

    long getAppendedSeq();

    long getDurableSeq();

    long getRotorMoves();

    long getRotorWaits();

    long getFsyncs();

    long getFsyncedUnits();

    double getUnitsPerFsync();

    long getFsyncTimeMillis();

    long getJournalAppendedBytes();

    long getJournalBytes();

    long getCheckpoints();

    long getCheckpointFailures();

    long getLastCheckpointAgeMillis();

    long getLastCheckpointMillis();

    long getRecoveryMillis();

    long getRecoveredCheckpointSeq();

    long getRecoveryReplayed();

    long getRecoveryCutRecords();

    long getRecoveryLostUnits();

    long getRecoveryRotorSkips();
}

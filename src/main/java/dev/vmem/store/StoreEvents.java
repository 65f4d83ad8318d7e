package dev.vmem.store;

import jdk.jfr.FlightRecorder;

/**
 * The store's JFR events ({@link FsyncEvent}, {@link CheckpointEvent}, {@link RecoveryEvent}): begun before the work,
 * committed after it with what it did, while a recording wants them.
 *
 * <p>Why events travel as {@code Object}, and only this class names their classes: JFR instruments an event class
 * as soon as it is loaded, recording or not, and the first one costs a process about 140 classes and 0.3 s
 * (measured on 2 busy cores). No event class is touched until a flight recorder exists ({@code
 * -XX:StartFlightRecording}, {@code jcmd <pid> JFR.start}, or the {@code jdk.jfr} API); until then each begin
 * returns null, after a static read. Events begun after a recorder starts are recorded as usual.
 */
final class StoreEvents {
    private StoreEvents() {
    }

    /** A begun fsync event, or null while there is no flight recorder. */
    static Object fsyncBegins() {
        if (!FlightRecorder.isInitialized()) {
            return null;
        }
        FsyncEvent event = new FsyncEvent();
        event.begin();
        return event;
    }

    /** A begun checkpoint event, or null while there is no flight recorder. */
    static Object checkpointBegins() {
        if (!FlightRecorder.isInitialized()) {
            return null;
        }
        CheckpointEvent event = new CheckpointEvent();
        event.begin();
        return event;
    }

    /** A begun recovery event, or null while there is no flight recorder. */
    static Object recoveryBegins() {
        if (!FlightRecorder.isInitialized()) {
            return null;
        }
        RecoveryEvent event = new RecoveryEvent();
        event.begin();
        return event;
    }

    /** Ends {@code begun} (from {@link #fsyncBegins}, maybe null): an fsync made {@code units} units durable. */
    static void fsynced(Object begun, String store, long units, long bytes) {
        if (begun != null) {
            FsyncEvent event = (FsyncEvent) begun;
            if (event.shouldCommit()) {
                event.store = store;
                event.units = units;
                event.bytes = bytes;
                event.commit();
            }
        }
    }

    /** Ends {@code begun} (from {@link #checkpointBegins}, maybe null). */
    static void checkpointed(Object begun, String store, boolean written, long seq, int arenas) {
        if (begun != null) {
            CheckpointEvent event = (CheckpointEvent) begun;
            if (event.shouldCommit()) {
                event.store = store;
                event.sequence = seq;
                event.arenas = arenas;
                event.outcome = written ? CheckpointEvent.WRITTEN : CheckpointEvent.FAILED;
                event.commit();
            }
        }
    }

    /** Ends {@code begun} (from {@link #recoveryBegins}, maybe null): the open recovered what {@code report} says. */
    static void recovered(Object begun, String store, RecoveryReport report) {
        if (begun != null) {
            RecoveryEvent event = (RecoveryEvent) begun;
            if (event.shouldCommit()) {
                event.store = store;
                event.checkpointSequence = report.checkpointSeq();
                event.recordsReplayed = report.replayed();
                event.recordsCut = report.cut().map(RecoveryReport.LostTail::units).orElse(0L);
                event.bytesCut = report.cut().map(RecoveryReport.LostTail::bytes).orElse(0L);
                event.acknowledgedLost = report.lostAcknowledged().map(RecoveryReport.LostUnits::units).orElse(0L);
                event.rotorSkips = report.rotorSkips().size();
                event.commit();
            }
        }
    }
}

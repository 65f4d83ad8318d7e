package dev.vmem.store;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JFR event {@code dev.vmem.Recovery}: a store opened, its duration the whole open, with the figures of its
 * {@link RecoveryReport}. Committed only while a recording asks for it.
 */
@Name("dev.vmem.Recovery")
@Label("Store Recovery")
@Category({"vmem", "Store"})
@Description("A vmem store opened: recovery from its newest checkpoint and the journal")
@StackTrace(false)
final class RecoveryEvent extends Event {
    @Label("Store")
    @Description("The store's directory")
    String store;

    @Label("Checkpoint Sequence")
    @Description("The journal sequence number of the checkpoint recovery started from (0: none)")
    long checkpointSequence;

    @Label("Records Replayed")
    @Description("Journal records replayed after that checkpoint")
    long recordsReplayed;

    @Label("Records Cut")
    @Description("Records of a journal tail cut off because it was never acknowledged as durable")
    long recordsCut;

    @Label("Bytes Cut")
    @DataAmount
    long bytesCut;

    @Label("Acknowledged Units Lost")
    @Description("Units acknowledged before their fsync (WRITE, BUFFERED) that the crash took back, as far as"
            + " the store head knew")
    long acknowledgedLost;

    @Label("Rotor Skips")
    @Description("NEXT_FIT rotors moved up to their durable mark")
    long rotorSkips;
}

package dev.vmem.store;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JFR event {@code dev.vmem.Checkpoint}: one checkpoint written, or failed, by a store. A checkpoint that finds
 * nothing new to write does no I/O and is no event. Committed only while a recording asks for it.
 */
@Name("dev.vmem.Checkpoint")
@Label("Checkpoint")
@Category({"vmem", "Store"})
@Description("A vmem store's checkpoint: written, or failed with the journal keeping every record")
@StackTrace(false)
final class CheckpointEvent extends Event {
    static final String WRITTEN = "written";
    static final String FAILED = "failed";

    @Label("Store")
    @Description("The store's directory")
    String store;

    @Label("Sequence")
    @Description("The journal sequence number the checkpoint reflects")
    long sequence;

    @Label("Arenas")
    long arenas;

    @Label("Outcome")
    @Description("written, or failed (logged at WARN)")
    String outcome;
}

package dev.vmem.store;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JFR event {@code dev.vmem.Fsync}: one fsync of a store's journal that made records durable (a group commit,
 * or the force at a segment roll or close), with what it covered. Committed only while a recording asks for it.
 */
@Name("dev.vmem.Fsync")
@Label("Journal Fsync")
@Category({"vmem", "Store"})
@Description("An fsync of a vmem store's journal and the records it made durable")
@StackTrace(false)
final class FsyncEvent extends Event {
    @Label("Store")
    @Description("The store's directory")
    String store;

    @Label("Units")
    @Description("Units (one journal record each) this fsync made durable")
    long units;

    @Label("Bytes")
    @Description("Bytes written to the journal between the start of the previous fsync and the start of this one")
    @DataAmount
    long bytes;
}

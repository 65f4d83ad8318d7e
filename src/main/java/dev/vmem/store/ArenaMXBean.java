package dev.vmem.store;

/**
 * What JMX shows of each open arena of a store, under the object name
 * {@code dev.vmem:type=Arena,store="<store directory>",name="<arena name>"} (both values quoted with
 * {@link javax.management.ObjectName#quote}). Registered when the store opens or creates the arena,
 * unregistered when it is dropped or the store closes. Every attribute is read in O(1).
 */
public interface ArenaMXBean {
    String getName();

    long getQuantum();

    long getTotal();

    long getAllocated();

    long getFree();

    long getImported();

    long getSpans();

    long getSegments();

    long getLiveAllocations();

    long getAllocations();

    long getFrees();

    long getFailures();

    long getImports();

    long getReleases();

    long getNextFitCursor();
}

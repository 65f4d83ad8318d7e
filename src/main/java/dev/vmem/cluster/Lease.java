package dev.vmem.cluster;

/** A leased span {@code [base, base + size)} of a cluster space, as its lease znode records it. */
record Lease(long base, long size, String owner, long epoch) {
    long end() {
        return base + size;
    }
}

/**
 * An optional Micrometer binder for a store, {@link dev.vmem.micrometer.VmemStoreMetrics}. Micrometer is an
 * optional dependency of the library: a build that uses this package declares {@code io.micrometer:micrometer-core}
 * itself; one that does not never gets it. Nothing in {@code dev.vmem} or {@code dev.vmem.store} refers to
 * Micrometer: the binder reads the store's public snapshot, {@link dev.vmem.store.VmemStore#stats()}, which JMX
 * ({@link dev.vmem.store.StoreMXBean}) reads too.
 */
package dev.vmem.micrometer;

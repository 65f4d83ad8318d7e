package dev.vmem.store;

import dev.vmem.ArenaExhaustedException;
import dev.vmem.Constraints;
import dev.vmem.Source;

/**
 * The source of an arena defined with an outside source until {@link VmemStore#attachSource} binds the real
 * one: it imports nothing and takes nothing back, so the arena can be read, and a change that would need its
 * source fails before anything changed.
 */
final class UnboundSource implements Source {
    private final String arena;

    UnboundSource(String arena) {
        this.arena = arena;
    }

    @Override
    public long importSpan(Constraints request) {
        throw new ArenaExhaustedException("arena '" + arena + "' has no outside source attached (VmemStore.attachSource)");
    }

    @Override
    public void releaseSpan(long base, long size) {
        throw new IllegalStateException("arena '" + arena + "' cannot give span [" + base + ", " + (base + size)
                + ") back: no outside source attached (VmemStore.attachSource)");
    }

    @Override
    public String toString() {
        return "no outside source attached";
    }
}

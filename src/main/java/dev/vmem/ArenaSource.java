package dev.vmem;

/**
 * An arena as the source of others ({@link Arena#asSource()}): an import is an
 * {@link Policy#INSTANT_FIT} xalloc of the request, a release is a free that checks the size.
 */
final class ArenaSource implements Source {
    private final Arena arena;

    ArenaSource(Arena arena) {
        this.arena = arena;
    }

    @Override
    public long importSpan(Constraints request) {
        return arena.xalloc(request, Policy.INSTANT_FIT);
    }

    @Override
    public void releaseSpan(long base, long size) {
        arena.free(base, size);
    }

    @Override
    public long quantum() {
        return arena.quantum();
    }

    /** A child serves only what its parent may: the parent asks its own source. */
    @Override
    public void admit() {
        arena.admit();
    }

    @Override
    public String toString() {
        return "source " + arena;
    }
}

package dev.vmem.testing;

import dev.vmem.ArenaExhaustedException;
import dev.vmem.Constraints;
import dev.vmem.Source;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * A {@link Source} a test controls and inspects: it answers imports from a real source or from a
 * script, can be told to fail imports or releases, and records every call.
 *
 * <p>Why one class: the tests of importing need the same three things from a source (what was asked,
 * what was lent, what came back) and differ only in where the space comes from and which call fails.
 * Written out per test, these were eight anonymous sources.
 *
 * <p>Thread-safe, as {@link Source} requires: every method is synchronized.
 */
public final class RecordingSource implements Source {
    private final long quantum;
    private final ToLongFunction<Constraints> answer;
    private final Source releaseTo;
    private final List<Constraints> requests = new ArrayList<>();
    private final List<Range> imports = new ArrayList<>();
    private final List<Range> releases = new ArrayList<>();
    private final List<Range> releaseAttempts = new ArrayList<>();
    private final List<String> calls = new ArrayList<>();
    private boolean refuseImports;
    private Supplier<? extends RuntimeException> releaseFailure;
    private long shift;
    private long outstanding;

    private RecordingSource(long quantum, ToLongFunction<Constraints> answer, Source releaseTo) {
        this.quantum = quantum;
        this.answer = answer;
        this.releaseTo = releaseTo;
    }

    /** A source that forwards imports and releases to {@code real} (usually {@code arena.asSource()}). */
    public static RecordingSource over(Source real) {
        return new RecordingSource(real.quantum(), real::importSpan, real);
    }

    /**
     * A source of {@code quantum} that answers each import with {@code answer} (which may throw, or
     * return a base no real source would) and keeps what is released: for sources that misbehave.
     */
    public static RecordingSource scripted(long quantum, ToLongFunction<Constraints> answer) {
        return new RecordingSource(quantum, answer, null);
    }

    /** From now on, imports throw {@link ArenaExhaustedException} (or, with false, work again). */
    public synchronized RecordingSource refuseImports(boolean refuse) {
        this.refuseImports = refuse;
        return this;
    }

    /**
     * From now on, releases throw what {@code failure} makes (a new exception each time, so that one
     * can be attached to another) and take nothing back; {@code null} makes them work again.
     */
    public synchronized RecordingSource failReleasesWith(Supplier<? extends RuntimeException> failure) {
        this.releaseFailure = failure;
        return this;
    }

    /** Adds {@code offset} to every base handed out: a source that lends a range it was not asked for. */
    public synchronized RecordingSource shiftImportsBy(long offset) {
        this.shift = offset;
        return this;
    }

    @Override
    public synchronized long importSpan(Constraints request) {
        requests.add(request);
        calls.add("import " + request);
        if (refuseImports) {
            throw new ArenaExhaustedException("refused by test");
        }
        long base = answer.applyAsLong(request) + shift;
        imports.add(new Range(base, request.size()));
        outstanding += request.size();
        return base;
    }

    @Override
    public synchronized void releaseSpan(long base, long size) {
        calls.add("release " + base + "+" + size);
        releaseAttempts.add(new Range(base, size));
        if (releaseFailure != null) {
            throw releaseFailure.get();
        }
        if (releaseTo != null) {
            releaseTo.releaseSpan(base, size); // an arena checks the size against what it lent
        }
        releases.add(new Range(base, size));
        outstanding -= size;
    }

    @Override
    public long quantum() {
        return quantum;
    }

    /** Every import request, in order, refused ones included. */
    public synchronized List<Constraints> requests() {
        return List.copyOf(requests);
    }

    /** The ranges handed out, in order. */
    public synchronized List<Range> imports() {
        return List.copyOf(imports);
    }

    /** The ranges taken back, in order; a release that failed is not among them. */
    public synchronized List<Range> releases() {
        return List.copyOf(releases);
    }

    /** Every call to {@link #releaseSpan}, in order, failed ones included. */
    public synchronized List<Range> releaseAttempts() {
        return List.copyOf(releaseAttempts);
    }

    /** Every call, imports and releases interleaved as they came: {@code "import <request>"}, {@code "release b+s"}. */
    public synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    /** Values handed out and not yet taken back. */
    public synchronized long outstanding() {
        return outstanding;
    }

    @Override
    public String toString() {
        return "recording source of quantum " + quantum;
    }
}

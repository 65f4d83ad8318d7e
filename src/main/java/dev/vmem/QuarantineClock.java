package dev.vmem;

import java.time.Instant;
import java.time.InstantSource;

/**
 * The default clock of quarantine due times: the wall clock read once, then moved on by
 * {@link System#nanoTime()}, so that it never goes back (a wall clock stepped back by NTP would hold
 * blocks longer, one stepped forward would release them early) and still reads close to the wall clock,
 * which a persistent store needs to carry due times across a restart.
 */
final class QuarantineClock implements InstantSource {
    static final QuarantineClock SYSTEM = new QuarantineClock();

    private final long wallAtStart = System.currentTimeMillis();
    private final long nanoAtStart = System.nanoTime();

    private QuarantineClock() {
    }

    @Override
    public long millis() {
        return wallAtStart + (System.nanoTime() - nanoAtStart) / 1_000_000;
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis());
    }
}

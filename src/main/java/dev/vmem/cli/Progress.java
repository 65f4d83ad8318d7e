package dev.vmem.cli;

import java.io.PrintStream;

/**
 * A progress bar on stderr for long work, drawn only when a person is watching (an interactive
 * terminal); when output is piped it prints nothing at all.
 */
final class Progress implements AutoCloseable {
    private static final int MIN_STEPS = 1000;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final String label;
    private long total;
    private final PrintStream err;
    private long done;
    private long lastDraw;
    private boolean drawn;

    private Progress(String label, long total, PrintStream err) {
        this.label = label;
        this.total = total;
        this.err = err;
    }

    /** A bar for {@code total} steps; inert unless the console is interactive and the work is long. */
    static Progress start(String label, long total) {
        boolean interactive = System.console() != null && !"dumb".equals(System.getenv("TERM"));
        return new Progress(label, total, interactive && total >= MIN_STEPS ? System.err : null);
    }

    /** Moves the bar to {@code done} of {@code total} (which replaces the total given at the start). */
    void at(long doneNow, long totalNow) {
        done = doneNow - 1;
        if (err != null) {
            lastDraw = 0;
        }
        step(totalNow);
    }

    void step() {
        step(total);
    }

    private void step(long newTotal) {
        total = newTotal;
        done++;
        if (err != null) {
            long now = System.nanoTime();
            if (now - lastDraw >= REDRAW_NANOS || done == total) {
                lastDraw = now;
                int width = 30;
                int filled = (int) (width * done / Math.max(1, total));
                err.print("\r" + label + " [" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + done + "/"
                        + total);
                err.flush();
                drawn = true;
            }
        }
    }

    /**
     * Wipes the bar before the command prints a line of output to the same terminal; the next
     * {@link #step()} draws it again below that line.
     */
    void clear() {
        if (err != null && drawn) {
            err.print("\r" + " ".repeat(label.length() + 50) + "\r");
            err.flush();
            drawn = false;
            lastDraw = 0;
        }
    }

    @Override
    public void close() {
        if (err != null) {
            err.print("\r" + " ".repeat(label.length() + 50) + "\r");
            err.flush();
        }
    }
}

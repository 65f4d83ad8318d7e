package dev.vmem.cli;

import dev.vmem.ArenaExhaustedException;
import dev.vmem.InvalidFreeException;
import dev.vmem.store.NotAStoreException;
import dev.vmem.store.ReadOnlyStoreException;
import dev.vmem.store.StoreCorruptedException;
import dev.vmem.store.StoreLockedException;

/** The command's exit codes: scripts depend on them. */
enum ExitCode {
    OK(0),
    /** The check found problems, or another failure. */
    FAILURE(1),
    /**
     * Usage, bad number, unknown or duplicate arena, invalid or over-constrained layout, overlapping span, a change
     * asked of a store opened read-only.
     */
    BAD_INPUT(2),
    EXHAUSTED(3),
    INVALID_FREE(4),
    LOCKED(5),
    CORRUPTED(6);

    final int code;

    ExitCode(int code) {
        this.code = code;
    }

    /** The exit code for a failure. */
    static ExitCode of(Throwable e) {
        if (e instanceof IllegalArgumentException || e instanceof NotAStoreException
                || e instanceof ReadOnlyStoreException) {
            return BAD_INPUT;
        }
        if (e instanceof ArenaExhaustedException) {
            return EXHAUSTED;
        }
        if (e instanceof InvalidFreeException) {
            return INVALID_FREE;
        }
        if (e instanceof StoreLockedException) {
            return LOCKED;
        }
        if (e instanceof StoreCorruptedException) {
            return CORRUPTED;
        }
        return FAILURE;
    }
}

package dev.vmem.store;

/**
 * A store opened with {@link VmemStore#openReadOnly} was asked to change (an arena operation, a batch, creating or
 * dropping an arena, a checkpoint), or to open in a state only a read-write open can finish. Nothing changed, in
 * memory or on disk. An {@link UnsupportedOperationException}, as the JDK's read-only views throw
 * ({@link java.nio.ReadOnlyBufferException}, {@link java.nio.file.ReadOnlyFileSystemException}).
 */
public final class ReadOnlyStoreException extends UnsupportedOperationException {
    private static final long serialVersionUID = 1L;

    ReadOnlyStoreException(String message) {
        super(message);
    }
}

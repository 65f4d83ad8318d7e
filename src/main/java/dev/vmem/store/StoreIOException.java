package dev.vmem.store;

/**
 * Reading or writing the store's files failed. When a journal <em>write</em> fails, the operation did
 * not happen: it is taken back in memory and is not in the journal (if the journal cannot even be cut
 * back to its last whole record, the store also stops accepting work). When the journal's
 * <em>fsync</em> fails, the outcome is unknown instead: that is the subclass
 * {@link StoreSyncFailedException}. A store that has stopped refuses every later mutation with this
 * exception (nothing happens); reopen it.
 */
public sealed class StoreIOException extends StoreException permits StoreSyncFailedException, StoreDiskFullException {
    private static final long serialVersionUID = 1L;

    public StoreIOException(String message, Throwable cause) {
        super(message, cause);
    }
}

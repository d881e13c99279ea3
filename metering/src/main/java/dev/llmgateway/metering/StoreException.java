package dev.llmgateway.metering;

/** A database operation failed; the message says which one, never with secrets. */
public final class StoreException extends RuntimeException {
    public StoreException(String what, Throwable cause) {
        super(what + " failed: " + cause.getMessage(), cause);
    }
}

package dev.understudy.common.store;

import java.io.IOException;

/** The store on disk cannot be recovered without an operator's decision; the message says what to do. */
public class StoreCorruptException extends IOException {

    public StoreCorruptException(String message) {
        super(message);
    }

    public StoreCorruptException(String message, Throwable cause) {
        super(message, cause);
    }
}

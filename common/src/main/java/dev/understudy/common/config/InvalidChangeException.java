package dev.understudy.common.config;

/**
 * A change set was rejected whole. The message names the op and the field:
 * {@code ops[1].value.listenPort: 70000 (expected: 1..65535)}.
 */
public class InvalidChangeException extends Exception {

    public InvalidChangeException(String message) {
        super(message);
    }
}

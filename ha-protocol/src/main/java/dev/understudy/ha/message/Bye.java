package dev.understudy.ha.message;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The sender closes the connection; {@code code} is machine-readable (e.g. AUTH_FAILED,
 * HOST_NOT_PERMITTED, VERSION_MISMATCH, NOT_PAIRED, SHUTDOWN, REPLACED), {@code reason} is for people.
 */
public record Bye(
        @JsonProperty("epoch") long epoch,
        @JsonProperty("code") String code,
        @JsonProperty("reason") String reason) implements HaMessage {

    @Override
    public MessageType type() {
        return MessageType.BYE;
    }
}

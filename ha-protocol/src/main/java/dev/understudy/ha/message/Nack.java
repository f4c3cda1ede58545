package dev.understudy.ha.message;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The shadow could not apply a push; with {@code needFull} it asks for a full transfer. */
public record Nack(
        @JsonProperty("epoch") long epoch,
        @JsonProperty("reason") String reason,
        @JsonProperty("needFull") boolean needFull,
        @JsonProperty("revision") long revision,
        @JsonProperty("hash") String hash) implements HaMessage {

    @Override
    public MessageType type() {
        return MessageType.NACK;
    }
}

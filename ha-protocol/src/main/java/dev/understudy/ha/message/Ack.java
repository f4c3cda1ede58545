package dev.understudy.ha.message;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The shadow has (revision, hash) durably. */
public record Ack(
        @JsonProperty("epoch") long epoch,
        @JsonProperty("revision") long revision,
        @JsonProperty("hash") String hash) implements HaMessage {

    @Override
    public MessageType type() {
        return MessageType.ACK;
    }
}

package dev.understudy.ha.message;

import com.fasterxml.jackson.annotation.JsonProperty;

/** A node active in a higher epoch tells a stale active node to stop serving and become its shadow. */
public record Demote(
        @JsonProperty("epoch") long epoch,
        @JsonProperty("reason") String reason) implements HaMessage {

    @Override
    public MessageType type() {
        return MessageType.DEMOTE;
    }
}

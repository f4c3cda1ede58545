package dev.understudy.ha.message;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Sent both ways every heartbeatInterval: the sender's epoch, head revision and hash, and its state. */
public record Heartbeat(
        @JsonProperty("epoch") long epoch,
        @JsonProperty("revision") long revision,
        @JsonProperty("hash") String hash,
        @JsonProperty("seq") long seq,
        @JsonProperty("role") String role,
        @JsonProperty("state") String state) implements HaMessage {

    @Override
    public MessageType type() {
        return MessageType.HEARTBEAT;
    }
}

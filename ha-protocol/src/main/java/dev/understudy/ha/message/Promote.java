package dev.understudy.ha.message;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Planned switch: the master has stopped writes, the shadow has acked (revision, hash), and the
 * master hands over. {@code epoch} is the new epoch the shadow must serve in.
 */
public record Promote(
        @JsonProperty("epoch") long epoch,
        @JsonProperty("revision") long revision,
        @JsonProperty("hash") String hash) implements HaMessage {

    @Override
    public MessageType type() {
        return MessageType.PROMOTE;
    }
}

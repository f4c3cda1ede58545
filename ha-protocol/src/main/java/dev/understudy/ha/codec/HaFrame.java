package dev.understudy.ha.codec;

import dev.understudy.ha.message.MessageType;
import java.util.Objects;

/**
 * One frame as cut by {@link HaFrameDecoder}: its protocol version, message type and the JSON
 * payload bytes, not yet interpreted.
 */
public record HaFrame(ProtocolVersion version, MessageType type, byte[] payload) {

    public HaFrame {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(payload, "payload");
    }

    @Override
    public String toString() {
        return "HaFrame[version=" + version + ", type=" + type + ", length=" + payload.length + "]";
    }
}

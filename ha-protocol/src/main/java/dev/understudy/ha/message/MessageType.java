package dev.understudy.ha.message;

/** Message types with their wire byte. An unknown byte is a protocol error. */
public enum MessageType {
    HELLO(1), HEARTBEAT(2), FULL_SYNC(3), DELTA(4), ACK(5), NACK(6), PROMOTE(7), DEMOTE(8), BYE(9);

    private final byte value;

    MessageType(int value) {
        this.value = (byte) value;
    }

    public byte value() {
        return value;
    }

    /** The type whose wire byte is {@code b}. */
    public static MessageType of(byte b) {
        for (MessageType t : values()) {
            if (t.value == b) {
                return t;
            }
        }
        throw new IllegalArgumentException("message type: " + (b & 0xFF) + " (expected: 1.." + values().length + ")");
    }
}

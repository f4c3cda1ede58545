package dev.understudy.ha.codec;

/** Versions of the HA wire format, each with the byte it is sent as (third byte of every frame). */
public enum ProtocolVersion {
    /** The first wire format: JSON payloads, 4-byte big-endian length. */
    V1(1);

    /** The version this build speaks. */
    public static final ProtocolVersion CURRENT = V1;

    private final byte value;

    ProtocolVersion(int value) {
        this.value = (byte) value;
    }

    public byte value() {
        return value;
    }

    /** The version sent as {@code b}; an unknown byte throws {@link HaProtocolException}. */
    public static ProtocolVersion of(byte b) {
        for (ProtocolVersion v : values()) {
            if (v.value == b) {
                return v;
            }
        }
        throw new HaProtocolException("protocol version: " + (b & 0xFF) + " (expected: " + (CURRENT.value & 0xFF)
                + "); the peer runs an incompatible Understudy release, upgrade the older node");
    }
}

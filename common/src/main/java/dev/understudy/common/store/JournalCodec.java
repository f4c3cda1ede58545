package dev.understudy.common.store;

import dev.understudy.common.json.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * One journal record on disk.
 * <pre>
 * +-----------------+-----------------+---------------------------------------------+
 * | length (u32 BE) | crc32c (u32 BE) | payload: JSON {"revision","hash","ops"}     |
 * +-----------------+-----------------+---------------------------------------------+
 * </pre>
 * The CRC covers the payload. A record whose length is zero, runs past the end of the file or
 * whose CRC does not match is a torn write.
 */
final class JournalCodec {

    static final int HEADER = 8;
    static final int MAX_PAYLOAD = 64 << 20;

    private JournalCodec() {}

    static byte[] encode(Revision r) {
        byte[] payload = Json.toBytes(r);
        CRC32C crc = new CRC32C();
        crc.update(payload);
        ByteBuffer buf = ByteBuffer.allocate(HEADER + payload.length);
        buf.putInt(payload.length).putInt((int) crc.getValue()).put(payload);
        return buf.array();
    }

    /**
     * Decodes the record at the buffer's position and advances past it; returns null (position
     * unchanged) when the bytes there are not a whole, intact record.
     *
     * @throws StoreCorruptException when the record is intact (its CRC matches) but cannot be read:
     *     that is not a torn write, and truncating would throw committed revisions away
     */
    static Revision decode(ByteBuffer buf) throws StoreCorruptException {
        int start = buf.position();
        if (buf.remaining() < HEADER) {
            return null;
        }
        int len = buf.getInt();
        int expectedCrc = buf.getInt();
        if (len <= 0 || len > MAX_PAYLOAD || buf.remaining() < len) {
            buf.position(start);
            return null;
        }
        byte[] payload = new byte[len];
        buf.get(payload);
        CRC32C crc = new CRC32C();
        crc.update(payload);
        if ((int) crc.getValue() != expectedCrc) {
            buf.position(start);
            return null;
        }
        try {
            return Json.read(payload, Revision.class);
        } catch (IOException | RuntimeException e) {
            buf.position(start);
            throw new StoreCorruptException("record at byte " + start + " has a valid checksum but cannot be read ("
                    + e.getMessage() + "); it was written by different software. Run the version that wrote it,"
                    + " or move config/ away and restore from the peer.", e);
        }
    }
}

package dev.understudy.ha.codec;

import dev.understudy.ha.message.MessageType;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Cuts the HA byte stream into {@link HaFrame}s (layout drawn in {@link HaMessageCodec}).
 *
 * <p>Each header byte is checked as soon as it arrives: a wrong magic, an unknown protocol version
 * or message type, or a length above the maximum frame size fails at once, before any body is
 * buffered, so a stranger or a confused peer cannot make the decoder wait for or allocate a body.
 * After the first failure the decoder discards everything else the peer sends; the
 * {@link HaProtocolErrorHandler} further up closes the connection. One instance per channel.
 */
public final class HaFrameDecoder extends ByteToMessageDecoder {

    /** Largest payload accepted or sent: 16 MiB. Full syncs are chunked well below it. */
    public static final int DEFAULT_MAX_FRAME = 16 * 1024 * 1024;

    static final byte MAGIC_0 = 'U';
    static final byte MAGIC_1 = 'S';
    /** magic(2) + version(1) + type(1) + length(4). */
    static final int HEADER_LENGTH = 8;

    /** Largest payload accepted from a peer that has not authenticated yet: a pairing HELLO is far smaller. */
    public static final int UNAUTHENTICATED_MAX_FRAME = 64 * 1024;

    private int maxFrame;
    private boolean failed;

    public HaFrameDecoder() {
        this(DEFAULT_MAX_FRAME);
    }

    /** A decoder accepting payloads of at most {@code maxFrame} bytes (smaller values are for tests). */
    public HaFrameDecoder(int maxFrame) {
        if (maxFrame < 0) {
            throw new IllegalArgumentException("maxFrame: " + maxFrame + " (expected: >= 0)");
        }
        this.maxFrame = maxFrame;
    }

    public int maxFrame() {
        return maxFrame;
    }

    /** Changes the limit for the frames still to come (on the channel's event loop), e.g. once the peer authenticated. */
    public void maxFrame(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("maxFrame: " + limit + " (expected: >= 0)");
        }
        this.maxFrame = limit;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        try {
            HaFrame frame = tryDecode(in);
            if (frame != null) {
                out.add(frame);
            }
        } catch (HaProtocolException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }

    private HaFrame tryDecode(ByteBuf in) {
        int start = in.readerIndex();
        int available = in.readableBytes();
        if (available >= 1 && in.getByte(start) != MAGIC_0
                || available >= 2 && in.getByte(start + 1) != MAGIC_1) {
            throw new HaProtocolException("bad magic: 0x" + hex(in, start, Math.min(2, available))
                    + " (expected: 0x5553 \"US\"); the sender is not an Understudy HA peer");
        }
        if (available < 3) {
            return null;
        }
        ProtocolVersion version = ProtocolVersion.of(in.getByte(start + 2));
        if (available < 4) {
            return null;
        }
        MessageType type;
        try {
            type = MessageType.of(in.getByte(start + 3));
        } catch (IllegalArgumentException e) {
            throw new HaProtocolException(e.getMessage() + "; the peer runs an incompatible Understudy release");
        }
        if (available < HEADER_LENGTH) {
            return null;
        }
        long length = in.getUnsignedInt(start + 4);
        if (length > maxFrame) {
            throw new HaProtocolException("frame length: " + length + " (expected: <= " + maxFrame + ")");
        }
        if (available < HEADER_LENGTH + length) {
            return null;
        }
        byte[] payload = new byte[(int) length];
        in.getBytes(start + HEADER_LENGTH, payload);
        in.skipBytes(HEADER_LENGTH + (int) length);
        return new HaFrame(version, type, payload);
    }

    private static String hex(ByteBuf in, int start, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(String.format("%02X", in.getByte(start + i)));
        }
        return sb.toString();
    }
}

package dev.understudy.ha.codec;

import io.netty.channel.ChannelPipeline;
import io.netty.util.AttributeKey;

/**
 * Names and order of the HA channel's pipeline stages. The order is fixed:
 *
 * <pre>
 *  inbound  |  {@value #SSL}         SslHandler (TLS 1.3, pinned peer; see dev.understudy.ha.tls)
 *     |     |  {@value #IDLE}        idle/heartbeat detection (added by master/shadow code)
 *     |     |  {@value #FRAMING}     {@link HaFrameDecoder}: bytes -> {@link HaFrame}
 *     |     |  {@value #CODEC}       frame -> HaMessage record
 *     |     |  {@value #ENCODER}     HaMessage -> frame bytes (outbound, shared singleton)
 *     |     |  {@value #PROTOCOL_ERRORS}  logs and closes on a {@link HaProtocolException}
 *     v     |  {@value #HANDLER}     the application handler: receives only valid HaMessages
 * </pre>
 *
 * Callers add {@code ssl} and {@code idle}, then {@link #addCodec}, then their handler under
 * {@link #HANDLER}. Decoders and handlers are new per channel; the encoder and the error handler
 * are stateless and shared.
 */
public final class HaPipeline {

    public static final String SSL = "ssl";
    public static final String IDLE = "idle";
    public static final String FRAMING = "framing";
    public static final String CODEC = "codec";
    public static final String ENCODER = "encoder";
    public static final String PROTOCOL_ERRORS = "protocol-errors";
    public static final String HANDLER = "handler";

    /** Set on a channel closed for a protocol error: the logged reason. */
    public static final AttributeKey<String> PROTOCOL_ERROR = AttributeKey.valueOf(HaPipeline.class, "protocolError");

    private HaPipeline() {}

    /** Appends framing, codec, encoder and error stages with the default 16 MiB maximum frame size. */
    public static ChannelPipeline addCodec(ChannelPipeline p) {
        return addCodec(p, HaFrameDecoder.DEFAULT_MAX_FRAME);
    }

    /**
     * Appends framing, codec, encoder and error stages; call after adding {@code ssl} (and
     * {@code idle}) and before adding the application handler.
     */
    public static ChannelPipeline addCodec(ChannelPipeline p, int maxFrame) {
        if (p.get(HANDLER) != null) {
            throw new IllegalStateException("pipeline: has '" + HANDLER
                    + "' already (expected: codec stages added before the application handler)");
        }
        return p.addLast(FRAMING, new HaFrameDecoder(maxFrame))
                .addLast(CODEC, new HaMessageDecoder())
                .addLast(ENCODER, HaMessageEncoder.INSTANCE)
                .addLast(PROTOCOL_ERRORS, HaProtocolErrorHandler.INSTANCE);
    }
}

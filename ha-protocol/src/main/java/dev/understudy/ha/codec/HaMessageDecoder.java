package dev.understudy.ha.codec;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.util.List;

/** Pipeline stage turning {@link HaFrame}s into message records; one per channel. */
final class HaMessageDecoder extends MessageToMessageDecoder<HaFrame> {

    private boolean failed;

    HaMessageDecoder() {
        super(HaFrame.class);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, HaFrame frame, List<Object> out) {
        if (failed) {
            return; // the connection is closing; later frames are dropped
        }
        try {
            out.add(HaMessageCodec.decode(frame));
        } catch (HaProtocolException e) {
            failed = true;
            throw e;
        }
    }
}

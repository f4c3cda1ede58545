package dev.understudy.ha.codec;

import dev.understudy.ha.message.HaMessage;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/** Pipeline stage writing message records as frames; stateless, one instance for all channels. */
@Sharable
final class HaMessageEncoder extends MessageToByteEncoder<HaMessage> {

    static final HaMessageEncoder INSTANCE = new HaMessageEncoder();

    private HaMessageEncoder() {
        super(HaMessage.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, HaMessage msg, ByteBuf out) {
        HaMessageCodec.encode(msg, out);
    }
}

package dev.understudy.ha.codec;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes the connection on the first {@link HaProtocolException}, logging
 * {@code closing HA connection from <remote>: <reason>} and leaving the reason in
 * {@link HaPipeline#PROTOCOL_ERROR} for the application handler's {@code channelInactive}. Other
 * exceptions go on to the application handler. Stateless, one instance for all channels.
 */
@Sharable
final class HaProtocolErrorHandler extends ChannelInboundHandlerAdapter {

    static final HaProtocolErrorHandler INSTANCE = new HaProtocolErrorHandler();

    private static final Logger LOG = LoggerFactory.getLogger(HaProtocolErrorHandler.class);

    private HaProtocolErrorHandler() {}

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        HaProtocolException protocolError = find(cause);
        if (protocolError == null) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        String reason = protocolError.getMessage();
        if (ctx.channel().attr(HaPipeline.PROTOCOL_ERROR).setIfAbsent(reason) == null) {
            LOG.warn("closing HA connection from {}: {}", ctx.channel().remoteAddress(), reason);
        }
        ctx.close();
    }

    private static HaProtocolException find(Throwable t) {
        for (int depth = 0; t != null && depth < 8; depth++, t = t.getCause()) {
            if (t instanceof HaProtocolException e) {
                return e;
            }
        }
        return null;
    }
}

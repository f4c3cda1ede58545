package dev.understudy.dist.connector;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays what one channel reads to its peer (client to backend, or backend to client).
 *
 * <p>Backpressure: when the channel this handler sits on becomes unwritable (its outbound buffer passed
 * the high water mark because its remote reads slower than the peer sends), reads on the peer stop, and
 * resume when the buffer drains below the low water mark. So at most a high water mark of bytes is held
 * per direction, whatever the speed difference.
 *
 * <p>Half-close: when this channel's input ends (the remote shut down its output), the end is passed on
 * by shutting down the peer's output after what was read is flushed; the connection closes when both
 * directions have ended. When either channel closes, the other is flushed and closed.
 */
final class RelayHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(RelayHandler.class);

    private final Channel peer;
    private final LongConsumer bytesRead;
    private final String mappingId;

    RelayHandler(Channel peer, LongConsumer bytesRead, String mappingId) {
        this.peer = peer;
        this.bytesRead = bytesRead;
        this.mappingId = mappingId;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            bytesRead.accept(buf.readableBytes());
        }
        if (peer.isActive()) {
            peer.write(msg, peer.voidPromise());
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // Both channels share one event loop, so this cannot race with the peer's own toggling.
        peer.config().setAutoRead(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            Channel self = ctx.channel();
            if (!(peer instanceof SocketChannel p) || !p.isActive()) {
                self.close();
                return;
            }
            p.writeAndFlush(Unpooled.EMPTY_BUFFER)
                    .addListener(f -> p.shutdownOutput().addListener(s -> {
                        if (!s.isSuccess() || p.isInputShutdown()) {
                            // Both directions are done: the remote of the peer had already sent its end.
                            p.close();
                            self.close();
                        }
                    }));
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closeOnFlush(peer);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets and broken pipes are ordinary for a TCP relay; the connection just ends.
        log.debug("mapping {}: connection {} failed: {}", mappingId, ctx.channel(), cause.toString());
        ctx.close();
    }

    static void closeOnFlush(Channel ch) {
        if (ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            ch.close();
        }
    }
}

package dev.understudy.dist.testing;

import dev.understudy.common.clock.Clock;
import dev.understudy.common.testing.TestCertificates;
import dev.understudy.ha.codec.HaPipeline;
import dev.understudy.ha.message.HaMessage;
import dev.understudy.ha.tls.HaTls;
import dev.understudy.ha.tls.PinnedTrustManager;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslHandler;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * An attacker on the HA port: a TLS 1.3 client with a certificate it made itself, trusting any
 * server, that sends the given messages right after the handshake and records everything it gets
 * back until the server closes the connection (or {@code atMost} passes).
 */
public final class RogueHaClient {

    /** What the attacker saw. */
    public record Outcome(boolean tlsCompleted, List<HaMessage> received, boolean closedByServer) {}

    private RogueHaClient() {}

    public static Outcome send(String host, int port, Duration atMost, HaMessage... messages) throws Exception {
        TestCertificates.Identity me = TestCertificates.selfSigned("rogue");
        var trust = PinnedTrustManager.pairing(Clock.system(), r -> {});
        var ctx = HaTls.forClient(me.keys().getPrivate(), me.cert(), trust);
        List<HaMessage> got = new CopyOnWriteArrayList<>();
        boolean[] tls = new boolean[1];
        EventLoopGroup group = new NioEventLoopGroup(1);
        try {
            Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            c.pipeline().addLast(HaPipeline.SSL, ctx.newHandler(c.alloc(), host, port));
                            HaPipeline.addCodec(c.pipeline());
                            c.pipeline().addLast(HaPipeline.HANDLER, new SimpleChannelInboundHandler<HaMessage>() {
                                @Override
                                protected void channelRead0(ChannelHandlerContext x, HaMessage m) {
                                    got.add(m);
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext x, Throwable cause) {
                                    x.close();
                                }
                            });
                        }
                    }).connect(host, port).sync().channel();
            SslHandler ssl = ch.pipeline().get(SslHandler.class);
            if (ssl.handshakeFuture().await(atMost.toMillis(), TimeUnit.MILLISECONDS) && ssl.handshakeFuture().isSuccess()) {
                tls[0] = true;
                for (HaMessage m : messages) {
                    ch.writeAndFlush(m);
                }
            }
            boolean closed = ch.closeFuture().await(atMost.toMillis(), TimeUnit.MILLISECONDS);
            ch.close().await(5, TimeUnit.SECONDS);
            return new Outcome(tls[0], List.copyOf(got), closed);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
    }
}

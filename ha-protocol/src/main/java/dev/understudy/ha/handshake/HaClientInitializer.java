package dev.understudy.ha.handshake;

import dev.understudy.common.home.HostPort;
import dev.understudy.ha.codec.HaPipeline;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.time.Duration;
import java.util.Objects;

/**
 * The pipeline of every HA connection this node opens, the shadow's to its master and a peer check alike:
 * {@code ssl} (TLS 1.3 with the pinned or pairing trust in {@code tls}), framing and codec, the
 * {@link HaClientHandshake} (fingerprint, HELLO, version policy), then the application handler, which sees
 * messages only once the exchange succeeded.
 */
public final class HaClientInitializer extends ChannelInitializer<Channel> {

    private final HostPort to;
    private final SslContext tls;
    private final Duration connectTimeout;
    private final HaClientHandshake handshake;
    private final ChannelHandler handler;

    /** {@code handshake} and {@code handler} are this connection's own (new per channel). */
    public HaClientInitializer(HostPort to, SslContext tls, Duration connectTimeout, HaClientHandshake handshake,
                               ChannelHandler handler) {
        this.to = Objects.requireNonNull(to, "to");
        this.tls = Objects.requireNonNull(tls, "tls");
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
        this.handshake = Objects.requireNonNull(handshake, "handshake");
        this.handler = Objects.requireNonNull(handler, "handler");
    }

    @Override
    protected void initChannel(Channel ch) {
        SslHandler ssl = tls.newHandler(ch.alloc(), to.host(), to.port());
        ssl.setHandshakeTimeoutMillis(HaConnections.handshakeTimeoutMillis(connectTimeout));
        // pipeline order: ssl, framing, codec, hello exchange, handler
        ch.pipeline().addLast(HaPipeline.SSL, ssl);
        HaPipeline.addCodec(ch.pipeline());
        ch.pipeline().addLast(HaClientHandshake.NAME, handshake);
        ch.pipeline().addLast(HaPipeline.HANDLER, handler);
    }
}

package dev.understudy.ha.handshake;

import dev.understudy.ha.codec.HaFrameDecoder;
import dev.understudy.ha.codec.HaPipeline;
import dev.understudy.ha.tls.HaTls;
import dev.understudy.ha.tls.PinnedTrustManager;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * The pipeline of every HA connection this node accepts: the {@link Admission} hook decides before TLS whether the
 * connection may proceed and with which trust, then {@code ssl} (TLS 1.3, client certificate required), idle
 * detection, framing and codec, the application handler. A peer that is not authenticated by the handshake itself
 * (pairing trust) may send only small frames until the application calls {@link #authenticated}.
 */
public final class HaServerInitializer extends ChannelInitializer<SocketChannel> {

    /** Decides on a new TCP connection before anything is read from it. */
    @FunctionalInterface
    public interface Admission {
        /** How to authenticate {@code ch}, or null to close it unread (the hook logs why). */
        Admitted admit(SocketChannel ch);
    }

    /**
     * An admitted connection.
     *
     * @param trust   checks the peer's certificate in the handshake
     * @param pinned  whether {@code trust} accepts only the pinned peer, so a completed handshake authenticates
     * @param handler the application handler (new per channel)
     */
    public record Admitted(PinnedTrustManager trust, boolean pinned, ChannelHandler handler) {
        public Admitted {
            Objects.requireNonNull(trust, "trust");
            Objects.requireNonNull(handler, "handler");
        }
    }

    private final PrivateKey key;
    private final X509Certificate cert;
    private final Duration handshakeTimeout;
    private final Duration idleTimeout;
    private final Admission admission;

    public HaServerInitializer(PrivateKey key, X509Certificate cert, Duration handshakeTimeout, Duration idleTimeout,
                               Admission admission) {
        this.key = Objects.requireNonNull(key, "key");
        this.cert = Objects.requireNonNull(cert, "cert");
        this.handshakeTimeout = Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        this.idleTimeout = Objects.requireNonNull(idleTimeout, "idleTimeout");
        this.admission = Objects.requireNonNull(admission, "admission");
    }

    @Override
    protected void initChannel(SocketChannel ch) throws SSLException {
        Admitted a = admission.admit(ch);
        if (a == null) {
            // closed before TLS: a host that may not connect learns nothing and sends nothing
            ch.close();
            return;
        }
        SslHandler ssl = HaTls.forServer(key, cert, a.trust()).newHandler(ch.alloc());
        ssl.setHandshakeTimeoutMillis(handshakeTimeout.toMillis());
        // pipeline order: ssl, idle, framing, codec, handler
        ch.pipeline().addLast(HaPipeline.SSL, ssl);
        ch.pipeline().addLast(HaPipeline.IDLE, new IdleStateHandler(idleTimeout.toNanos(), 0, 0, TimeUnit.NANOSECONDS));
        // a stranger (no pinned certificate yet) may send only small frames until it authenticated
        HaPipeline.addCodec(ch.pipeline(), a.pinned() ? HaFrameDecoder.DEFAULT_MAX_FRAME
                : HaFrameDecoder.UNAUTHENTICATED_MAX_FRAME);
        ch.pipeline().addLast(HaPipeline.HANDLER, a.handler());
    }

    /** The peer on {@code pipeline} authenticated: it may send frames up to the full size from now on. */
    public static void authenticated(ChannelPipeline pipeline) {
        ((HaFrameDecoder) pipeline.get(HaPipeline.FRAMING)).maxFrame(HaFrameDecoder.DEFAULT_MAX_FRAME);
    }
}

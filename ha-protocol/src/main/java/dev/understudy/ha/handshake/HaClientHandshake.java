package dev.understudy.ha.handshake;

import dev.understudy.common.cert.Certificates;
import dev.understudy.ha.failover.FailoverEvent.Failure;
import dev.understudy.ha.message.Bye;
import dev.understudy.ha.message.HaMessage;
import dev.understudy.ha.message.Hello;
import dev.understudy.ha.tls.HaTls;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The client's side of the HELLO exchange, the same for the shadow and for the peer check: once TLS is up, the
 * expected fingerprint (if any) is checked before anything is sent, this node's HELLO goes out, and the peer's
 * HELLO must come back within the timeout with versions {@link VersionPolicy} accepts. Then the
 * {@link Listener} learns the peer and this handler leaves the pipeline, so the application handler behind it
 * sees only what follows the exchange. Every failure before that reaches the listener exactly once, with the
 * reason, and closes the connection.
 *
 * <p>A pipeline without an {@link SslHandler} (an {@code EmbeddedChannel} in tests) starts the exchange at once
 * and has no peer certificate.
 */
public final class HaClientHandshake extends SimpleChannelInboundHandler<HaMessage> {

    /** Pipeline name of this stage, between the codec and the application handler. */
    public static final String NAME = "hello";

    /** What becomes of the exchange. */
    public interface Listener {
        /** The peer answered HELLO with compatible versions; {@code peerCert} is null only without TLS. */
        void established(Channel channel, Hello peer, X509Certificate peerCert);

        /** The exchange failed (called once, not after {@link #established}); the connection is being closed. */
        void failed(Failure kind, String why);

        /** The peer answered BYE instead of HELLO (called before {@link #failed}). */
        default void refusedByPeer(Bye bye) {}

        /** The peer's versions are refused (called before {@link #failed}). */
        default void versionRefused(String why) {}
    }

    private final String peerName;
    private final Supplier<Hello> hello;
    private final String expectedFingerprint;
    private final Duration helloTimeout;
    private final Listener listener;
    private ScheduledFuture<?> timeout;
    private boolean done;

    /**
     * @param peerName            how messages name the peer, e.g. "master 10.0.0.1:7400"
     * @param hello               this node's HELLO, built when TLS is up
     * @param expectedFingerprint the peer certificate's fingerprint the operator expects, or null
     */
    public HaClientHandshake(String peerName, Supplier<Hello> hello, String expectedFingerprint, Duration helloTimeout,
                             Listener listener) {
        this.peerName = Objects.requireNonNull(peerName, "peerName");
        this.hello = Objects.requireNonNull(hello, "hello");
        this.expectedFingerprint = expectedFingerprint;
        this.helloTimeout = Objects.requireNonNull(helloTimeout, "helloTimeout");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        if (ssl == null) {
            sendHello(ctx, null);
        } else {
            ssl.handshakeFuture().addListener(hs -> {
                if (!hs.isSuccess()) {
                    fail(ctx, HaConnections.classify(hs.cause()),
                            "TLS handshake with " + peerName + " failed: " + hs.cause().getMessage());
                } else {
                    sendHello(ctx, HaTls.peerCertificate(ctx.channel()).orElse(null));
                }
            });
        }
        ctx.fireChannelActive();
    }

    private void sendHello(ChannelHandlerContext ctx, X509Certificate presented) {
        if (done) {
            return;
        }
        if (expectedFingerprint != null
                && (presented == null || !Certificates.fingerprintMatches(expectedFingerprint, presented))) {
            // checked before any credential is sent: a wrong peer never sees the password
            fail(ctx, Failure.ERROR, peerName + " certificate fingerprint "
                    + (presented == null ? "none" : Certificates.fingerprint(presented))
                    + " does not match --master-fingerprint " + expectedFingerprint
                    + " (check you are attaching to the right master; no password was sent)");
            return;
        }
        ctx.writeAndFlush(hello.get());
        long wait = helloTimeout.toMillis();
        timeout = ctx.executor().schedule(() -> fail(ctx, Failure.TIMEOUT,
                peerName + " did not answer HELLO within " + wait + " ms"), wait, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HaMessage msg) {
        if (done) {
            return;
        }
        if (msg instanceof Bye bye) {
            listener.refusedByPeer(bye);
            fail(ctx, Failure.ERROR, peerName + " closed the HA connection: " + bye.reason() + " (" + bye.code() + ")");
            return;
        }
        if (!(msg instanceof Hello h)) {
            fail(ctx, Failure.ERROR, peerName + " sent " + msg.type() + " before HELLO (expected: HELLO or BYE)");
            return;
        }
        VersionPolicy.Decision versions = VersionPolicy.check(h.softwareVersion(), h.protocolVersion());
        if (!versions.accepted()) {
            listener.versionRefused(versions.reason());
            fail(ctx, Failure.ERROR, versions.reason());
            return;
        }
        done = true;
        cancelTimeout();
        X509Certificate cert = ctx.pipeline().get(SslHandler.class) == null ? null
                : HaTls.peerCertificate(ctx.channel()).orElse(null);
        ctx.pipeline().remove(this);
        listener.established(ctx.channel(), h, cert);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!done) {
            done = true;
            cancelTimeout();
            listener.failed(Failure.ERROR, "HA connection to " + peerName + " closed before HELLO");
        }
        ctx.fireChannelInactive();
    }

    private void fail(ChannelHandlerContext ctx, Failure kind, String why) {
        if (done) {
            return;
        }
        done = true;
        cancelTimeout();
        listener.failed(kind, why);
        ctx.close();
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }
}

package dev.understudy.ha.tls;

import io.netty.channel.Channel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Netty TLS contexts for the HA channel: TLS 1.3 only, the JDK provider, both sides present their
 * node certificate (EC P-256), and trust comes from a {@link PinnedTrustManager}, never from CAs.
 * The master is the TLS server and requires a client certificate; the shadow is the client. No host
 * name check: the pinned certificate identifies the peer, whatever address it is reached at.
 *
 * <p>In TLS 1.3 the client's handshake completes before the server has checked the client's
 * certificate. A shadow whose certificate the master refuses therefore sees a successful handshake
 * followed by the connection closing before any reply to its HELLO; the reason is only on the
 * master's side (its trust manager's rejection listener). Handshake failures reach the
 * application handler's {@code exceptionCaught} and the {@link SslHandler#handshakeFuture()}.
 */
public final class HaTls {

    /** The only protocol offered or accepted. */
    public static final String PROTOCOL = "TLSv1.3";

    private HaTls() {}

    /** The master's context: presents {@code cert}, requires the shadow's certificate and checks it with {@code trust}. */
    public static SslContext forServer(PrivateKey key, X509Certificate cert, PinnedTrustManager trust) throws SSLException {
        checkKey(key);
        return SslContextBuilder.forServer(key, cert)
                .sslProvider(SslProvider.JDK)
                .protocols(PROTOCOL)
                .clientAuth(ClientAuth.REQUIRE)
                .trustManager(Objects.requireNonNull(trust, "trust"))
                .build();
    }

    /** The shadow's context: presents {@code cert} and checks the master's certificate with {@code trust}. */
    public static SslContext forClient(PrivateKey key, X509Certificate cert, PinnedTrustManager trust) throws SSLException {
        checkKey(key);
        return SslContextBuilder.forClient()
                .sslProvider(SslProvider.JDK)
                .protocols(PROTOCOL)
                .keyManager(key, cert)
                .trustManager(Objects.requireNonNull(trust, "trust"))
                .endpointIdentificationAlgorithm(null)
                .build();
    }

    /**
     * The certificate the peer presented in the completed handshake on {@code channel} (whose
     * pipeline has an {@link SslHandler}); empty before the handshake has completed.
     */
    public static Optional<X509Certificate> peerCertificate(Channel channel) {
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        if (ssl == null) {
            throw new IllegalStateException("channel " + channel + ": no SslHandler in the pipeline (expected: TLS)");
        }
        if (!ssl.handshakeFuture().isSuccess()) {
            return Optional.empty();
        }
        try {
            Certificate[] certs = ssl.engine().getSession().getPeerCertificates();
            return certs.length > 0 && certs[0] instanceof X509Certificate x ? Optional.of(x) : Optional.empty();
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }

    private static void checkKey(PrivateKey key) {
        Objects.requireNonNull(key, "key");
        if (!"EC".equals(key.getAlgorithm())) {
            throw new IllegalArgumentException("key: " + key.getAlgorithm() + " (expected: EC P-256 node key)");
        }
    }
}

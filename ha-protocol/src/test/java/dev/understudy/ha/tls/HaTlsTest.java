package dev.understudy.ha.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.understudy.common.cert.Certificates;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.testing.TestCertificates;
import dev.understudy.common.testing.TestCertificates.Identity;
import dev.understudy.ha.codec.HaPipeline;
import dev.understudy.ha.message.HaMessage;
import dev.understudy.ha.message.Hello;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real TLS over loopback between a master (server) and a shadow (client). */
class HaTlsTest {

    private static final long TIMEOUT_S = 10;

    private static EventLoopGroup group;
    private static Identity master;
    private static Identity shadow;

    private final List<Channel> channels = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        group = new NioEventLoopGroup(2);
        master = TestCertificates.selfSigned("master");
        shadow = TestCertificates.selfSigned("shadow");
    }

    @AfterAll
    static void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @AfterEach
    void closeChannels() {
        for (Channel c : channels) {
            c.close().syncUninterruptibly();
        }
    }

    /** One side of a connection: what it received and how its handshake ended. */
    static final class Side {
        final BlockingQueue<HaMessage> received = new LinkedBlockingQueue<>();
        final CompletableFuture<Channel> channel = new CompletableFuture<>();
        final CompletableFuture<Throwable> handshake = new CompletableFuture<>(); // null on success
        final List<String> rejections = new CopyOnWriteArrayList<>();
    }

    private static Hello hello(String nodeId, String role) {
        return new Hello(nodeId, role, "CONNECTING", 1, 0, "00", "0.1.0", 1, null, null, null);
    }

    private void install(SocketChannel ch, SslHandler ssl, Side side, HaMessage sendAfterHandshake, boolean answer) {
        side.channel.complete(ch);
        ssl.handshakeFuture().addListener(f -> {
            side.handshake.complete(f.isSuccess() ? null : f.cause());
            if (f.isSuccess() && sendAfterHandshake != null) {
                ch.writeAndFlush(sendAfterHandshake);
            }
        });
        ch.pipeline().addLast(HaPipeline.SSL, ssl);
        HaPipeline.addCodec(ch.pipeline());
        ch.pipeline().addLast(HaPipeline.HANDLER, new SimpleChannelInboundHandler<HaMessage>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, HaMessage msg) {
                side.received.add(msg);
                if (answer) {
                    ctx.writeAndFlush(hello("master-1", "master"));
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close(); // handshake failures end here; the handshake future has the cause
            }
        });
    }

    private int startServer(SslContext ctx, Side side) {
        Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        install(ch, ctx.newHandler(ch.alloc()), side, null, true);
                    }
                })
                .bind("127.0.0.1", 0).syncUninterruptibly().channel();
        channels.add(server);
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    private void connect(SslContext ctx, int port, Side side) {
        Channel c = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        install(ch, ctx.newHandler(ch.alloc(), "127.0.0.1", port), side, hello("shadow-1", "shadow"), false);
                    }
                })
                .connect("127.0.0.1", port).syncUninterruptibly().channel();
        channels.add(c);
    }

    private static PinnedTrustManager pin(X509Certificate cert, Side side) {
        return PinnedTrustManager.pinned(cert, Clock.system(), side.rejections::add);
    }

    private static Throwable handshakeFailure(Side side) throws Exception {
        Throwable t = side.handshake.get(TIMEOUT_S, TimeUnit.SECONDS);
        assertThat(t).as("handshake should have failed").isNotNull();
        return t;
    }

    /** The server refused: its handshake failed, its connection closed, and nothing reached its handler. */
    private static void assertServerRefused(Side server, Side client) throws Exception {
        handshakeFailure(server);
        assertThat(server.channel.get(TIMEOUT_S, TimeUnit.SECONDS).closeFuture().await(TIMEOUT_S, TimeUnit.SECONDS))
                .as("the server closed the refused connection within %d s", TIMEOUT_S).isTrue();
        assertThat(client.channel.get(TIMEOUT_S, TimeUnit.SECONDS).closeFuture().await(TIMEOUT_S, TimeUnit.SECONDS))
                .as("the client's connection was closed within %d s", TIMEOUT_S).isTrue();
        assertThat(server.received).isEmpty();
        assertThat(client.received).isEmpty();
    }

    @Test
    void pinnedPeersConnectBothWaysAndExchangeMessages() throws Exception {
        Side server = new Side();
        Side client = new Side();
        PinnedTrustManager serverTrust = pin(shadow.cert(), server);
        int port = startServer(HaTls.forServer(master.keys().getPrivate(), master.cert(), serverTrust), server);
        connect(HaTls.forClient(shadow.keys().getPrivate(), shadow.cert(), pin(master.cert(), client)), port, client);

        assertThat(client.handshake.get(TIMEOUT_S, TimeUnit.SECONDS)).as("client handshake").isNull();
        assertThat(server.handshake.get(TIMEOUT_S, TimeUnit.SECONDS)).as("server handshake").isNull();
        HaMessage atServer = server.received.poll(TIMEOUT_S, TimeUnit.SECONDS);
        HaMessage atClient = client.received.poll(TIMEOUT_S, TimeUnit.SECONDS);
        assertThat(atServer).isEqualTo(hello("shadow-1", "shadow"));
        assertThat(atClient).isEqualTo(hello("master-1", "master"));
        assertThat(server.rejections).isEmpty();
        assertThat(client.rejections).isEmpty();

        Channel serverChannel = server.channel.get(TIMEOUT_S, TimeUnit.SECONDS);
        Channel clientChannel = client.channel.get(TIMEOUT_S, TimeUnit.SECONDS);
        assertThat(HaTls.peerCertificate(serverChannel)).contains(shadow.cert());
        assertThat(HaTls.peerCertificate(clientChannel)).contains(master.cert());
        assertThat(serverChannel.pipeline().get(SslHandler.class).engine().getSession().getProtocol())
                .isEqualTo("TLSv1.3");
        assertThat(serverTrust.presentedCertificate()).contains(shadow.cert());
    }

    @Test
    void rogueSelfSignedClientIsRefusedByTheMaster() throws Exception {
        Identity rogue = TestCertificates.selfSigned("shadow");
        Side server = new Side();
        Side client = new Side();
        int port = startServer(HaTls.forServer(master.keys().getPrivate(), master.cert(), pin(shadow.cert(), server)), server);
        connect(HaTls.forClient(rogue.keys().getPrivate(), rogue.cert(), pin(master.cert(), client)), port, client);

        assertServerRefused(server, client);
        assertThat(server.rejections).containsExactly("peer certificate SHA256 " + Certificates.fingerprint(rogue.cert())
                + " is not the pinned certificate SHA256 " + Certificates.fingerprint(shadow.cert())
                + "; if the peer was rebuilt, run `understudy detach` then `understudy attach` again");
    }

    @Test
    void rogueMasterIsRefusedByTheShadow() throws Exception {
        Identity rogue = TestCertificates.selfSigned("master");
        Side server = new Side();
        Side client = new Side();
        int port = startServer(HaTls.forServer(rogue.keys().getPrivate(), rogue.cert(), pin(shadow.cert(), server)), server);
        connect(HaTls.forClient(shadow.keys().getPrivate(), shadow.cert(), pin(master.cert(), client)), port, client);

        handshakeFailure(client);
        assertServerRefused(server, client);
        assertThat(client.rejections).singleElement().asString()
                .startsWith("peer certificate SHA256 " + Certificates.fingerprint(rogue.cert()) + " is not the pinned");
    }

    @Test
    void certificateSignedByThePinnedCaIsRefused() throws Exception {
        // pinning is not CA trust: even the pinned certificate's own signature does not vouch for others
        Identity ca = TestCertificates.ca("Example CA");
        Identity child = TestCertificates.signedBy(ca, "shadow");
        Side server = new Side();
        Side client = new Side();
        int port = startServer(HaTls.forServer(master.keys().getPrivate(), master.cert(), pin(ca.cert(), server)), server);
        connect(HaTls.forClient(child.keys().getPrivate(), child.cert(), pin(master.cert(), client)), port, client);

        assertServerRefused(server, client);
        assertThat(server.rejections).singleElement().asString()
                .contains(Certificates.fingerprint(child.cert())).contains("is not the pinned certificate");
    }

    @Test
    void caSignedCertificateIsRefusedWhenAnotherIsPinned() throws Exception {
        Identity ca = TestCertificates.ca("Example CA");
        Identity child = TestCertificates.signedBy(ca, "shadow");
        Side server = new Side();
        Side client = new Side();
        int port = startServer(HaTls.forServer(master.keys().getPrivate(), master.cert(), pin(shadow.cert(), server)), server);
        connect(HaTls.forClient(child.keys().getPrivate(), child.cert(), pin(master.cert(), client)), port, client);

        assertServerRefused(server, client);
        assertThat(server.rejections).singleElement().asString().contains("is not the pinned certificate");
    }

    @Test
    void expiredCertificateIsRefusedEvenWhenPinned() throws Exception {
        Identity expired = TestCertificates.expired("shadow");
        Side server = new Side();
        Side client = new Side();
        int port = startServer(HaTls.forServer(master.keys().getPrivate(), master.cert(), pin(expired.cert(), server)), server);
        connect(HaTls.forClient(expired.keys().getPrivate(), expired.cert(), pin(master.cert(), client)), port, client);

        assertServerRefused(server, client);
        assertThat(server.rejections).singleElement().asString()
                .startsWith("pinned peer certificate SHA256 " + Certificates.fingerprint(expired.cert()) + " expired at ")
                .contains("run `understudy detach` then `understudy attach`");
    }

    @Test
    void clientWithoutCertificateIsRefused() throws Exception {
        Side server = new Side();
        Side client = new Side();
        int port = startServer(HaTls.forServer(master.keys().getPrivate(), master.cert(), pin(shadow.cert(), server)), server);
        SslContext noCert = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).protocols("TLSv1.3")
                .trustManager(pin(master.cert(), client)).build();
        connect(noCert, port, client);

        assertServerRefused(server, client);
        assertThat(server.rejections).isEmpty(); // the TLS engine refuses before asking the trust manager
    }

    @Test
    void clientLimitedToTls12IsRefused() throws Exception {
        Side server = new Side();
        Side client = new Side();
        int port = startServer(HaTls.forServer(master.keys().getPrivate(), master.cert(), pin(shadow.cert(), server)), server);
        SslContext tls12 = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).protocols("TLSv1.2")
                .keyManager(shadow.keys().getPrivate(), shadow.cert())
                .trustManager(pin(master.cert(), client)).build();
        connect(tls12, port, client);

        handshakeFailure(client);
        assertServerRefused(server, client);
        assertThat(server.rejections).isEmpty();
    }

    @Test
    void pairingModeAcceptsAnUnknownValidCertificateAndRecordsIt() throws Exception {
        Side server = new Side();
        Side client = new Side();
        PinnedTrustManager serverTrust = PinnedTrustManager.pairing(Clock.system(), server.rejections::add);
        PinnedTrustManager clientTrust = PinnedTrustManager.pairing(Clock.system(), client.rejections::add);
        int port = startServer(HaTls.forServer(master.keys().getPrivate(), master.cert(), serverTrust), server);
        connect(HaTls.forClient(shadow.keys().getPrivate(), shadow.cert(), clientTrust), port, client);

        assertThat(server.received.poll(TIMEOUT_S, TimeUnit.SECONDS)).isEqualTo(hello("shadow-1", "shadow"));
        assertThat(client.received.poll(TIMEOUT_S, TimeUnit.SECONDS)).isEqualTo(hello("master-1", "master"));
        assertThat(serverTrust.presentedCertificate()).contains(shadow.cert());
        assertThat(clientTrust.presentedCertificate()).contains(master.cert());
        assertThat(Certificates.fingerprintMatches(Certificates.fingerprint(master.cert()),
                clientTrust.presentedCertificate().orElseThrow())).isTrue();
    }

    @Test
    void pairingModeRefusesACertificateWithoutSignatureUsage() throws Exception {
        Identity wrong = TestCertificates.wrongUsage("shadow");
        Side server = new Side();
        Side client = new Side();
        PinnedTrustManager serverTrust = PinnedTrustManager.pairing(Clock.system(), server.rejections::add);
        int port = startServer(HaTls.forServer(master.keys().getPrivate(), master.cert(), serverTrust), server);
        SslContext ctx = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).protocols("TLSv1.3")
                .keyManager(wrong.keys().getPrivate(), wrong.cert()).trustManager(pin(master.cert(), client)).build();
        connect(ctx, port, client);

        assertServerRefused(server, client);
        assertThat(serverTrust.presentedCertificate()).isEmpty();
        assertThat(server.rejections).singleElement().asString().isEqualTo("peer certificate SHA256 "
                + Certificates.fingerprint(wrong.cert()) + " does not allow digitalSignature key usage (expected: "
                + "a node certificate as made by `understudy init`); replace the peer's tls/node.crt");
    }

    @Test
    void peerCertificateIsEmptyBeforeTheHandshakeAndRequiresTls() throws Exception {
        io.netty.channel.embedded.EmbeddedChannel plain = new io.netty.channel.embedded.EmbeddedChannel();
        assertThatThrownBy(() -> HaTls.peerCertificate(plain)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no SslHandler");
        SslContext ctx = HaTls.forClient(shadow.keys().getPrivate(), shadow.cert(), pin(master.cert(), new Side()));
        io.netty.channel.embedded.EmbeddedChannel tls = new io.netty.channel.embedded.EmbeddedChannel();
        tls.pipeline().addLast(ctx.newHandler(tls.alloc()));
        assertThat(HaTls.peerCertificate(tls)).isEqualTo(Optional.empty());
        plain.finishAndReleaseAll();
        tls.finishAndReleaseAll();
    }

    @Test
    void onlyEcKeysAreAccepted() throws Exception {
        java.security.KeyPairGenerator rsa = java.security.KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        assertThatThrownBy(() -> HaTls.forServer(rsa.generateKeyPair().getPrivate(), master.cert(),
                pin(shadow.cert(), new Side()))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("key: RSA (expected: EC P-256 node key)");
    }
}

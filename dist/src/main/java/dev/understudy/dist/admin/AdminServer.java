package dev.understudy.dist.admin;

import dev.understudy.common.auth.AdminCredentials;
import dev.understudy.common.auth.LoginGuard;
import dev.understudy.common.cert.Certificates;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTPS server: TLS on the node's own key and certificate, HTTP/1.1, bodies up to
 * {@link #MAX_BODY} bytes. Requests are handled off the I/O thread because writes fsync and basic
 * auth runs PBKDF2. The door is bounded ({@link Limits}): connections per source address and in
 * total, a TLS handshake timeout, a deadline for each whole request, no client-initiated TLS 1.2
 * renegotiation; logins go through the node's {@link LoginGuard}. Beside it the same API on the local admin socket ({@link LocalAdminSocket}).
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    /** Largest request body accepted; larger ones get 413. */
    public static final int MAX_BODY = 4 * 1024 * 1024;

    /**
     * JSSE reads this once, when its first server handshake class loads; {@code Main} sets it first
     * thing, this is the fallback for a node started in a JVM that has not made a server handshake yet.
     */
    static final String REJECT_RENEGOTIATION = "jdk.tls.rejectClientInitiatedRenegotiation";

    /**
     * The limits of the admin door.
     *
     * @param requestTimeout   a connection must deliver a whole request this soon after it opened or
     *                         after the previous response (slowloris, idle keep-alive and idle TLS)
     * @param handshakeTimeout the TLS handshake must finish this soon
     * @param maxConnectionsPerSource open connections from one address; more are closed at once
     * @param maxConnections   open connections in total
     */
    public record Limits(Duration requestTimeout, Duration handshakeTimeout, int maxConnectionsPerSource,
                         int maxConnections) {

        public static final Limits DEFAULT = new Limits(Duration.ofSeconds(10), Duration.ofSeconds(10), 32, 512);

        public Limits {
            if (requestTimeout.isNegative() || requestTimeout.isZero() || handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
                throw new IllegalArgumentException("requestTimeout: " + requestTimeout + ", handshakeTimeout: "
                        + handshakeTimeout + " (expected: both > 0)");
            }
        }
    }

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final EventExecutorGroup handlers;
    private final ChannelGroup connections;
    private final Channel channel;
    private final int port;
    private Optional<LocalAdminSocket> local = Optional.empty();

    private AdminServer(EventLoopGroup boss, EventLoopGroup workers, EventExecutorGroup handlers,
                        ChannelGroup connections, Channel channel) {
        this.boss = boss;
        this.workers = workers;
        this.handlers = handlers;
        this.connections = connections;
        this.channel = channel;
        this.port = ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** Binds {@code host:port} (port 0: chosen by the OS) and serves {@code node}'s admin API. */
    public static AdminServer start(AdminNode node, String host, int port) throws IOException {
        return start(node, host, port, Limits.DEFAULT);
    }

    /** Like {@link #start(AdminNode, String, int)} with other limits (tests use short timeouts). */
    public static AdminServer start(AdminNode node, String host, int port, Limits limits) throws IOException {
        if (System.getProperty(REJECT_RENEGOTIATION) == null) {
            System.setProperty(REJECT_RENEGOTIATION, "true");
        }
        SslContext ssl = sslContext(node);
        Authenticator auth = new Authenticator(node.adminToken(), new AdminCredentials(node.store()), node.logins());
        ConnectionLimits open = new ConnectionLimits(limits.maxConnectionsPerSource(), limits.maxConnections());
        NodeMetrics metrics = new NodeMetrics(node);
        EventLoopGroup boss = new NioEventLoopGroup(1);
        EventLoopGroup workers = new NioEventLoopGroup(1);
        EventExecutorGroup handlers = new DefaultEventExecutorGroup(2);
        ChannelGroup connections = new DefaultChannelGroup("admin-connections", GlobalEventExecutor.INSTANCE);
        try {
            ServerBootstrap b = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 128)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            String source = ch.remoteAddress().getAddress().getHostAddress();
                            ConnectionLimits.Admission admission = open.tryOpen(source);
                            if (!admission.admitted()) {
                                if (admission.firstRefusal()) {
                                    log.warn("admin connection from {} refused: {} connections from that address or {} in"
                                            + " total are open (the limit; more are closed until some end)", source,
                                            open.perSource(), open.total());
                                }
                                ch.close();
                                return;
                            }
                            ch.closeFuture().addListener(f -> open.closed(source));
                            connections.add(ch);
                            ChannelPipeline p = ch.pipeline();
                            // order: plain-http guard, ssl, HA-HELLO guard, http framing, security headers (on every
                            // response, the aggregator's 413 too), keep-alive, aggregation (size limit), request
                            // deadline, handler
                            p.addLast("plainGuard", new PortGuard.Plain(node.settings().nodeId()));
                            SslHandler tls = ssl.newHandler(ch.alloc());
                            tls.setHandshakeTimeoutMillis(limits.handshakeTimeout().toMillis());
                            p.addLast("ssl", tls);
                            p.addLast("haGuard", new PortGuard.HaProbe(node.settings().nodeId(),
                                    node::haPort,
                                    () -> node.role() == dev.understudy.common.home.Role.MASTER));
                            p.addLast("http", new HttpServerCodec());
                            p.addLast("headers", BrowserSafety.Headers.INSTANCE);
                            p.addLast("keepAlive", new HttpServerKeepAliveHandler());
                            p.addLast("aggregator", new JsonErrorAggregator(MAX_BODY));
                            p.addLast("deadline", new RequestTimeoutHandler(limits.requestTimeout().toNanos()));
                            p.addLast(handlers, "handler", new AdminHandler(node, auth, metrics, false));
                        }
                    });
            Channel ch = b.bind(host, port).syncUninterruptibly().channel();
            AdminServer server = new AdminServer(boss, workers, handlers, connections, ch);
            log.info("admin API listening on https://{}:{} (whole request within {}, TLS handshake within {}, at most {}"
                    + " connections per address and {} in total, bodies up to {} bytes)", host, server.port,
                    limits.requestTimeout(), limits.handshakeTimeout(), limits.maxConnectionsPerSource(),
                    limits.maxConnections(), MAX_BODY);
            server.local = LocalAdminSocket.start(node, node.home().adminSocket(), auth, metrics, handlers, connections);
            return server;
        } catch (Exception e) { // Netty rethrows the checked BindException undeclared
            shutdown(boss, workers, handlers);
            throw new IOException("adminPort: cannot listen on " + host + ":" + port + ": " + e.getMessage()
                    + " (expected: a free port; change adminPort in node.json or stop what uses it)", e);
        }
    }

    private static SslContext sslContext(AdminNode node) throws IOException {
        PrivateKey key = Certificates.readPrivateKey(node.home().nodeKey());
        X509Certificate cert = Certificates.readCertificate(node.home().nodeCrt());
        try {
            return SslContextBuilder.forServer(key, cert)
                    .sslProvider(SslProvider.JDK)
                    .protocols("TLSv1.3", "TLSv1.2")
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new IOException(node.home().nodeCrt() + ": cannot use the node key and certificate for TLS: "
                    + e.getMessage() + " (expected: tls/node.key and tls/node.crt written by `understudy init`)", e);
        }
    }

    /** The port actually bound. */
    public int port() {
        return port;
    }

    @Override
    public void close() {
        local.ifPresent(LocalAdminSocket::close);
        channel.close().syncUninterruptibly();
        // open keep-alive connections first, while the executors their pipelines use still run
        connections.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        shutdown(boss, workers, handlers);
    }

    private static void shutdown(EventLoopGroup boss, EventLoopGroup workers, EventExecutorGroup handlers) {
        // short quiet period: lets pipeline tear-down tasks hop between the executors before they stop
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        handlers.shutdownGracefully(50, 2_000, TimeUnit.MILLISECONDS);
        workers.shutdownGracefully(50, 2_000, TimeUnit.MILLISECONDS);
        handlers.terminationFuture().syncUninterruptibly();
        workers.terminationFuture().syncUninterruptibly();
    }

    /** An aggregator whose 413 carries the API's JSON error body. */
    static final class JsonErrorAggregator extends HttpObjectAggregator {

        JsonErrorAggregator(int maxContentLength) {
            super(maxContentLength);
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            // the rest of the body is not wanted: answer, then close without a reset destroying the answer
            LingeringClose.after(ctx.writeAndFlush(tooLarge()));
        }

        /** With {@code Expect: 100-continue} the size is refused before the body is sent; same JSON answer. */
        @Override
        protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
            Object r = super.newContinueResponse(start, maxContentLength, pipeline);
            if (r instanceof FullHttpResponse full && full.status().equals(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE)) {
                full.release();
                return tooLarge();
            }
            return r;
        }

        private static FullHttpResponse tooLarge() {
            byte[] body = ("{\"error\":\"request body: larger than " + MAX_BODY
                    + " bytes (expected: at most 4 MiB; split the change set)\"}").getBytes(StandardCharsets.UTF_8);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, Unpooled.wrappedBuffer(body));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            return r;
        }
    }
}

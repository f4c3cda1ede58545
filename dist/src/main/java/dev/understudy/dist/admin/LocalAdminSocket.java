package dev.understudy.dist.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.PeerCredentials;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.util.concurrent.EventExecutorGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API on {@code <home>/admin.sock}, a UNIX-domain socket for the CLI on the same machine:
 * plain HTTP/1.1, no TLS handshake, no token. Its credential is the file itself (mode 0600, owned by
 * the node's user), as with HAProxy's stats socket; on top of that a connection whose peer is neither
 * that user nor root is closed before it is read. Needs Netty's native epoll transport; where it is
 * missing, or the path is too long for a socket, the node serves HTTPS only and the CLI uses that.
 */
final class LocalAdminSocket implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalAdminSocket.class);

    /** sun_path holds 108 bytes including the terminating NUL. */
    static final int MAX_PATH_BYTES = 107;

    private final EventLoopGroup group;
    private final Channel channel;
    private final Path path;

    private LocalAdminSocket(EventLoopGroup group, Channel channel, Path path) {
        this.group = group;
        this.channel = channel;
        this.path = path;
    }

    /** Binds {@code path}, or explains in the log why the node serves without it. */
    static Optional<LocalAdminSocket> start(AdminNode node, Path path, Authenticator auth, NodeMetrics metrics,
                                            EventExecutorGroup handlers, ChannelGroup connections) {
        if (!Epoll.isAvailable()) {
            log.info("no local admin socket: native epoll transport unavailable ({}); the CLI uses HTTPS",
                    Epoll.unavailabilityCause().toString());
            return Optional.empty();
        }
        // bound under a temporary name, restricted, then renamed: admin.sock never exists with wider rights
        Path fresh = path.resolveSibling(path.getFileName() + ".new");
        if (fresh.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            log.warn("no local admin socket: {} is longer than {} bytes, the limit of a UNIX socket path; "
                    + "the CLI uses HTTPS (use a shorter --home path for faster CLI commands)", path, MAX_PATH_BYTES);
            return Optional.empty();
        }
        EventLoopGroup group = new EpollEventLoopGroup(1);
        try {
            // a node that ran here before and died left its socket behind; run.json was checked already
            Files.deleteIfExists(path);
            Files.deleteIfExists(fresh);
            int[] owner = new int[1];
            ServerBootstrap b = new ServerBootstrap()
                    .group(group)
                    .channel(EpollServerDomainSocketChannel.class)
                    .childHandler(new ChannelInitializer<EpollDomainSocketChannel>() {
                        @Override
                        protected void initChannel(EpollDomainSocketChannel ch) throws IOException {
                            PeerCredentials peer = ch.peerCredentials();
                            if (peer.uid() != owner[0] && peer.uid() != 0) {
                                log.warn("local admin socket: refused a client of uid {} (pid {}); only uid {} and root "
                                        + "may use {}", peer.uid(), peer.pid(), owner[0], path);
                                ch.close();
                                return;
                            }
                            connections.add(ch);
                            ChannelPipeline p = ch.pipeline();
                            // order: http framing, keep-alive, aggregation (size limit), handler; no TLS, no token
                            p.addLast("http", new HttpServerCodec());
                            p.addLast("keepAlive", new HttpServerKeepAliveHandler());
                            p.addLast("aggregator", new AdminServer.JsonErrorAggregator(AdminServer.MAX_BODY));
                            p.addLast(handlers, "handler", new AdminHandler(node, auth, metrics, true));
                        }
                    });
            Channel ch = b.bind(new DomainSocketAddress(fresh.toFile())).syncUninterruptibly().channel();
            try {
                Files.setPosixFilePermissions(fresh, PosixFilePermissions.fromString("rw-------"));
                owner[0] = (Integer) Files.getAttribute(fresh, "unix:uid");
                Files.move(fresh, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException | RuntimeException e) {
                ch.close().syncUninterruptibly();
                Files.deleteIfExists(fresh);
                throw e;
            }
            log.info("admin API listening on {} (local CLI, mode 0600)", path);
            return Optional.of(new LocalAdminSocket(group, ch, path));
        } catch (Exception e) { // Netty rethrows checked bind errors undeclared
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            log.warn("no local admin socket at {}: {}; the CLI uses HTTPS (check the home directory's permissions)",
                    path, e.toString());
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", path, e.getMessage());
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}

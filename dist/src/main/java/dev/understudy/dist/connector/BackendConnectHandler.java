package dev.understudy.dist.connector;

import dev.understudy.common.config.Mapping;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First handler of an accepted client connection: opens the backend connection, then hands over to a
 * {@link RelayHandler} on each side. The client is not read (auto-read is off) until the backend is
 * connected, so nothing is buffered meanwhile. A backend that refuses or does not answer within the
 * connect timeout is logged once, counted, and the client connection is closed at once.
 */
final class BackendConnectHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(BackendConnectHandler.class);

    private final Listener listener;

    BackendConnectHandler(Listener listener) {
        this.listener = listener;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel in = ctx.channel();
        ConnectorMetrics.Counters counters = listener.counters();
        counters.onAccepted();
        in.closeFuture().addListener(f -> counters.onClosed());
        listener.connections().add(in);
        if (listener.isClosing()) {
            // Accepted while the listener was being closed: it must not serve any more.
            in.close();
            return;
        }
        Mapping target = listener.mapping();
        String id = target.id();
        Bootstrap b = new Bootstrap()
                .group(in.eventLoop()) // same loop as the client: relaying never crosses threads
                .channel(DataPlaneTransport.socketChannel(in.eventLoop().parent()))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, listener.connectTimeoutMillis())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, Connector.WATER_MARK)
                .option(ChannelOption.RCVBUF_ALLOCATOR, Connector.READS)
                .handler(new RelayHandler(in, counters::addBackendToClient, id));
        // Resolved here rather than by the bootstrap (the same blocking JDK lookup Netty's default resolver
        // makes), so that a backend that is one of our own listen sockets is refused before any connection.
        InetSocketAddress to = new InetSocketAddress(target.backendHost(), target.backendPort());
        if (!to.isUnresolved() && listener.own().accepts(to)) {
            counters.onFailed();
            if (listener.firstLoopRefusal()) {
                log.warn("mapping {}: backend {}:{} is {}, a listen socket of this node's own data plane; refused the"
                                + " connection from {} instead of forwarding it into a loop (correct the mapping's"
                                + " backendHost/backendPort; further refusals are counted, not logged)",
                        id, target.backendHost(), target.backendPort(), to, in.remoteAddress());
            }
            in.close();
            return;
        }
        ChannelFuture connect = b.connect(to);
        Channel out = connect.channel();
        listener.connections().add(out);
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                counters.onFailed();
                log.warn("mapping {}: backend {}:{} {}; closed the client connection from {}"
                                + " (check that the backend runs and accepts connections from this node,"
                                + " or correct the mapping's backendHost/backendPort)",
                        id, target.backendHost(), target.backendPort(), describe(f.cause()), in.remoteAddress());
                in.close();
                return;
            }
            if (!in.isActive()) {
                // the client left while the backend was being connected
                out.close();
                return;
            }
            in.pipeline().replace(this, "relay", new RelayHandler(out, counters::addClientToBackend, id));
            in.config().setAutoRead(true);
            out.config().setAutoRead(true);
        });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("mapping {}: client connection {} failed before relaying: {}",
                listener.mapping().id(), ctx.channel(), cause.toString());
        ctx.close();
    }

    private String describe(Throwable cause) {
        if (cause instanceof ConnectTimeoutException) {
            return "did not answer within " + listener.connectTimeoutMillis() + " ms";
        }
        if (cause instanceof ConnectException) {
            return "refused the connection (" + cause.getMessage() + ")";
        }
        return "could not be reached (" + cause + ")";
    }
}

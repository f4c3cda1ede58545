package dev.understudy.dist.connector;

import dev.understudy.common.config.Mapping;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listen socket of one mapping and the connections it accepted. A listener is bound once and closed
 * once; a changed listen address means a new listener. The backend can be changed in place: new
 * connections go to the new backend, open ones stay with the backend they were opened to.
 */
final class Listener {

    private static final Logger log = LoggerFactory.getLogger(Listener.class);

    private final ServerBootstrap template;
    private final int connectTimeoutMillis;
    private final ConnectorMetrics.Counters counters;
    private final OwnListeners own;
    /** Whether a refused loop has been logged since the backend last changed (one WARN, not one per connection). */
    private volatile boolean loopLogged;
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private volatile Mapping mapping;
    private volatile Channel server;
    private volatile String error;
    private volatile boolean closing;
    /** Completes when the bind attempt has finished, bound or not; guarded by the connector's lock. */
    private CompletableFuture<Void> started = CompletableFuture.completedFuture(null);
    private boolean startAttempted;

    Listener(Mapping mapping, ServerBootstrap template, int connectTimeoutMillis, ConnectorMetrics.Counters counters,
             OwnListeners own) {
        this.mapping = mapping;
        this.own = own;
        this.template = template;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.counters = counters;
    }

    Mapping mapping() {
        return mapping;
    }

    ConnectorMetrics.Counters counters() {
        return counters;
    }

    ChannelGroup connections() {
        return connections;
    }

    int connectTimeoutMillis() {
        return connectTimeoutMillis;
    }

    boolean isClosing() {
        return closing;
    }

    /** The listen sockets of the whole connector (to refuse a backend that is one of them). */
    OwnListeners own() {
        return own;
    }

    /** True the first time a loop is refused since the backend last changed: that one is logged at WARN. */
    boolean firstLoopRefusal() {
        if (loopLogged) {
            return false;
        }
        loopLogged = true;
        return true;
    }

    /** New connections go to the backend of {@code m}; the listen address must be the same. */
    void retarget(Mapping m) {
        Mapping old = mapping;
        mapping = m;
        if (!old.backendHost().equals(m.backendHost()) || old.backendPort() != m.backendPort()) {
            loopLogged = false;
            log.info("mapping {}: new connections go to {}:{} (was {}:{}); open connections stay as they are",
                    m.id(), m.backendHost(), m.backendPort(), old.backendHost(), old.backendPort());
        }
    }

    /** Whether the bind attempt finished without opening the socket (so it is worth trying again). */
    boolean bindFailed() {
        return startAttempted && started.isDone() && server == null && !closing;
    }

    /** Binds once {@code after} completes (the sockets this one may replace are closed by then). */
    CompletableFuture<Void> start(CompletableFuture<Void> after) {
        startAttempted = true;
        started = after.handle((v, e) -> null).thenCompose(v -> bind());
        return started;
    }

    private CompletableFuture<Void> bind() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (closing) {
            done.complete(null);
            return done;
        }
        Mapping m = mapping;
        String host = listenHost(m);
        InetSocketAddress address;
        try {
            address = new InetSocketAddress(host, m.listenPort());
        } catch (IllegalArgumentException e) {
            fail(m, host, "listenPort: " + m.listenPort() + " (expected: 1..65535)");
            done.complete(null);
            return done;
        }
        if (address.isUnresolved()) {
            fail(m, host, "unknown host (expected: an address of this machine, or 0.0.0.0 for every interface)");
            done.complete(null);
            return done;
        }
        ChannelFuture bind;
        try {
            bind = template.clone()
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast("connect", new BackendConnectHandler(Listener.this));
                        }
                    })
                    .bind(address);
        } catch (RuntimeException e) {
            fail(m, host, e.toString());
            done.complete(null);
            return done;
        }
        bind.addListener((ChannelFuture f) -> {
            if (f.isSuccess()) {
                server = f.channel();
                error = null;
                InetSocketAddress bound = (InetSocketAddress) f.channel().localAddress();
                own.add(bound);
                f.channel().closeFuture().addListener(x -> own.remove(bound));
                log.info("mapping {}: listening on {} -> {}:{}", m.id(), f.channel().localAddress(),
                        m.backendHost(), m.backendPort());
            } else {
                fail(m, host, String.valueOf(f.cause().getMessage()));
            }
            done.complete(null);
        });
        return done;
    }

    private void fail(Mapping m, String host, String why) {
        error = "mapping " + m.id() + " listenPort: cannot listen on " + host + ":" + m.listenPort() + ": " + why
                + " (expected: a free port on an address of this machine; stop what holds the port, or change the"
                + " mapping's listenHost/listenPort with `understudy mapping remove` and `mapping add`; the connector"
                + " tries again on the next configuration change)";
        log.warn("{}", error);
    }

    /**
     * Closes the listen socket, then every connection it accepted; completes when all are closed. Safe to
     * call while the bind is still in flight: the socket is closed as soon as it is bound.
     */
    CompletableFuture<Void> close() {
        closing = true;
        return started.handle((v, e) -> null).thenCompose(v -> {
            Channel s = server;
            CompletableFuture<Void> serverClosed = s == null
                    ? CompletableFuture.completedFuture(null)
                    : toCompletable(s.close()).thenCompose(x -> afterNextSelect(s.eventLoop()));
            return serverClosed.handle((x, e) -> null)
                    .thenCompose(x -> toCompletable(connections.close()))
                    .handle((x, e) -> {
                        if (s != null) {
                            log.info("mapping {}: stopped listening on {}", mapping.id(), s.localAddress());
                        }
                        return null;
                    });
        });
    }

    MappingStatus status() {
        Mapping m = mapping;
        Channel s = server;
        boolean bound = s != null && s.isOpen() && !closing;
        int boundPort = bound ? ((InetSocketAddress) s.localAddress()).getPort() : -1;
        return new MappingStatus(m.id(), listenHost(m), m.listenPort(), boundPort, m.backendHost(), m.backendPort(),
                bound, error, counters.active());
    }

    static String listenHost(Mapping m) {
        return m.listenHost() == null || m.listenHost().isEmpty() ? Mapping.DEFAULT_LISTEN_HOST : m.listenHost();
    }

    /**
     * Completes after {@code loop} has run its selector once more. Java NIO releases the socket of a
     * registered channel only when its selector next processes the cancelled key, after Netty reports the
     * close: without this wait a caller told "closed" could still find the port in use. A scheduled task is
     * taken up only at the start of the loop's next round of tasks, which follows a select.
     */
    static CompletableFuture<Void> afterNextSelect(EventLoop loop) {
        CompletableFuture<Void> c = new CompletableFuture<>();
        loop.schedule(() -> c.complete(null), 0, TimeUnit.NANOSECONDS);
        return c;
    }

    static CompletableFuture<Void> toCompletable(Future<?> f) {
        CompletableFuture<Void> c = new CompletableFuture<>();
        f.addListener(x -> {
            if (x.isSuccess()) {
                c.complete(null);
            } else {
                c.completeExceptionally(x.cause());
            }
        });
        return c;
    }
}

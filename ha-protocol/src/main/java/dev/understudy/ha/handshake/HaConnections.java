package dev.understudy.ha.handshake;

import dev.understudy.common.home.HostPort;
import dev.understudy.ha.failover.FailoverEvent.Failure;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.ConnectException;
import java.time.Duration;
import javax.net.ssl.SSLHandshakeException;

/** Opening an HA connection as the TLS client: the fixed pipeline, timeouts, and how a failure is classified. */
public final class HaConnections {

    private HaConnections() {}

    /**
     * Connects to {@code to} with the pipeline {@code initializer} builds (an {@link HaClientInitializer}). The TLS
     * handshake must complete within {@link #handshakeTimeoutMillis}: a paused process's kernel still accepts TCP
     * connections, only a live process completes a handshake. (Failover timing does not depend on this limit: the
     * state machine's own deadlines decide when silence means promotion.)
     */
    public static ChannelFuture connect(EventLoopGroup group, HostPort to, Duration connectTimeout,
                                        ChannelInitializer<?> initializer) {
        return new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(initializer)
                .connect(to.host(), to.port());
    }

    /** Twice the connect timeout, at least 2 s: a busy machine must not look like a dead peer. */
    public static long handshakeTimeoutMillis(Duration connectTimeout) {
        return Math.max(2 * connectTimeout.toMillis(), 2000);
    }

    /** REFUSED when nothing listens at the peer's address, TIMEOUT when nothing answers, else ERROR. */
    public static Failure classify(Throwable t) {
        if (t instanceof ConnectTimeoutException) {
            return Failure.TIMEOUT;
        }
        if (t instanceof ConnectException) {
            return Failure.REFUSED;
        }
        if (t instanceof SSLHandshakeException && t.getMessage() != null && t.getMessage().contains("timed out")) {
            return Failure.TIMEOUT;
        }
        if (t != null && t.getClass().getSimpleName().contains("SslHandshakeTimeout")) {
            return Failure.TIMEOUT;
        }
        return Failure.ERROR;
    }
}

package dev.understudy.dist.connector;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * The data plane's transport: NIO by default; Netty's native epoll when opted in and where it loads (Linux; fewer copies and system calls
 * per relayed read than NIO's selector), else NIO. The channel classes follow the group a connector
 * is given, so a caller picks the transport once, by the group it makes.
 */
public final class DataPlaneTransport {

    private DataPlaneTransport() {}

    /**
     * Native epoll is opt-in ({@code -Dunderstudy.dataPlane.nativeEpoll=true}, e.g. in UNDERSTUDY_JAVA_OPTS): on epoll a
     * backend on the same port as a listener of another local address is not forwarded (the client gets an empty
     * answer; EpollConnectorTest keeps the case, disabled), so NIO, which passes every connector test, is the default.
     */
    public static final String PROPERTY = "understudy.dataPlane.nativeEpoll";

    /** Whether {@link #newGroup} makes native epoll loops here. */
    public static boolean nativeEpoll() {
        return Boolean.getBoolean(PROPERTY) && Epoll.isAvailable();
    }

    /** Event loops for the data plane: epoll where available, NIO elsewhere. */
    public static EventLoopGroup newGroup(int threads) {
        return nativeEpoll() ? new EpollEventLoopGroup(threads) : new NioEventLoopGroup(threads);
    }

    /** What {@link #newGroup} gives on this machine, for the start-up log. */
    public static String describe() {
        return nativeEpoll() ? "native epoll" : !Boolean.getBoolean(PROPERTY) ? "NIO (native epoll is opt-in: -D" + PROPERTY
                + "=true)" : "NIO (native epoll unavailable: " + Epoll.unavailabilityCause() + ")";
    }

    static Class<? extends ServerChannel> serverChannel(EventLoopGroup g) {
        return g instanceof EpollEventLoopGroup ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    static Class<? extends SocketChannel> socketChannel(EventLoopGroup g) {
        return g instanceof EpollEventLoopGroup ? EpollSocketChannel.class : NioSocketChannel.class;
    }
}

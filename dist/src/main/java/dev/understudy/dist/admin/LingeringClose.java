package dev.understudy.dist.admin;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection after an error answer to a request the client may still be sending (too long a
 * request line or header, too large a body). Closing at once with unread input makes the kernel send a
 * reset, which can destroy the answer before the client reads it; so the answer is followed by TLS
 * close_notify and a TCP half-close, and the rest of the client's bytes are read and dropped for at most
 * {@link #LINGER_MILLIS} ms (the lingering close of Apache httpd).
 */
final class LingeringClose {

    static final long LINGER_MILLIS = 2_000;

    private LingeringClose() {}

    static void after(ChannelFuture written) {
        Channel ch = written.channel();
        written.addListener(f -> {
            if (!f.isSuccess() || !ch.isActive()) {
                ch.close();
                return;
            }
            SslHandler ssl = ch.pipeline().get(SslHandler.class);
            ChannelFuture notified = ssl != null ? ssl.closeOutbound() : ch.newSucceededFuture();
            notified.addListener(x -> {
                if (ch instanceof DuplexChannel d && ch.isActive()) {
                    d.shutdownOutput();
                }
                ch.config().setAutoRead(true); // keep reading (and dropping) what the client still sends
                ch.eventLoop().schedule(() -> {
                    ch.close();
                }, LINGER_MILLIS, TimeUnit.MILLISECONDS);
            });
        });
    }
}

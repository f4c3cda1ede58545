package dev.understudy.dist.admin;

import dev.understudy.ha.codec.HaMessageCodec;
import dev.understudy.ha.message.Bye;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * Answers the two wrong uses of the admin port at once instead of leaving the caller waiting: plain
 * {@code http://} (before TLS: a redirect to https, or a clear 400), and a shadow attaching to the admin
 * port instead of the HA port (after TLS: a HA BYE naming the HA port). Anything else passes through
 * untouched; this handler then removes itself.
 */
final class PortGuard {

    /** Enough for any request line and Host header; more is not an HTTP request worth answering. */
    static final int MAX_PLAIN_BYTES = 8192;

    private PortGuard() {}

    /** First in the pipeline: TLS records go on to the {@code ssl} handler, plain text gets its answer. */
    static final class Plain extends ByteToMessageDecoder {
        private final String nodeId;

        Plain(String nodeId) {
            this.nodeId = nodeId;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            if (in.readableBytes() < 3) {
                return;
            }
            // a TLS client starts with a handshake record: content type 22, protocol major version 3
            if (in.getByte(in.readerIndex()) == 22 && in.getByte(in.readerIndex() + 1) == 3) {
                ctx.pipeline().remove(this);
                return;
            }
            String text = in.toString(in.readerIndex(), Math.min(in.readableBytes(), MAX_PLAIN_BYTES), StandardCharsets.ISO_8859_1);
            if (!text.contains("\r\n\r\n") && !text.contains("\n\n") && in.readableBytes() < MAX_PLAIN_BYTES) {
                return; // the rest of the request head is on its way
            }
            in.skipBytes(in.readableBytes());
            InetSocketAddress local = (InetSocketAddress) ctx.channel().localAddress();
            String here = "https://" + hostOf(local) + ":" + local.getPort() + "/";
            String host = header(text, "host");
            String target = requestTarget(text);
            String response;
            if (host != null && target != null && host.matches("[A-Za-z0-9.:\\[\\]-]+")) {
                String location = "https://" + host + target;
                response = reply("301 Moved Permanently", "Location: " + location + "\r\n",
                        "This is the HTTPS admin port of node " + nodeId + ": use " + location + "\n");
            } else {
                response = reply("400 Bad Request", "", "This is the HTTPS admin port of node " + nodeId
                        + ", not plain HTTP: use " + here + " (the console and the admin API speak TLS only)\n");
            }
            ctx.writeAndFlush(Unpooled.copiedBuffer(response, StandardCharsets.ISO_8859_1))
                    .addListener(ChannelFutureListener.CLOSE);
        }

        private static String reply(String status, String headers, String body) {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            return "HTTP/1.1 " + status + "\r\n" + headers + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: "
                    + b.length + "\r\nConnection: close\r\n\r\n" + new String(b, StandardCharsets.ISO_8859_1);
        }

        /** The origin-form target of the request line ({@code GET /x HTTP/1.1}), or null if it has none. */
        static String requestTarget(String text) {
            String line = text.lines().findFirst().orElse("");
            String[] parts = line.split(" ");
            if (parts.length != 3 || !parts[2].startsWith("HTTP/") || !parts[1].startsWith("/")
                    || !parts[1].matches("[\\x21-\\x7e]+")) {
                return null;
            }
            return parts[1];
        }

        static String header(String text, String name) {
            for (String line : text.split("\r?\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    /** Right after {@code ssl}: a HA HELLO here came from a shadow given the admin port by mistake. */
    static final class HaProbe extends ByteToMessageDecoder {
        private final String nodeId;
        private final IntSupplier haPort;
        private final BooleanSupplier master;

        /** {@code haPort}: where this node's HA channel listens; {@code master}: whether it is master now. */
        HaProbe(String nodeId, IntSupplier haPort, BooleanSupplier master) {
            this.nodeId = nodeId;
            this.haPort = haPort;
            this.master = master;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            if (in.readableBytes() < 2) {
                return;
            }
            int i = in.readerIndex();
            if (in.getByte(i) != 'U' || in.getByte(i + 1) != 'S') {
                ctx.pipeline().remove(this);
                return;
            }
            // never read further: a pairing HELLO carries the admin password
            in.skipBytes(in.readableBytes());
            InetSocketAddress local = (InetSocketAddress) ctx.channel().localAddress();
            String ha = hostOf(local) + ":" + haPort.getAsInt();
            ByteBuf bye = ctx.alloc().buffer();
            String what = "port " + local.getPort() + " is the admin (HTTPS) port of node " + nodeId + ", not its HA port";
            HaMessageCodec.encode(new Bye(0, "WRONG_PORT", master.getAsBoolean()
                    ? what + "; this looks like an admin port: the HA port is " + ha + " (use --master " + ha + ")"
                    : what + ", and that node is a shadow: attach to its master's HA port (`understudy status` on the"
                            + " master shows haPort)"), bye);
            ctx.writeAndFlush(bye).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static String hostOf(InetSocketAddress a) {
        String h = a.getAddress().getHostAddress();
        return h.indexOf(':') >= 0 ? "[" + h + "]" : h;
    }
}

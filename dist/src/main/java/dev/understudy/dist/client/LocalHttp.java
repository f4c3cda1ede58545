package dev.understudy.dist.client;

import dev.understudy.common.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * One HTTP/1.1 exchange over the local admin socket: the request with {@code Connection: close}, the
 * answer read to its end. No TLS and no token: the socket's file permission admits the caller. A
 * deadline bounds the whole exchange, so a paused node cannot hold the CLI.
 */
final class LocalHttp {

    private LocalHttp() {}

    /** The answer, or empty when nothing listens on {@code socket} (then the caller uses HTTPS). */
    static Optional<AdminClient.Response> exchange(Path socket, String method, String path, byte[] body,
                                                   int timeoutMs, String shownHome) throws IOException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (UnsupportedOperationException e) {
            return Optional.empty();
        }
        try (ch; Selector selector = Selector.open()) {
            try {
                // connecting to a UNIX socket completes or fails at once: no TCP handshake
                ch.connect(UnixDomainSocketAddress.of(socket));
            } catch (SocketException | java.nio.file.NoSuchFileException e) {
                return Optional.empty();
            }
            ch.configureBlocking(false);
            ByteBuffer out = ByteBuffer.wrap(request(method, path, body));
            SelectionKey key = ch.register(selector, SelectionKey.OP_WRITE);
            ByteArrayOutputStream in = new ByteArrayOutputStream(8192);
            ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    throw new IOException("the node at " + socket + " did not answer within " + timeoutMs
                            + " ms (check its log; it may be overloaded or stopped with SIGSTOP)");
                }
                selector.select(left);
                if (out.hasRemaining()) {
                    ch.write(out);
                    if (!out.hasRemaining()) {
                        key.interestOps(SelectionKey.OP_READ);
                    }
                    continue;
                }
                int n = ch.read(buf);
                if (n < 0) {
                    break;
                }
                if (n > 0) {
                    in.write(buf.array(), 0, n);
                    buf.clear();
                }
            }
            return Optional.of(parse(in.toByteArray(), socket));
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("the node at ")) {
                throw e;
            }
            throw new IOException("talking to the node at " + socket + " failed: " + e.getMessage()
                    + " (check that `understudy run --home " + shownHome + "` is running)", e);
        }
    }

    private static byte[] request(String method, String path, byte[] body) {
        StringBuilder head = new StringBuilder(160)
                .append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                .append("Host: localhost\r\nAccept: application/json\r\nConnection: close\r\n");
        if (!method.equals("GET")) {
            head.append("Content-Type: application/json\r\n");
        }
        if (body != null) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        byte[] h = head.toString().getBytes(StandardCharsets.UTF_8);
        if (body == null) {
            return h;
        }
        byte[] all = new byte[h.length + body.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        return all;
    }

    /** Status line, headers (only Content-Length matters: the server closes after one answer), body. */
    static AdminClient.Response parse(byte[] r, Path socket) throws IOException {
        int end = indexOf(r, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        int lineEnd = indexOf(r, "\r\n".getBytes(StandardCharsets.ISO_8859_1));
        if (end < 0 || lineEnd < 0 || !AdminClient.ascii(r, 0, lineEnd).startsWith("HTTP/1.1 ")
                || lineEnd < 12) {
            throw new IOException("the node at " + socket + " sent no complete HTTP answer (" + r.length
                    + " bytes) (check its log)");
        }
        int status;
        try {
            status = Integer.parseInt(AdminClient.ascii(r, 9, 12));
        } catch (NumberFormatException e) {
            throw new IOException("the node at " + socket + " sent a malformed status line (check its log)", e);
        }
        int bodyFrom = end + 4;
        int length = r.length - bodyFrom;
        for (String line : AdminClient.ascii(r, lineEnd + 2, end).split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
                int declared = Integer.parseInt(line.substring(colon + 1).trim());
                if (declared > length) {
                    throw new IOException("the node at " + socket + " closed the connection after " + length
                            + " of the " + declared + " bytes of its answer (check its log)");
                }
                length = declared;
            }
        }
        if (length <= 0) {
            return new AdminClient.Response(status, null);
        }
        byte[] b = new byte[length];
        System.arraycopy(r, bodyFrom, b, 0, length);
        return new AdminClient.Response(status, Json.tree(b));
    }

    private static int indexOf(byte[] a, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= a.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (a[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}

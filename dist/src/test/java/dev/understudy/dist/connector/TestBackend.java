package dev.understudy.dist.connector;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** A blocking TCP server on 127.0.0.1, port chosen by the OS, one thread per connection. */
final class TestBackend implements AutoCloseable {

    /** What the backend does with one accepted connection. */
    interface Behaviour {
        void serve(Socket s) throws IOException;
    }

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-backend");
        t.setDaemon(true);
        return t;
    });
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    final AtomicInteger accepted = new AtomicInteger();

    private TestBackend(Behaviour behaviour) throws IOException {
        server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        threads.execute(() -> {
            while (!server.isClosed()) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException e) {
                    return;
                }
                accepted.incrementAndGet();
                open.add(s);
                threads.execute(() -> {
                    try (s) {
                        behaviour.serve(s);
                    } catch (IOException ignored) {
                        // the peer went away; nothing to do in a test backend
                    } finally {
                        open.remove(s);
                    }
                });
            }
        });
    }

    /** Sends {@code greeting} (may be empty), then echoes everything; on end of input, ends its output. */
    static TestBackend echo(String greeting) throws IOException {
        byte[] hello = greeting.getBytes(StandardCharsets.US_ASCII);
        return new TestBackend(s -> {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            out.write(hello);
            out.flush();
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
            }
            out.flush();
            s.shutdownOutput();
        });
    }

    /**
     * Reads until the client ends its output, then answers the SHA-256 of what it read (32 bytes)
     * followed by {@code responseBytes} bytes of a known pattern, then closes.
     */
    static TestBackend digestAfterEof(int responseBytes) throws IOException {
        return new TestBackend(s -> {
            MessageDigest sha = sha256();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) >= 0) {
                sha.update(buf, 0, n);
            }
            OutputStream out = s.getOutputStream();
            out.write(sha.digest());
            out.write(pattern(responseBytes));
            out.flush();
        });
    }

    /** Writes {@code total} bytes of a known pattern as fast as the connection takes them, counting in {@code written}. */
    static TestBackend producer(long total, AtomicLong written) throws IOException {
        return new TestBackend(s -> {
            s.setSendBufferSize(64 * 1024);
            OutputStream out = s.getOutputStream();
            byte[] chunk = pattern(64 * 1024);
            long left = total;
            while (left > 0) {
                int n = (int) Math.min(chunk.length, left);
                out.write(chunk, 0, n);
                left -= n;
                written.addAndGet(n);
            }
            out.flush();
            s.shutdownOutput();
            // keep the socket until the client closes, so the end of data is not a reset
            while (s.getInputStream().read() >= 0) {
                // discard
            }
        });
    }

    static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    int port() {
        return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : open) {
            try {
                s.close();
            } catch (SocketException ignored) {
                // already closed
            }
        }
        threads.shutdownNow();
        try {
            threads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

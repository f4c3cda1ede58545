package dev.understudy.dist.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP echo backend on 127.0.0.1 (OS-chosen port) for process-level tests of the data plane, and
 * a client round trip through a mapping. {@link #close()} stops it and every connection it holds.
 */
public final class EchoServer implements AutoCloseable {

    private final ServerSocket listener;
    private final List<Socket> sockets = new ArrayList<>();
    private final Thread acceptor;

    private EchoServer(ServerSocket listener) {
        this.listener = listener;
        this.acceptor = new Thread(this::acceptLoop, "echo-accept-" + listener.getLocalPort());
        this.acceptor.setDaemon(true);
        this.acceptor.start();
    }

    public static EchoServer start() throws IOException {
        return new EchoServer(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    }

    public int port() {
        return listener.getLocalPort();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket s = listener.accept();
                synchronized (sockets) {
                    sockets.add(s);
                }
                Thread t = new Thread(() -> echo(s), "echo-" + s.getPort());
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private static void echo(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // client went away
        }
    }

    /** A port that was free a moment ago on 127.0.0.1 (for a mapping's listen port). */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * One round trip through 127.0.0.1:{@code port}: sends {@code message} and reads it back within
     * {@code timeoutMillis}. False when the port does not accept, or the echo does not come back.
     */
    public static boolean roundTrip(int port, String message, int timeoutMillis) {
        return roundTrip(InetAddress.getLoopbackAddress().getHostAddress(), port, message, timeoutMillis);
    }

    /** As {@link #roundTrip(int, String, int)} through {@code host}:{@code port} (e.g. 127.0.0.3). */
    public static boolean roundTrip(String host, int port, String message, int timeoutMillis) {
        byte[] want = message.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            s.getOutputStream().write(want);
            s.getOutputStream().flush();
            byte[] got = s.getInputStream().readNBytes(want.length);
            return java.util.Arrays.equals(want, got);
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        synchronized (sockets) {
            for (Socket s : sockets) {
                s.close();
            }
            sockets.clear();
        }
    }
}

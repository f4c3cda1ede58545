package dev.understudy.common.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A fake HA master for tests: a TLS 1.3 server on loopback (port 0) that requires and accepts any
 * client certificate, answers nothing, and records for each connection whether the handshake
 * completed and every application byte the client sent (until it closes, or {@code readFor}
 * passes). Proves what a client did or did not tell a server.
 */
public final class RecordingTlsServer implements AutoCloseable {

    /** What one client connection did. */
    public record Connection(boolean handshakeCompleted, String handshakeFailure, byte[] received) {}

    private final SSLServerSocket server;
    private final X509Certificate certificate;
    private final Duration readFor;
    private final List<Connection> connections = new CopyOnWriteArrayList<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition recorded = lock.newCondition();
    private final Thread acceptor;

    private RecordingTlsServer(SSLServerSocket server, X509Certificate certificate, Duration readFor) {
        this.server = server;
        this.certificate = certificate;
        this.readFor = readFor;
        this.acceptor = new Thread(this::acceptLoop, "recording-tls-server");
        this.acceptor.setDaemon(true);
    }

    /** Starts a server presenting {@code identity}; each connection is read for at most {@code readFor}. */
    public static RecordingTlsServer start(TestCertificates.Identity identity, Duration readFor) throws IOException {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            char[] pw = "test".toCharArray();
            ks.setKeyEntry("node", identity.keys().getPrivate(), pw, new Certificate[] {identity.cert()});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pw);
            SSLContext ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(kmf.getKeyManagers(), new TrustManager[] {new AcceptAny()}, null);
            SSLServerSocket s = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 16,
                    InetAddress.getLoopbackAddress());
            s.setEnabledProtocols(new String[] {"TLSv1.3"});
            s.setNeedClientAuth(true);
            RecordingTlsServer r = new RecordingTlsServer(s, identity.cert(), readFor);
            r.acceptor.start();
            return r;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot build the test TLS server", e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** The connections recorded so far (each once it has ended). */
    public List<Connection> connections() {
        return new ArrayList<>(connections);
    }

    /** Waits until at least {@code n} connections have been recorded; returns them. */
    public List<Connection> awaitConnections(int n, Duration timeout) throws InterruptedException {
        long left = timeout.toNanos();
        lock.lock();
        try {
            while (connections.size() < n) {
                if (left <= 0) {
                    throw new AssertionError("expected " + n + " connection(s) within " + timeout + ", got " + connections);
                }
                left = recorded.awaitNanos(left);
            }
            return connections();
        } finally {
            lock.unlock();
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try (SSLSocket s = (SSLSocket) server.accept()) {
                record(serve(s));
            } catch (IOException e) {
                // closed, or one client failed before the handshake started: keep serving until close()
            }
        }
    }

    private Connection serve(SSLSocket s) throws IOException {
        s.setSoTimeout((int) readFor.toMillis());
        try {
            s.startHandshake();
        } catch (IOException e) {
            return new Connection(false, String.valueOf(e.getMessage()), new byte[0]);
        }
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                got.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            // readFor passed: what arrived so far is the record
        } catch (IOException e) {
            // the client reset the connection: what arrived so far is the record
        }
        return new Connection(true, null, got.toByteArray());
    }

    private void record(Connection c) {
        lock.lock();
        try {
            connections.add(c);
            recorded.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        try {
            acceptor.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A trust manager that accepts every certificate: for test clients and fake servers whose peer is not what is tested. */
    public static X509TrustManager trustEverything() {
        return new AcceptAny();
    }

    private static final class AcceptAny implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}

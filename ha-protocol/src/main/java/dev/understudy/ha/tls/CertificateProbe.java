package dev.understudy.ha.tls;

import dev.understudy.common.home.HostPort;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Learns which certificate an HA port presents without telling it anything: a TLS 1.3 handshake
 * that the client aborts as soon as the server's certificate has arrived. The client never
 * presents a certificate, never completes the handshake and so never sends application data (no
 * HELLO, no password); the server sees a handshake that the client refused. {@code understudy
 * attach} uses it to show the operator the master's fingerprint before the password leaves the
 * node.
 */
public final class CertificateProbe {

    private CertificateProbe() {}

    /** Marks the deliberate abort, as opposed to a handshake that failed for another reason. */
    private static final class Captured extends CertificateException {
        private static final long serialVersionUID = 1L;

        Captured() {
            super("certificate read; the probe ends the handshake here");
        }
    }

    /**
     * The leaf certificate the TLS server at {@code address} presents. Blocking; {@code timeout}
     * bounds the connect and each read.
     *
     * @throws IOException when nothing answers, the peer does not speak TLS 1.3 or presents no certificate
     */
    public static X509Certificate fetch(HostPort address, Duration timeout) throws IOException {
        AtomicReference<X509Certificate> seen = new AtomicReference<>();
        X509TrustManager capture = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                throw new CertificateException("the probe is a client only");
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                if (chain != null && chain.length > 0) {
                    seen.set(chain[0]);
                }
                throw new Captured(); // abort before our own certificate or Finished is sent
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext ctx;
        try {
            ctx = SSLContext.getInstance(HaTls.PROTOCOL);
            ctx.init(null, new TrustManager[] {capture}, null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("TLS 1.3 is not available in this JVM", e);
        }
        int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress(address.host(), address.port()), millis);
            plain.setSoTimeout(millis);
            try (SSLSocket tls = (SSLSocket) ctx.getSocketFactory().createSocket(plain, address.host(), address.port(), false)) {
                SSLParameters p = tls.getSSLParameters();
                p.setProtocols(new String[] {HaTls.PROTOCOL});
                tls.setSSLParameters(p);
                tls.startHandshake();
                // a trust manager that always throws cannot let a handshake complete
                throw new IOException(address + ": the TLS handshake completed without a certificate check");
            } catch (SSLException e) {
                X509Certificate cert = seen.get();
                if (cert != null && causedBy(e, Captured.class)) {
                    return cert;
                }
                throw new IOException(address + ": no TLS 1.3 certificate from this address (" + e.getMessage()
                        + "); check that HOST:HAPORT is the master's HA port", e);
            }
        }
    }

    private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }
}

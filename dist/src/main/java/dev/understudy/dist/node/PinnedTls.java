package dev.understudy.dist.node;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * HTTPS to a node's admin API trusting exactly that node's certificate (tls/node.crt), byte for
 * byte: stricter than a trust store holding it (no chain building) and cheap at start-up (JDK
 * only), which matters for every CLI command.
 */
public final class PinnedTls {

    private PinnedTls() {}

    /** A socket factory that accepts only the certificate in {@code crt}. */
    public static SSLSocketFactory trustOnly(Path crt) throws IOException {
        try (InputStream in = Files.newInputStream(crt)) {
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, new TrustManager[] {new Pinned(cert.getEncoded(), crt)}, null);
            return ssl.getSocketFactory();
        } catch (NoSuchFileException e) {
            throw new IOException(crt + ": not found (expected: the node certificate written by `understudy init`)", e);
        } catch (GeneralSecurityException e) {
            throw new IOException(crt + ": not a usable certificate: " + e.getMessage()
                    + " (expected: the node certificate written by `understudy init`)", e);
        }
    }

    /** Trusts exactly one certificate. */
    static final class Pinned implements X509TrustManager {

        private final byte[] pinned;
        private final Path source;

        Pinned(byte[] pinned, Path source) {
            this.pinned = pinned.clone();
            this.source = source;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            if (chain == null || chain.length == 0 || !MessageDigest.isEqual(pinned, chain[0].getEncoded())) {
                throw new CertificateException("the server's certificate is not " + source);
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("an admin API client does not accept clients");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}

package dev.understudy.dist.nemesis;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A plain JDK HTTPS client of one node's admin API that trusts exactly that node's tls/node.crt (as the
 * CLI's AdminClient does) and authenticates with its admin.token. No keep-alive: a killed or paused node
 * must not leave a pooled connection behind that makes the next request's outcome ambiguous.
 */
final class AdminHttp {

    /** An answer of the API. */
    record Reply(int status, JsonNode body) {}

    private final SSLSocketFactory tls;
    private final String token;

    AdminHttp(Path home) throws IOException {
        this.token = Files.readString(home.resolve("admin.token")).trim();
        try (InputStream in = Files.newInputStream(home.resolve("tls").resolve("node.crt"))) {
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            byte[] pinned = cert.getEncoded();
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, new TrustManager[] {new X509TrustManager() {
                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                    if (chain == null || chain.length == 0 || !MessageDigest.isEqual(pinned, chain[0].getEncoded())) {
                        throw new CertificateException("not the node certificate of " + home);
                    }
                }

                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                    throw new CertificateException("no clients");
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, null);
            this.tls = ssl.getSocketFactory();
        } catch (GeneralSecurityException e) {
            throw new IOException(home + "/tls/node.crt: " + e.getMessage(), e);
        }
    }

    /** Sends one request; I/O failures (refused, timed out, reset) are thrown as they are. */
    Reply send(int port, String method, String path, byte[] body, int connectTimeoutMs, int readTimeoutMs)
            throws IOException {
        HttpsURLConnection c = (HttpsURLConnection) java.net.URI.create("https://127.0.0.1:" + port + path).toURL()
                .openConnection();
        c.setSSLSocketFactory(tls);
        c.setHostnameVerifier((host, session) -> true); // the certificate itself is pinned byte for byte
        c.setConnectTimeout(connectTimeoutMs);
        c.setReadTimeout(readTimeoutMs);
        c.setRequestMethod(method);
        c.setRequestProperty("Authorization", "Bearer " + token);
        c.setRequestProperty("Accept", "application/json");
        c.setRequestProperty("Connection", "close");
        try {
            if (body != null) {
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/json");
                c.setFixedLengthStreamingMode(body.length);
                try (OutputStream out = c.getOutputStream()) {
                    out.write(body);
                }
            }
            int status = c.getResponseCode();
            InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
            byte[] bytes = in == null ? new byte[0] : in.readAllBytes();
            if (in != null) {
                in.close();
            }
            return new Reply(status, bytes.length == 0 ? null : Json.tree(bytes));
        } finally {
            c.disconnect();
        }
    }
}

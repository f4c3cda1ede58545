package dev.understudy.dist.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.cert.Certificates;
import dev.understudy.common.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A benchmark's HTTPS client of one node's admin API: trusts exactly that home's tls/node.crt and
 * authenticates with its admin.token. Short timeouts: a stopped or killed node must not hold the
 * measurement up; connections are kept alive between polls.
 */
final class NodeClient {

    private static final int TIMEOUT_MS = 1_000;

    private final String base;
    private final String token;
    private final SSLSocketFactory tls;

    private NodeClient(String base, String token, SSLSocketFactory tls) {
        this.base = base;
        this.token = token;
        this.tls = tls;
    }

    static NodeClient of(Path home, int adminPort) throws IOException {
        X509Certificate cert = Certificates.readCertificate(home.resolve("tls").resolve("node.crt"));
        String token = Files.readString(home.resolve("admin.token"), StandardCharsets.US_ASCII).trim();
        try {
            byte[] pinned = cert.getEncoded();
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, new TrustManager[] {new X509TrustManager() {
                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                    if (chain == null || chain.length == 0 || !MessageDigest.isEqual(pinned, chain[0].getEncoded())) {
                        throw new CertificateException("the server's certificate is not " + home + "/tls/node.crt");
                    }
                }

                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                    throw new CertificateException("not a server");
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, null);
            return new NodeClient("https://127.0.0.1:" + adminPort, token, ssl.getSocketFactory());
        } catch (GeneralSecurityException e) {
            throw new IOException(home + "/tls/node.crt: not usable for TLS: " + e.getMessage(), e);
        }
    }

    /** GET /healthz: the HTTP status, or -1 when the node did not answer. */
    int healthz() {
        try {
            HttpsURLConnection c = open("/healthz");
            int code = c.getResponseCode();
            drain(c, code);
            return code;
        } catch (IOException e) {
            return -1;
        }
    }

    /** GET {@code path} (authenticated); fails unless 200. */
    JsonNode get(String path) throws IOException {
        HttpsURLConnection c = open(path);
        c.setRequestProperty("Authorization", "Bearer " + token);
        int code = c.getResponseCode();
        byte[] body = drain(c, code);
        if (code != 200) {
            throw new IOException("GET " + base + path + ": HTTP " + code);
        }
        return Json.tree(body);
    }

    private HttpsURLConnection open(String path) throws IOException {
        HttpsURLConnection c = (HttpsURLConnection) URI.create(base + path).toURL().openConnection();
        c.setSSLSocketFactory(tls);
        c.setConnectTimeout(TIMEOUT_MS);
        c.setReadTimeout(TIMEOUT_MS);
        return c;
    }

    /** Reads the whole body so that the connection can be reused for the next poll. */
    private static byte[] drain(HttpsURLConnection c, int code) throws IOException {
        try (InputStream in = code >= 400 ? c.getErrorStream() : c.getInputStream()) {
            return in == null ? new byte[0] : in.readAllBytes();
        }
    }
}

package dev.understudy.dist.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * Direct HTTPS calls to a node's admin API for process-level tests that poll often (a CLI call
 * starts a JVM). Trusts any server certificate: the tests talk to their own loopback nodes.
 */
public final class AdminProbe {

    private static final int CONNECT_TIMEOUT_MS = 1_000;
    private static final int READ_TIMEOUT_MS = 2_000;
    private static final SSLSocketFactory TRUST_ALL = trustAll();

    private AdminProbe() {}

    /** GET /healthz on 127.0.0.1:{@code adminPort}: the HTTP status, or -1 when nothing answered. */
    public static int healthz(int adminPort) {
        try {
            HttpsURLConnection c = open(adminPort, "/healthz");
            try {
                return c.getResponseCode();
            } finally {
                c.disconnect();
            }
        } catch (IOException e) {
            return -1;
        }
    }

    /** GET /api/v1/status with {@code home}/admin.token. */
    public static JsonNode status(int adminPort, Path home) throws IOException {
        return get(adminPort, home, "/api/v1/status");
    }

    /** GET {@code path} with {@code home}/admin.token; fails unless 200. */
    public static JsonNode get(int adminPort, Path home, String path) throws IOException {
        HttpsURLConnection c = open(adminPort, path);
        c.setRequestProperty("Authorization", "Bearer "
                + Files.readString(home.resolve("admin.token"), StandardCharsets.US_ASCII).trim());
        try {
            int code = c.getResponseCode();
            InputStream in = code < 400 ? c.getInputStream() : c.getErrorStream();
            String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (code != HttpURLConnection.HTTP_OK) {
                throw new IOException("GET " + path + " on port " + adminPort + ": HTTP " + code + " " + body);
            }
            return Json.tree(body);
        } finally {
            c.disconnect();
        }
    }

    private static HttpsURLConnection open(int adminPort, String path) throws IOException {
        HttpsURLConnection c = (HttpsURLConnection) URI.create("https://127.0.0.1:" + adminPort + path).toURL()
                .openConnection();
        c.setSSLSocketFactory(TRUST_ALL);
        c.setHostnameVerifier((host, session) -> true);
        c.setConnectTimeout(CONNECT_TIMEOUT_MS);
        c.setReadTimeout(READ_TIMEOUT_MS);
        c.setUseCaches(false);
        return c;
    }

    private static SSLSocketFactory trustAll() {
        try {
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, new TrustManager[] {dev.understudy.common.testing.RecordingTlsServer.trustEverything()}, null);
            return ssl.getSocketFactory();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}

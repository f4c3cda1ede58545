package dev.understudy.dist.bench;

import dev.understudy.dist.node.PinnedTls;
import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLSocketFactory;

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
        String token = Files.readString(home.resolve("admin.token"), StandardCharsets.US_ASCII).trim();
        return new NodeClient("https://127.0.0.1:" + adminPort, token,
                PinnedTls.trustOnly(home.resolve("tls").resolve("node.crt")));
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

package dev.understudy.dist.nemesis;

import dev.understudy.dist.node.PinnedTls;
import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLSocketFactory;

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
        this.tls = PinnedTls.trustOnly(home.resolve("tls").resolve("node.crt"));
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
        if (!method.equals("GET")) {
            c.setRequestProperty("Content-Type", "application/json"); // the node refuses other writes (CSRF rule)
        }
        try {
            if (body != null) {
                c.setDoOutput(true);
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

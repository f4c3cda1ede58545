package dev.understudy.dist.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.dist.client.AdminClient;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Direct HTTPS calls to a node's admin API for process-level tests that poll often (a CLI call
 * starts a JVM): the shared {@link AdminClient}, trusting exactly the home's tls/node.crt, with short
 * timeouts so that a paused or killed node does not hold a test up.
 */
public final class AdminProbe {

    private static final int TIMEOUT_MS = 2_000;
    /**
     * One client per node: each client has its own TLS socket factory, and the JDK keeps an idle keep-alive
     * connection per factory, so a new client per poll left dozens of idle connections open and ran into the
     * node's limit of 32 per source address.
     */
    private static final java.util.concurrent.ConcurrentHashMap<String, AdminClient> CLIENTS =
            new java.util.concurrent.ConcurrentHashMap<>();

    private AdminProbe() {}

    /** GET /healthz on 127.0.0.1:{@code adminPort}: the HTTP status, or -1 when nothing answered. */
    public static int healthz(int adminPort, Path home) {
        return client(adminPort, home).healthz();
    }

    /** GET /healthz?role=master on 127.0.0.1:{@code adminPort}: the HTTP status, or -1 when nothing answered. */
    public static int healthzMaster(int adminPort, Path home) {
        try {
            return client(adminPort, home).get("/healthz?role=master").status();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** GET /api/v1/status with {@code home}/admin.token. */
    public static JsonNode status(int adminPort, Path home) throws IOException {
        return get(adminPort, home, "/api/v1/status");
    }

    /** GET {@code path} with {@code home}/admin.token; fails unless 200. */
    public static JsonNode get(int adminPort, Path home, String path) throws IOException {
        AdminClient.Response r = client(adminPort, home).get(path);
        if (r.status() != 200) {
            throw new IOException("GET " + path + " on port " + adminPort + ": HTTP " + r.status() + " " + r.error());
        }
        return r.body();
    }

    private static AdminClient client(int adminPort, Path home) {
        return CLIENTS.computeIfAbsent(adminPort + " " + home.toAbsolutePath(), k -> AdminClient.https(home, adminPort,
                TIMEOUT_MS));
    }
}

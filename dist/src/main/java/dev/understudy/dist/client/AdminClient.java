package dev.understudy.dist.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.json.Json;
import dev.understudy.dist.node.PinnedTls;
import dev.understudy.dist.node.RunFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocketFactory;

/**
 * A client of one node's admin API (DESIGN.md §7). {@link #forHome} prefers the local admin socket
 * and falls back to HTTPS when there is none or nothing listens on it; {@link #https} talks to a given
 * admin port (benchmarks and tests that poll a node whose socket is not theirs to prefer). Every failure
 * is an {@link IOException} whose message is one line saying what happened and what to do.
 */
public final class AdminClient {

    /** Connect timeout of HTTPS. */
    public static final int CONNECT_TIMEOUT_MS = 2_000;
    /** A write may wait up to requestTimeout for the shadow's ack; leave room for that. */
    public static final int READ_TIMEOUT_MS = 30_000;

    /** An answer of the API; {@code body} is null when the answer had none. */
    public record Response(int status, JsonNode body) {

        /** The API's {@code error} message, else {@code HTTP <status>}. */
        public String error() {
            return body != null && body.hasNonNull("error") ? body.get("error").asText() : "HTTP " + status;
        }
    }

    private final Path home;
    private final String shownHome;
    private final Path socket;
    private final int timeoutMs;
    /** Set once HTTPS is needed: the local socket is missing or refused. */
    private Https https;
    private Integer httpsPort;

    private AdminClient(Path home, String shownHome, Path socket, Integer httpsPort, int timeoutMs) {
        this.home = home;
        this.shownHome = shownHome;
        this.socket = socket;
        this.httpsPort = httpsPort;
        this.timeoutMs = timeoutMs;
    }

    /**
     * A client of the node that runs from {@code home}; {@code shownHome} is how the user named it (used
     * in messages). Nothing is read or connected until the first request.
     */
    public static AdminClient forHome(NodeHome home, String shownHome) {
        return new AdminClient(home.root(), shownHome, home.adminSocket(), null, READ_TIMEOUT_MS);
    }

    /** A client of the HTTPS admin API of {@code home}'s node on {@code adminPort}, with one timeout for all. */
    public static AdminClient https(Path home, int adminPort, int timeoutMs) {
        return new AdminClient(home.toAbsolutePath(), home.toString(), null, adminPort, timeoutMs);
    }

    /** Where the last request went, or goes: the socket path or the HTTPS base URL. */
    public String endpoint() {
        return https != null ? https.base : socket != null && Files.exists(socket) ? socket.toString()
                : "https://127.0.0.1:" + (httpsPort == null ? "?" : httpsPort);
    }

    public Response get(String path) throws IOException {
        return send("GET", path, null);
    }

    public Response put(String path, JsonNode body) throws IOException {
        return send("PUT", path, Json.toBytes(body));
    }

    public Response post(String path, JsonNode body) throws IOException {
        return send("POST", path, body == null ? null : Json.toBytes(body));
    }

    public Response delete(String path) throws IOException {
        return send("DELETE", path, null);
    }

    /** The body of a 200 answer; any other status fails with the API's message. */
    public JsonNode ok(Response r) throws IOException {
        if (r.status() == 200) {
            return r.body();
        }
        if (r.status() == 401) {
            throw new IOException("the node at " + endpoint() + " refused the admin token (HTTP 401) (is "
                    + shownHome + "/admin.token the one of the running node?)");
        }
        throw new IOException(r.error());
    }

    /** GET /healthz without credentials: the HTTP status, or -1 when the node did not answer. */
    public int healthz() {
        try {
            return send("GET", "/healthz", null).status();
        } catch (IOException e) {
            return -1;
        }
    }

    /** One request; the answer whatever its status. */
    public Response send(String method, String path, byte[] body) throws IOException {
        if (https == null && socket != null && Files.exists(socket)) {
            Optional<Response> r = LocalHttp.exchange(socket, method, path, body, timeoutMs, shownHome);
            if (r.isPresent()) {
                return r.get();
            }
            // a socket file that nobody listens on: a node that died, or one that serves HTTPS only
        }
        return https().send(method, path, body);
    }

    private Https https() throws IOException {
        if (https == null) {
            NodeHome h = new NodeHome(home);
            int port;
            if (httpsPort != null) {
                port = httpsPort;
            } else {
                port = h.loadSettings().adminPort();
                Optional<RunFile> run = RunFile.read(h.root());
                if (run.isPresent() && (run.get().processAlive() || port == 0)) {
                    port = run.get().adminPort();
                }
                if (port == 0) {
                    throw new IOException("no node is running for " + h.root() + " (its admin port is chosen at start "
                            + "and there is no run.json; start it with `understudy run --home " + shownHome + "`)");
                }
            }
            https = new Https("https://127.0.0.1:" + port, h.readAdminToken(), PinnedTls.trustOnly(h.nodeCrt()));
        }
        return https;
    }

    /** HTTPS with the home's token, trusting exactly its certificate. */
    private final class Https {

        final String base;
        private final String token;
        private final SSLSocketFactory tls;

        Https(String base, String token, SSLSocketFactory tls) {
            this.base = base;
            this.token = token;
            this.tls = tls;
        }

        Response send(String method, String path, byte[] body) throws IOException {
            try {
                HttpsURLConnection c = (HttpsURLConnection) URI.create(base + path).toURL().openConnection();
                c.setSSLSocketFactory(tls);
                c.setConnectTimeout(Math.min(CONNECT_TIMEOUT_MS, timeoutMs));
                c.setReadTimeout(timeoutMs);
                c.setRequestMethod(method);
                c.setRequestProperty("Authorization", "Bearer " + token);
                c.setRequestProperty("Accept", "application/json");
                if (!method.equals("GET")) {
                    // the node takes state-changing requests only as JSON (its guard against cross-site browser requests)
                    c.setRequestProperty("Content-Type", "application/json");
                }
                if (body != null) {
                    c.setDoOutput(true);
                    c.setFixedLengthStreamingMode(body.length);
                    try (OutputStream out = c.getOutputStream()) {
                        out.write(body);
                    }
                }
                int status = c.getResponseCode();
                byte[] bytes;
                // the whole body is read so that the connection can be kept alive for the next request
                try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
                    bytes = in == null ? new byte[0] : in.readAllBytes();
                }
                return new Response(status, bytes.length == 0 ? null : Json.tree(bytes));
            } catch (ConnectException e) {
                throw new IOException("no node is running at " + base + " (start it with `understudy run --home "
                        + shownHome + "`)", e);
            } catch (SSLHandshakeException e) {
                throw new IOException(base + " did not present this home's certificate (expected: the one in "
                        + shownHome + "/tls/node.crt; is another node or program on that port?)", e);
            } catch (SSLException e) {
                throw new IOException("TLS with the node at " + base + " failed: " + e.getMessage()
                        + " (check the node's log)", e);
            } catch (SocketTimeoutException e) {
                throw new IOException("the node at " + base + " did not answer in time (" + e.getMessage()
                        + ") (check its log; it may be overloaded or stopped with SIGSTOP)", e);
            } catch (IOException e) {
                throw new IOException("talking to the node at " + base + " failed: " + e.getMessage()
                        + " (check that `understudy run --home " + shownHome + "` is running)", e);
            }
        }
    }

    static String ascii(byte[] b, int from, int to) {
        return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
    }
}

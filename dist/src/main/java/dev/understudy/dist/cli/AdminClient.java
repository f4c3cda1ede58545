package dev.understudy.dist.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.common.json.Json;
import dev.understudy.dist.node.PinnedTls;
import dev.understudy.dist.node.RunFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.util.Optional;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocketFactory;

/**
 * The CLI's side of the admin API: finds the running node of a home (run.json, else node.json's
 * adminPort), authenticates with admin.token, and trusts exactly that home's certificate
 * (tls/node.crt) — never any certificate. Deliberately plain JDK HTTPS: a CLI call must start fast.
 */
final class AdminClient {

    static final int CONNECT_TIMEOUT_MS = 2_000;
    /** A write may wait up to requestTimeout for the shadow's ack; leave room for that. */
    static final int READ_TIMEOUT_MS = 30_000;

    /** An answer of the API. */
    record Response(int status, JsonNode body) {}

    private final String shownHome;
    private final String base;
    private final String token;
    private final SSLSocketFactory tls;

    private AdminClient(String shownHome, String base, String token, SSLSocketFactory tls) {
        this.shownHome = shownHome;
        this.base = base;
        this.token = token;
        this.tls = tls;
    }

    /** A client for the node of {@code home}; fails (exit 1) with what to do when there is none. */
    static AdminClient forHome(HomeOption home) {
        NodeHome h = home.nodeHome();
        String shown = home.shown();
        try {
            NodeSettings settings = h.loadSettings();
            Optional<RunFile> run = RunFile.read(h.root());
            int port = settings.adminPort();
            if (run.isPresent() && (run.get().processAlive() || port == 0)) {
                port = run.get().adminPort();
            }
            if (port == 0) {
                throw CliException.failed("no node is running for " + h.root() + " (its admin port is chosen at start "
                        + "and there is no run.json; start it with `understudy run --home " + shown + "`)");
            }
            String token = h.readAdminToken();
            return new AdminClient(shown, "https://127.0.0.1:" + port, token, PinnedTls.trustOnly(h.nodeCrt()));
        } catch (IOException e) {
            throw CliException.failed(e.getMessage());
        }
    }

    String base() {
        return base;
    }

    Response get(String path) {
        return send("GET", path, null);
    }

    Response put(String path, JsonNode body) {
        return send("PUT", path, Json.toBytes(body));
    }

    Response post(String path, JsonNode body) {
        return send("POST", path, body == null ? null : Json.toBytes(body));
    }

    Response delete(String path) {
        return send("DELETE", path, null);
    }

    /** Like {@link #send} but any status other than 200 fails the command with the API's message. */
    JsonNode ok(Response r) {
        if (r.status() == 200) {
            return r.body();
        }
        String error = r.body() != null && r.body().hasNonNull("error") ? r.body().get("error").asText() : "HTTP " + r.status();
        if (r.status() == 401) {
            throw CliException.failed("the node at " + base + " refused the admin token (HTTP 401) (is "
                    + shownHome + "/admin.token the one of the running node?)");
        }
        throw CliException.failed(error);
    }

    Response send(String method, String path, byte[] body) {
        try {
            HttpsURLConnection c = (HttpsURLConnection) java.net.URI.create(base + path).toURL().openConnection();
            c.setSSLSocketFactory(tls);
            c.setConnectTimeout(CONNECT_TIMEOUT_MS);
            c.setReadTimeout(READ_TIMEOUT_MS);
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
            InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
            byte[] bytes = in == null ? new byte[0] : in.readAllBytes();
            if (in != null) {
                in.close();
            }
            JsonNode json = bytes.length == 0 ? null : Json.tree(bytes);
            return new Response(status, json);
        } catch (ConnectException e) {
            throw CliException.failed("no node is running at " + base + " (start it with `understudy run --home "
                    + shownHome + "`)");
        } catch (SSLHandshakeException e) {
            throw CliException.failed(base + " did not present this home's certificate (expected: the one in "
                    + shownHome + "/tls/node.crt; is another node or program on that port?)");
        } catch (SSLException e) {
            throw CliException.failed("TLS with the node at " + base + " failed: " + e.getMessage()
                    + " (check the node's log)");
        } catch (SocketTimeoutException e) {
            throw CliException.failed("the node at " + base + " did not answer in time (" + e.getMessage()
                    + ") (check its log; it may be overloaded or stopped with SIGSTOP)");
        } catch (IOException e) {
            throw CliException.failed("talking to the node at " + base + " failed: " + e.getMessage()
                    + " (check that `understudy run --home " + shownHome + "` is running)");
        }
    }

}

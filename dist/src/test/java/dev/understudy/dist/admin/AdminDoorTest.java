package dev.understudy.dist.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.json.Json;
import dev.understudy.dist.node.NodeRuntime;
import dev.understudy.dist.testing.TestHomes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin door against browsers and slow or greedy clients, over real HTTPS: the CSRF rules, the
 * security headers, the request deadline (slowloris, idle TLS) and the per-source connection cap.
 * The deadline and cap are checked on a second admin server of the same node with short limits.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class AdminDoorTest {

    static final Duration SHORT = Duration.ofMillis(1_500);

    @TempDir
    static Path dir;
    static NodeRuntime node;
    static AdminServer strict;
    static SSLContext tls;
    static HttpClient client;

    @BeforeAll
    static void start() throws Exception {
        TestHomes.master(dir.resolve("m"), "door");
        node = NodeRuntime.open(new NodeHome(dir.resolve("m")), Clock.system());
        node.start();
        strict = AdminServer.start(node, "127.0.0.1", 0, new AdminServer.Limits(SHORT, SHORT, 3, 512));
        tls = AdminServerTest.trusting(node.home().nodeCrt());
        client = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop() {
        if (strict != null) {
            strict.close();
        }
        if (node != null) {
            node.close();
        }
    }

    static String origin() {
        return "https://127.0.0.1:" + node.adminPort();
    }

    static HttpRequest.Builder put(String path, String contentType, String origin) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(origin() + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + node.adminToken());
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (origin != null) {
            b.header("Origin", origin);
        }
        return b;
    }

    static HttpResponse<String> send(HttpRequest r) throws IOException, InterruptedException {
        return client.send(r, HttpResponse.BodyHandlers.ofString());
    }

    // ------------------------------------------------------------------ CSRF

    @Test
    void aTextPlainCrossOriginPostIsRefusedAndChangesNothing() throws Exception {
        long before = node.store().revision();
        String ops = "{\"ops\":[{\"op\":\"put\",\"collection\":\"settings\",\"id\":\"csrf\",\"value\":\"pwned\"}]}";
        HttpResponse<String> r = send(put("/api/v1/config/changes", "text/plain", "https://evil.example")
                .POST(HttpRequest.BodyPublishers.ofString(ops)).build());
        assertThat(r.statusCode()).isEqualTo(415);
        assertThat(Json.tree(r.body()).path("error").asText())
                .isEqualTo("Content-Type: text/plain (expected: application/json on every POST, PUT and DELETE)");
        HttpResponse<String> form = send(put("/api/v1/ha/detach", "application/x-www-form-urlencoded", null)
                .POST(HttpRequest.BodyPublishers.ofString("a=b")).build());
        assertThat(form.statusCode()).isEqualTo(415);
        HttpResponse<String> none = send(put("/api/v1/config/settings/csrf", null, null).DELETE().build());
        assertThat(none.statusCode()).isEqualTo(415);
        assertThat(node.store().revision()).isEqualTo(before);
    }

    @Test
    void jsonFromAForeignOriginIsRefusedFromTheOwnOriginAccepted() throws Exception {
        long before = node.store().revision();
        HttpResponse<String> foreign = send(put("/api/v1/config/settings/origin", "application/json", "https://evil.example")
                .PUT(HttpRequest.BodyPublishers.ofString("\"x\"")).build());
        assertThat(foreign.statusCode()).isEqualTo(403);
        assertThat(Json.tree(foreign.body()).path("error").asText()).startsWith("Origin: https://evil.example (expected: "
                + "this node's own origin " + origin());
        HttpResponse<String> nullOrigin = send(put("/api/v1/config/settings/origin", "application/json", "null")
                .PUT(HttpRequest.BodyPublishers.ofString("\"x\"")).build());
        assertThat(nullOrigin.statusCode()).as("a sandboxed frame's origin").isEqualTo(403);
        assertThat(node.store().revision()).isEqualTo(before);

        HttpResponse<String> own = send(put("/api/v1/config/settings/origin", "application/json; charset=utf-8", origin())
                .PUT(HttpRequest.BodyPublishers.ofString("\"x\"")).build());
        assertThat(own.statusCode()).as(own.body()).isEqualTo(200);
        HttpResponse<String> script = send(put("/api/v1/config/settings/origin", "application/json", null)
                .PUT(HttpRequest.BodyPublishers.ofString("\"y\"")).build());
        assertThat(script.statusCode()).as("no Origin: a script or the CLI").isEqualTo(200);
        assertThat(node.store().revision()).isEqualTo(before + 2);
    }

    // ------------------------------------------------------------------ headers

    @Test
    void everyResponseCarriesHstsAndNosniffAndNoBasicChallenge() throws Exception {
        List<HttpResponse<String>> all = new ArrayList<>();
        all.add(send(HttpRequest.newBuilder(URI.create(origin() + "/healthz")).GET().build()));
        all.add(send(HttpRequest.newBuilder(URI.create(origin() + "/")).GET().build()));
        all.add(send(HttpRequest.newBuilder(URI.create(origin() + "/api/v1/status")).GET().build())); // 401
        all.add(send(put("/api/v1/status", "application/json", null).GET().build())); // 200
        all.add(send(put("/api/v1/nothing", "application/json", null).GET().build())); // 404
        all.add(send(put("/api/v1/config/changes", "text/plain", null).POST(HttpRequest.BodyPublishers.ofString("x")).build()));
        assertThat(all).extracting(HttpResponse::statusCode).containsExactly(200, 200, 401, 200, 404, 415);
        for (HttpResponse<String> r : all) {
            assertThat(r.headers().firstValue("Strict-Transport-Security")).as(r.uri().toString()).hasValue("max-age=31536000");
            assertThat(r.headers().firstValue("X-Content-Type-Options")).as(r.uri().toString()).hasValue("nosniff");
            assertThat(r.headers().firstValue("WWW-Authenticate")).as(r.uri().toString()).isEmpty();
        }
        // the aggregator's own 413 passes the same handler
        String tooLarge = raw(strict.port(), ("POST /api/v1/config/changes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + (AdminServer.MAX_BODY + 1) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        assertThat(tooLarge).startsWith("HTTP/1.1 413").containsIgnoringCase("strict-transport-security: max-age=31536000")
                .containsIgnoringCase("x-content-type-options: nosniff");
    }

    // ------------------------------------------------------------------ deadlines

    @Test
    void aSlowlorisHeaderIsClosedWithinTheRequestTimeout() throws Exception {
        try (SSLSocket s = tlsSocket(strict.port())) {
            OutputStream out = s.getOutputStream();
            out.write("GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long start = System.nanoTime();
            // keep trickling a byte every 300 ms, as slowloris does; the server must close anyway
            s.setSoTimeout(300);
            long closedAfter = -1;
            for (int i = 0; i < 40 && closedAfter < 0; i++) {
                try {
                    out.write('a');
                    out.flush();
                    if (s.getInputStream().read() == -1) {
                        closedAfter = System.nanoTime() - start;
                    }
                } catch (SocketTimeoutException e) {
                    // nothing yet; trickle on
                } catch (IOException e) {
                    closedAfter = System.nanoTime() - start; // reset or broken pipe: closed
                }
            }
            assertThat(closedAfter).as("closed at all within 12 s").isPositive();
            assertThat(Duration.ofNanos(closedAfter)).isBetween(SHORT.minusMillis(300), SHORT.plusSeconds(3));
        }
    }

    @Test
    void anIdleTlsConnectionIsClosedAndSoIsOneThatNeverHandshakes() throws Exception {
        try (SSLSocket s = tlsSocket(strict.port())) {
            long start = System.nanoTime();
            s.setSoTimeout(10_000);
            assertThat(readUntilClosed(s.getInputStream())).as("nothing but the close").isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(SHORT.minusMillis(300), SHORT.plusSeconds(3));
        }
        try (Socket plain = new Socket("127.0.0.1", strict.port())) {
            long start = System.nanoTime();
            plain.setSoTimeout(10_000);
            assertThat(plain.getInputStream().read()).as("closed without a handshake").isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(SHORT.plusSeconds(3));
        }
        // a keep-alive connection is served, then closed once idle for the timeout
        try (SSLSocket s = tlsSocket(strict.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long start = System.nanoTime();
            assertThat(readUntilClosed(s.getInputStream())).startsWith("HTTP/1.1 200");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(SHORT.minusMillis(300), SHORT.plusSeconds(3));
        }
    }

    // ------------------------------------------------------------------ connection cap

    @Test
    void aFourthConnectionFromTheSameAddressIsClosedAtOnce() throws Exception {
        List<SSLSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                held.add(tlsSocket(strict.port()));
            }
            try (Socket fourth = new Socket("127.0.0.1", strict.port())) {
                fourth.setSoTimeout(5_000);
                long start = System.nanoTime();
                assertThat(fourth.getInputStream().read()).isEqualTo(-1);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).as("refused at once, not timed out")
                        .isLessThan(Duration.ofMillis(1_000));
            }
            held.remove(0).close();
            // once one ends, a new one is served (the count went down; wait for the server to see the close)
            String answer = null;
            for (int i = 0; i < 50 && answer == null; i++) {
                answer = healthz(strict.port());
                if (answer == null) {
                    Thread.sleep(20);
                }
            }
            assertThat(answer).as("served after one connection closed").startsWith("HTTP/1.1 200");
        } finally {
            for (SSLSocket s : held) {
                s.close();
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    static SSLSocket tlsSocket(int port) throws IOException {
        SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", port);
        s.setSoTimeout(10_000);
        s.startHandshake();
        return s;
    }

    /** One GET /healthz on a new connection; null when the server closed it without answering. */
    static String healthz(int port) throws IOException {
        try (SSLSocket s = tlsSocket(port)) {
            s.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String got = readUntilClosed(s.getInputStream());
            return got.isEmpty() ? null : got;
        } catch (IOException e) {
            return null;
        }
    }

    static String raw(int port, byte[] request) throws IOException {
        try (SSLSocket s = tlsSocket(port)) {
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            return readUntilClosed(s.getInputStream());
        }
    }

    static String readUntilClosed(InputStream in) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        try {
            in.transferTo(got);
        } catch (javax.net.ssl.SSLException e) {
            // a close without close_notify: what was read stands
        }
        return got.toString(StandardCharsets.UTF_8);
    }
}

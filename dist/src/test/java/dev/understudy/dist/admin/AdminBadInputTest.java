package dev.understudy.dist.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.json.Json;
import dev.understudy.common.store.Head;
import dev.understudy.dist.node.NodeRuntime;
import dev.understudy.dist.testing.TestHomes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input at the admin API's door, over real HTTPS: each request gets a 4xx with a JSON
 * {@code {"error": ...}} that names what was wrong; afterwards the node still answers a valid
 * request, and neither the config revision/hash nor any file of the node's config store changed.
 */
class AdminBadInputTest {

    @TempDir
    static Path dir;
    static NodeRuntime master;
    static SSLContext tls;
    static HttpClient client;

    private Head headBefore;
    private Map<String, String> filesBefore;

    @BeforeAll
    static void start() throws Exception {
        TestHomes.master(dir.resolve("m"), "bad-input");
        master = NodeRuntime.open(new NodeHome(dir.resolve("m")), Clock.system());
        master.start();
        tls = AdminServerTest.trusting(master.home().nodeCrt());
        client = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop() {
        if (master != null) {
            master.close();
        }
    }

    @BeforeEach
    void remember() throws IOException {
        headBefore = master.store().head();
        filesBefore = configFiles();
    }

    /** Every bad request leaves state as it was, and the node still serves a good one. */
    @AfterEach
    void nothingDamagedAndStillServing() throws Exception {
        assertThat(master.store().head()).isEqualTo(headBefore);
        assertThat(configFiles()).isEqualTo(filesBefore);
        HttpResponse<String> ok = send(authed("/api/v1/status").GET().build());
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(json(ok).path("revision").asLong()).isEqualTo(headBefore.revision());
    }

    private static Map<String, String> configFiles() throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> files = Files.walk(master.home().configDir())) {
            for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                try {
                    m.put(p.getFileName().toString(), HexFormat.of().formatHex(
                            MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return m;
    }

    // ------------------------------------------------------------------ helpers

    static HttpRequest.Builder req(String path) {
        return HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + master.adminPort() + path))
                .timeout(Duration.ofSeconds(30));
    }

    static HttpRequest.Builder authed(String path) {
        return req(path).header("Authorization", "Bearer " + master.adminToken()).header("Content-Type", "application/json");
    }

    static HttpResponse<String> send(HttpRequest r) throws IOException, InterruptedException {
        return client.send(r, HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws IOException {
        return Json.tree(r.body());
    }

    /** A 4xx whose JSON error contains every fragment given. */
    static void assertError(HttpResponse<String> r, int status, String... fragments) throws IOException {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        String error = json(r).path("error").asText();
        assertThat(error).as(r.body()).isNotBlank().contains(fragments);
    }

    private static HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return send(authed(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static HttpResponse<String> put(String path, String body) throws IOException, InterruptedException {
        return send(authed(path).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static String mapping(String fields) {
        return "{\"ops\":[{\"op\":\"put\",\"collection\":\"mappings\",\"id\":\"web\",\"value\":{" + fields + "}}]}";
    }

    /** Sends raw bytes over TLS and returns what the server answered before closing. */
    private static String raw(byte[] request) throws IOException {
        try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", master.adminPort())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(request);
            out.flush();
            // with "Connection: close" the server ends the exchange itself; a TLS half-close here would race the
            // response (the server may process close_notify first and close without answering)
            if (!new String(request, StandardCharsets.US_ASCII).contains("\r\nConnection: close\r\n")) {
                s.shutdownOutput();
            }
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            s.getInputStream().transferTo(got);
            return got.toString(StandardCharsets.UTF_8);
        }
    }

    private static String rawJsonError(String response) throws IOException {
        int body = response.indexOf("\r\n\r\n");
        assertThat(body).as(response).isPositive();
        return Json.tree(response.substring(body + 4)).path("error").asText();
    }

    // ------------------------------------------------------------------ bodies

    @Test
    void malformedJson() throws Exception {
        assertError(post("/api/v1/config/changes", "{\"ops\": [{\"op\":"), 400, "request body: malformed JSON");
        assertError(put("/api/v1/config/settings/motd", "\"unterminated"), 400, "malformed JSON");
        assertError(post("/api/v1/config/changes", ""), 400, "request body");
    }

    @Test
    void hugeBodyIs413() throws Exception {
        byte[] huge = new byte[AdminServer.MAX_BODY + 1024];
        java.util.Arrays.fill(huge, (byte) ' ');
        huge[0] = '[';
        huge[huge.length - 1] = ']';
        HttpResponse<String> r;
        try {
            r = send(authed("/api/v1/config/changes").POST(HttpRequest.BodyPublishers.ofByteArray(huge)).build());
        } catch (IOException closedWhileSending) {
            // the server may answer and close before the client finished sending; the raw check below still holds
            r = null;
        }
        if (r != null) {
            assertError(r, 413, "request body: larger than");
        }
        String response = raw(("POST /api/v1/config/changes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + master.adminToken() + "\r\nConnection: close\r\nContent-Length: " + huge.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        assertThat(response).startsWith("HTTP/1.1 413");
        assertThat(rawJsonError(response)).contains("request body: larger than");
    }

    @Test
    void wrongJsonTypes() throws Exception {
        assertError(post("/api/v1/config/changes", "{\"ops\":5}"), 400, "ops");
        assertError(post("/api/v1/config/changes", "{\"ops\":[5]}"), 400, "ops");
        assertError(post("/api/v1/config/changes", "\"just a string\""), 400, "expected: a change set");
        assertError(post("/api/v1/config/changes",
                mapping("\"listenPort\":\"eighty\",\"backendHost\":\"10.0.0.1\",\"backendPort\":80")), 400, "listenPort");
        assertError(post("/api/v1/config/changes",
                mapping("\"listenPort\":8080,\"backendHost\":42,\"backendPort\":80")), 400, "backendHost");
        assertError(put("/api/v1/config/mappings/web", "[1,2,3]"), 400, "value", "expected: an object");
    }

    @Test
    void unknownFields() throws Exception {
        assertError(post("/api/v1/config/changes", "{\"ops\":[],\"sneaky\":true}"), 400, "sneaky");
        assertError(post("/api/v1/config/changes",
                "{\"ops\":[{\"op\":\"put\",\"collection\":\"settings\",\"id\":\"a\",\"value\":1,\"extra\":2}]}"), 400, "extra");
        assertError(post("/api/v1/config/changes",
                mapping("\"listenPort\":8080,\"backendHost\":\"10.0.0.1\",\"backendPort\":80,\"colour\":\"red\"")), 400, "colour");
    }

    @Test
    void invalidPorts() throws Exception {
        for (String port : new String[] {"0", "-1", "65536", "99999999999", "80.5"}) {
            assertError(post("/api/v1/config/changes",
                    mapping("\"listenPort\":" + port + ",\"backendHost\":\"10.0.0.1\",\"backendPort\":80")), 400, "listenPort");
            assertError(post("/api/v1/config/changes",
                    mapping("\"listenPort\":8080,\"backendHost\":\"10.0.0.1\",\"backendPort\":" + port)), 400, "backendPort");
        }
    }

    @Test
    void nonUtf8Body() throws Exception {
        byte[] bad = {'{', '"', 'o', 'p', 's', '"', ':', '[', '"', (byte) 0xff, (byte) 0xfe, (byte) 0xc3, '"', ']', '}'};
        HttpResponse<String> r = send(authed("/api/v1/config/changes").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bad)).build());
        assertError(r, 400, "request body");
        HttpResponse<String> put = send(authed("/api/v1/config/settings/motd")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[] {'"', (byte) 0xc0, (byte) 0x80, '"'})).build());
        assertError(put, 400, "request body");
    }

    // ------------------------------------------------------------------ paths

    @Test
    void pathTraversalInIds() throws Exception {
        for (String id : new String[] {"..%2Fx", "%2e%2e%2f", "%2e%2e%2fetc%2fpasswd", "a%2Fb", "%2E%2E", "..", "x%00y"}) {
            HttpResponse<String> r = put("/api/v1/config/settings/" + id, "1");
            // 400 (bad id) or 404 (no such path); never 401/403, which would say the path was understood and refused
            assertThat(r.statusCode()).as(id + " -> " + r.body()).isIn(400, 404);
            assertThat(json(r).path("error").asText()).as(id).isNotBlank();
            if (r.statusCode() == 400) {
                assertThat(json(r).path("error").asText()).as(id).contains("id");
            }
            HttpResponse<String> get = send(authed("/api/v1/config/settings/" + id).GET().build());
            assertThat(get.statusCode()).as(id + " GET -> " + get.body()).isIn(400, 404);
        }
        HttpResponse<String> up = send(authed("/api/v1/config/settings/../../../status").GET().build());
        assertThat(up.statusCode()).as(up.body()).isIn(400, 404);
        assertThat(Files.exists(master.home().root().resolve("x"))).isFalse();
        // java.net.URI refuses a bad escape, so it goes over a raw connection
        String badEscape = raw(("GET /api/v1/config/settings/%zz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + master.adminToken() + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        assertThat(badEscape).startsWith("HTTP/1.1 400");
        assertThat(rawJsonError(badEscape)).contains("malformed URL escape");
        assertError(post("/api/v1/config/changes",
                "{\"ops\":[{\"op\":\"put\",\"collection\":\"settings\",\"id\":\"../x\",\"value\":1}]}"), 400, "ops[0].id");
    }

    @Test
    void unknownCollection() throws Exception {
        assertError(put("/api/v1/config/widgets/x", "1"), 404, "widgets");
        assertError(post("/api/v1/config/changes",
                "{\"ops\":[{\"op\":\"put\",\"collection\":\"widgets\",\"id\":\"x\",\"value\":1}]}"), 400, "collection");
    }

    @Test
    void wrongMethods() throws Exception {
        HttpResponse<String> patch = send(authed("/api/v1/config/settings/motd")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("1")).build());
        assertError(patch, 405, "PATCH");
        assertThat(patch.headers().firstValue("Allow")).isPresent();
        assertError(send(authed("/api/v1/config/changes").PUT(HttpRequest.BodyPublishers.ofString("{}")).build()), 405, "PUT");
        assertError(send(authed("/api/v1/status").POST(HttpRequest.BodyPublishers.noBody()).build()), 405, "POST");
    }

    // ------------------------------------------------------------------ credentials

    @Test
    void missingOrWrongCredentials() throws Exception {
        assertError(send(req("/api/v1/config").GET().build()), 401, "authorization");
        assertError(send(req("/api/v1/config/settings/x").header("Authorization", "Bearer nope")
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString("1")).build()), 401, "");
        String basic = Base64.getEncoder().encodeToString(("admin:" + TestHomes.PASSWORD + "!").getBytes(StandardCharsets.UTF_8));
        assertError(send(req("/api/v1/status").header("Authorization", "Basic " + basic).GET().build()), 401, "");
        assertError(send(req("/api/v1/status").header("Authorization", "Basic !!!not-base64").GET().build()), 401, "");
        assertError(send(req("/api/v1/status").header("Authorization", "Digest abc").GET().build()), 401, "");
    }

    // ------------------------------------------------------------------ oversized request line and headers

    @Test
    void veryLongUrl() throws Exception {
        // "Connection: close": the client must not half-close TLS first (a close_notify ends the exchange, and the
        // answer, written off the I/O thread, could come after it); the server closes after answering anyway
        String response = raw(("GET /api/v1/config/settings/" + "a".repeat(100_000)
                + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        assertThat(response).as(response).matches("(?s)HTTP/1\\.1 4(00|14) .*");
        assertThat(rawJsonError(response)).isNotBlank();
    }

    @Test
    void veryLongHeader() throws Exception {
        String response = raw(("GET /api/v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer "
                + master.adminToken() + "\r\nX-Padding: " + "p".repeat(100_000) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        assertThat(response).as(response).matches("(?s)HTTP/1\\.1 4(00|31) .*");
        assertThat(rawJsonError(response)).isNotBlank();
    }
}

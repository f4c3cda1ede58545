package dev.understudy.dist.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.json.Json;
import dev.understudy.dist.node.NodeRuntime;
import dev.understudy.dist.testing.TestHomes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Base64;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;

/** The admin API over real HTTPS on loopback, against a real master and a real shadow node. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminServerTest {

    @TempDir
    static Path dir;
    static NodeRuntime master;
    static NodeRuntime shadow;
    static SSLContext masterTls;
    static SSLContext shadowTls;
    static HttpClient masterClient;
    static HttpClient shadowClient;

    @BeforeAll
    static void start() throws Exception {
        TestHomes.master(dir.resolve("m"), "m1");
        TestHomes.shadow(dir.resolve("s"), "s1", "10.9.9.9:8444");
        master = NodeRuntime.open(new NodeHome(dir.resolve("m")), Clock.system());
        master.start();
        shadow = NodeRuntime.open(new NodeHome(dir.resolve("s")), Clock.system());
        shadow.start();
        masterTls = trusting(master.home().nodeCrt());
        shadowTls = trusting(shadow.home().nodeCrt());
        masterClient = HttpClient.newBuilder().sslContext(masterTls).connectTimeout(Duration.ofSeconds(5)).build();
        shadowClient = HttpClient.newBuilder().sslContext(shadowTls).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop() {
        if (master != null) {
            master.close();
        }
        if (shadow != null) {
            shadow.close();
        }
    }

    static SSLContext trusting(Path crt) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(crt)) {
            ks.setCertificateEntry("node", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    static HttpRequest.Builder req(NodeRuntime node, String path) {
        return HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + node.adminPort() + path))
                .timeout(Duration.ofSeconds(30));
    }

    static HttpRequest.Builder authed(NodeRuntime node, String path) {
        return req(node, path).header("Authorization", "Bearer " + node.adminToken()).header("Content-Type", "application/json");
    }

    static HttpResponse<String> send(HttpClient c, HttpRequest r) throws IOException, InterruptedException {
        return c.send(r, HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws IOException {
        return Json.tree(r.body());
    }

    static HttpRequest.BodyPublisher body(String s) {
        return HttpRequest.BodyPublishers.ofString(s);
    }

    // ------------------------------------------------------------------ wrong use of the port

    @Test
    void plainHttpOnTheAdminPortIsRedirectedToHttps() throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", master.adminPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1:" + master.adminPort()
                    + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String reply = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(reply).startsWith("HTTP/1.1 301")
                    .contains("Location: https://127.0.0.1:" + master.adminPort() + "/api/v1/status");
        }
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", master.adminPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String reply = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(reply).as("no Host header: nowhere to redirect to").startsWith("HTTP/1.1 400")
                    .contains("HTTPS admin port of node m1", "https://127.0.0.1:" + master.adminPort() + "/");
        }
    }

    @Test
    void aHaHelloOnTheAdminPortIsAnsweredAtOnceWithTheHaPort() throws Exception {
        SSLContext trustAll = SSLContext.getInstance("TLS");
        trustAll.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
            @Override
            public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) {}

            @Override
            public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) {}

            @Override
            public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                return new java.security.cert.X509Certificate[0];
            }
        }}, null);
        try (var s = (javax.net.ssl.SSLSocket) trustAll.getSocketFactory().createSocket("127.0.0.1", master.adminPort())) {
            s.setSoTimeout(5_000);
            long t0 = System.nanoTime();
            s.getOutputStream().write(dev.understudy.ha.codec.HaMessageCodec.encode(new dev.understudy.ha.message.Bye(0,
                    "PROBE", "a frame like a shadow's HELLO")));
            s.getOutputStream().flush();
            byte[] reply = s.getInputStream().readAllBytes();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            String text = new String(reply, java.nio.charset.StandardCharsets.UTF_8);
            assertThat(text).startsWith("US").contains("WRONG_PORT").contains("this looks like an admin port")
                    .contains("the HA port is 127.0.0.1:" + master.status().path("haPort").asInt());
            assertThat(ms).as("answered at once, within connectTimeout").isLessThan(1000);
        }
    }

    // ------------------------------------------------------------------ authentication

    @Test
    void withoutCredentialsIs401WithoutABrowserChallenge() throws Exception {
        HttpResponse<String> r = send(masterClient, req(master, "/api/v1/status").GET().build());
        assertThat(r.statusCode()).isEqualTo(401);
        // WWW-Authenticate: Basic would make a browser ask and then cache the login for foreign pages' requests
        assertThat(r.headers().firstValue("WWW-Authenticate")).isEmpty();
        assertThat(json(r).path("error").asText()).contains("authorization");
    }

    @Test
    void wrongTokenIs401() throws Exception {
        HttpResponse<String> r = send(masterClient, req(master, "/api/v1/status")
                .header("Authorization", "Bearer " + master.adminToken() + "x").GET().build());
        assertThat(r.statusCode()).isEqualTo(401);
        HttpResponse<String> other = send(masterClient, req(master, "/api/v1/status")
                .header("Authorization", "Bearer " + shadow.adminToken()).GET().build());
        assertThat(other.statusCode()).isEqualTo(401);
    }

    @Test
    void tokenGivesStatus() throws Exception {
        HttpResponse<String> r = send(masterClient, authed(master, "/api/v1/status").GET().build());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        JsonNode s = json(r);
        assertThat(s.path("nodeId").asText()).isEqualTo("m1");
        assertThat(s.path("role").asText()).isEqualTo("master");
        assertThat(s.path("state").asText()).isEqualTo("ACTIVE_ALONE");
        for (String f : new String[] {"epoch", "revision", "configHash", "peer", "settings", "replicated"}) {
            assertThat(s.has(f)).as(f).isTrue();
        }
        for (String f : new String[] {"nodeId", "address", "state", "revision", "lagRevisions", "lastHeartbeatMillisAgo"}) {
            assertThat(s.path("peer").has(f)).as("peer." + f).isTrue();
        }
        JsonNode sh = json(send(shadowClient, authed(shadow, "/api/v1/status").GET().build()));
        assertThat(sh.path("role").asText()).isEqualTo("shadow");
        assertThat(sh.path("state").asText()).isEqualTo("DETACHED");
        assertThat(sh.path("peer").path("address").asText()).isEqualTo("10.9.9.9:8444");
    }

    @Test
    void basicAuthWithAnAdminUser() throws Exception {
        String good = "Basic " + Base64.getEncoder().encodeToString(("admin:" + TestHomes.PASSWORD).getBytes(StandardCharsets.UTF_8));
        String bad = "Basic " + Base64.getEncoder().encodeToString("admin:not-the-password".getBytes(StandardCharsets.UTF_8));
        String nobody = "Basic " + Base64.getEncoder().encodeToString(("nobody:" + TestHomes.PASSWORD).getBytes(StandardCharsets.UTF_8));
        assertThat(send(masterClient, req(master, "/api/v1/status").header("Authorization", good).GET().build()).statusCode())
                .isEqualTo(200);
        // a second time answers from the verification cache; still correct
        assertThat(send(masterClient, req(master, "/api/v1/alerts").header("Authorization", good).GET().build()).statusCode())
                .isEqualTo(200);
        assertThat(send(masterClient, req(master, "/api/v1/status").header("Authorization", bad).GET().build()).statusCode())
                .isEqualTo(401);
        assertThat(send(masterClient, req(master, "/api/v1/status").header("Authorization", nobody).GET().build()).statusCode())
                .isEqualTo(401);
        assertThat(send(masterClient, req(master, "/api/v1/status").header("Authorization", "Basic !!!").GET().build()).statusCode())
                .isEqualTo(401);
    }

    @Test
    void aChangedPasswordHashInvalidatesTheCache() throws Exception {
        Authenticator auth = new Authenticator("token", new dev.understudy.common.auth.AdminCredentials(master.store()),
                dev.understudy.common.auth.LoginGuard.standard(Clock.system(), master.alerts()));
        String good = "Basic " + Base64.getEncoder().encodeToString(("admin:" + TestHomes.PASSWORD).getBytes(StandardCharsets.UTF_8));
        assertThat(authenticate(auth, good)).isTrue();
        String newHash = dev.understudy.common.home.PasswordHasher.hash("another-password".toCharArray());
        master.write(dev.understudy.common.config.ChangeSet.of(dev.understudy.common.config.ChangeOp.put(
                dev.understudy.common.config.ConfigCollection.USERS, "admin", Json.object().put("passwordHash", newHash))));
        assertThat(authenticate(auth, good)).isFalse();
        String changed = "Basic " + Base64.getEncoder().encodeToString("admin:another-password".getBytes(StandardCharsets.UTF_8));
        assertThat(authenticate(auth, changed)).isTrue();
        assertThat(authenticate(auth, "Bearer token")).isTrue();
        assertThat(authenticate(auth, "Bearer toke")).isFalse();
        assertThat(authenticate(auth, null)).isFalse();
    }

    private static boolean authenticate(Authenticator auth, String header) {
        return auth.authenticate(header, "192.0.2.1", dev.understudy.common.auth.LoginGuard.Door.ADMIN_API).ok();
    }

    // ------------------------------------------------------------------ writes

    @Test
    void invalidChangeSetIs400AndChangesNothing() throws Exception {
        long before = master.store().revision();
        String ops = "{\"ops\":[{\"op\":\"put\",\"collection\":\"mappings\",\"id\":\"m\",\"value\":"
                + "{\"listenPort\":70000,\"backendHost\":\"b\",\"backendPort\":80}}]}";
        HttpResponse<String> r = send(masterClient, authed(master, "/api/v1/config/changes").POST(body(ops)).build());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).path("error").asText()).isEqualTo("ops[0].value.listenPort: 70000 (expected: a port 1..65535)");
        assertThat(master.store().revision()).isEqualTo(before);
    }

    @Test
    void validChangeSetCommitsOneNewRevision() throws Exception {
        long before = master.store().revision();
        String ops = "{\"ops\":[{\"op\":\"put\",\"collection\":\"mappings\",\"id\":\"api-web\",\"value\":"
                + "{\"listenPort\":18080,\"backendHost\":\"10.0.0.2\",\"backendPort\":80}},"
                + "{\"op\":\"put\",\"collection\":\"settings\",\"id\":\"api-motd\",\"value\":\"hi\"}]}";
        HttpResponse<String> r = send(masterClient, authed(master, "/api/v1/config/changes").POST(body(ops)).build());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode j = json(r);
        assertThat(j.path("revision").asLong()).isGreaterThan(before);
        assertThat(j.path("replicated").asBoolean(true)).isFalse();
        assertThat(master.store().revision()).isEqualTo(j.path("revision").asLong());
        JsonNode v = json(send(masterClient, authed(master, "/api/v1/config/settings/api-motd").GET().build()));
        assertThat(v.asText()).isEqualTo("hi");
    }

    @Test
    void putAndDeleteOneEntry() throws Exception {
        HttpResponse<String> put = send(masterClient, authed(master, "/api/v1/config/settings/put-del")
                .PUT(body("{\"a\":1}")).build());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        assertThat(json(send(masterClient, authed(master, "/api/v1/config/settings").GET().build()))
                .path("put-del").path("a").asInt()).isEqualTo(1);
        HttpResponse<String> del = send(masterClient, authed(master, "/api/v1/config/settings/put-del").DELETE().build());
        assertThat(del.statusCode()).isEqualTo(200);
        assertThat(send(masterClient, authed(master, "/api/v1/config/settings/put-del").GET().build()).statusCode())
                .isEqualTo(404);
        HttpResponse<String> again = send(masterClient, authed(master, "/api/v1/config/settings/put-del").DELETE().build());
        assertThat(again.statusCode()).isEqualTo(400);
        assertThat(json(again).path("error").asText()).contains("expected: an existing settings entry");
    }

    @Test
    void wholeConfigHidesPasswordHashes() throws Exception {
        HttpResponse<String> r = send(masterClient, authed(master, "/api/v1/config").GET().build());
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode j = json(r);
        assertThat(j.has("revision")).isTrue();
        assertThat(j.has("configHash")).isTrue();
        assertThat(j.has("mappings")).isTrue();
        assertThat(j.has("settings")).isTrue();
        assertThat(j.path("users").toString()).contains("admin");
        assertThat(r.body()).doesNotContain("pbkdf2").doesNotContain("passwordHash");
        assertThat(send(masterClient, authed(master, "/api/v1/config/users").GET().build()).body()).doesNotContain("pbkdf2");
        assertThat(send(masterClient, authed(master, "/api/v1/config/users/admin").GET().build()).body()).doesNotContain("pbkdf2");
    }

    @Test
    void writesOnTheShadowAre409WithTheMaster() throws Exception {
        long before = shadow.store().revision();
        HttpResponse<String> r = send(shadowClient, authed(shadow, "/api/v1/config/settings/x").PUT(body("1")).build());
        assertThat(r.statusCode()).isEqualTo(409);
        // never connected, so its master's admin URL is not known yet: the HA address and where to find the URL
        assertThat(json(r).path("error").asText()).startsWith("this node is the shadow; write to the master at HA address"
                + " 10.9.9.9:8444").contains("`understudy status` there shows its admin URL");
        assertThat(json(r).path("master").asText()).isEqualTo("10.9.9.9:8444");
        assertThat(shadow.store().revision()).isEqualTo(before);
        // reads still work on the shadow
        assertThat(send(shadowClient, authed(shadow, "/api/v1/config").GET().build()).statusCode()).isEqualTo(200);
    }

    // ------------------------------------------------------------------ health, errors

    @Test
    void healthzNeedsNoAuthAndSaysWhoIsActive() throws Exception {
        HttpResponse<String> m = send(masterClient, req(master, "/healthz").GET().build());
        assertThat(m.statusCode()).isEqualTo(200);
        assertThat(json(m).path("active").asBoolean()).isTrue();
        HttpResponse<String> s = send(shadowClient, req(shadow, "/healthz").GET().build());
        assertThat(s.statusCode()).isEqualTo(503);
        assertThat(json(s).path("active").asBoolean(true)).isFalse();
    }

    @Test
    void unknownPathIs404AndWrongMethodIs405() throws Exception {
        HttpResponse<String> nf = send(masterClient, authed(master, "/api/v1/nothing").GET().build());
        assertThat(nf.statusCode()).isEqualTo(404);
        assertThat(json(nf).path("error").asText()).contains("/api/v1/nothing");
        assertThat(send(masterClient, req(master, "/elsewhere").GET().build()).statusCode()).isEqualTo(404);
        assertThat(send(masterClient, authed(master, "/api/v1/config/widgets").GET().build()).statusCode()).isEqualTo(404);
        HttpResponse<String> na = send(masterClient, authed(master, "/api/v1/status").DELETE().build());
        assertThat(na.statusCode()).isEqualTo(405);
        assertThat(na.headers().firstValue("Allow")).hasValue("GET");
        assertThat(send(masterClient, authed(master, "/api/v1/config/changes").GET().build()).statusCode()).isEqualTo(405);
        assertThat(send(masterClient, authed(master, "/api/v1/alerts/77777/ack").POST(body("")).build()).statusCode())
                .isEqualTo(404);
    }

    @Test
    void malformedJsonIs400WithAClearMessage() throws Exception {
        HttpResponse<String> r = send(masterClient, authed(master, "/api/v1/config/changes").POST(body("{\"ops\": [")).build());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).path("error").asText()).startsWith("request body: malformed JSON");
        HttpResponse<String> notSet = send(masterClient, authed(master, "/api/v1/config/changes").POST(body("[1,2]")).build());
        assertThat(notSet.statusCode()).isEqualTo(400);
        assertThat(json(notSet).path("error").asText()).contains("expected: a change set");
        HttpResponse<String> unknownField = send(masterClient, authed(master, "/api/v1/config/changes")
                .POST(body("{\"ops\":[],\"extra\":1}")).build());
        assertThat(unknownField.statusCode()).isEqualTo(400);
    }

    @Test
    void oversizedBodyIs413WithJson() throws Exception {
        assertThat(rawOversized("")).startsWith("HTTP/1.1 413").contains("\"error\":\"request body: larger than");
    }

    @Test
    void oversizedBodyWithExpectContinueIs413WithJsonBeforeTheBodyIsSent() throws Exception {
        assertThat(rawOversized("Expect: 100-continue\r\n")).startsWith("HTTP/1.1 413")
                .contains("\"error\":\"request body: larger than");
    }

    /** Sends only the headers of a request announcing a body over the limit; returns all the server answers. */
    private static String rawOversized(String extraHeaders) throws IOException {
        try (SSLSocket s = (SSLSocket) masterTls.getSocketFactory().createSocket("127.0.0.1", master.adminPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /api/v1/config/changes HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                    + master.adminToken() + "\r\nContent-Type: application/json\r\n" + extraHeaders + "Content-Length: "
                    + (AdminServer.MAX_BODY + 1) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            s.getInputStream().transferTo(got); // the server answers and closes
            return got.toString(StandardCharsets.UTF_8);
        }
    }
}

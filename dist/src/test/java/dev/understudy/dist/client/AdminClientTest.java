package dev.understudy.dist.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.json.Json;
import dev.understudy.dist.node.NodeRuntime;
import dev.understudy.dist.testing.TestHomes;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The shared admin client against a real node: the local admin socket, and HTTPS where there is none. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminClientTest {

    @TempDir
    Path dir;

    private NodeRuntime startMaster(String id) throws IOException {
        TestHomes.master(dir.resolve(id), id);
        NodeRuntime node = NodeRuntime.open(new NodeHome(dir.resolve(id)), Clock.system());
        node.start();
        return node;
    }

    @Test
    void theLocalSocketServesTheApiWithoutTokenAndIsOnlyTheOwnersAndGoneAfterStop() throws IOException {
        NodeRuntime node = startMaster("local-1");
        Path sock = node.home().adminSocket();
        try {
            assertThat(sock).exists();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sock))).isEqualTo("rw-------");
            // no token at all: the file's permission is the credential
            Files.delete(node.home().adminToken());
            AdminClient c = AdminClient.forHome(node.home(), "home");
            JsonNode status = c.ok(c.get("/api/v1/status"));
            assertThat(status.path("nodeId").asText()).isEqualTo("local-1");
            assertThat(c.endpoint()).isEqualTo(sock.toString());

            JsonNode put = c.ok(c.put("/api/v1/config/settings/motd", Json.mapper().valueToTree("over the socket")));
            assertThat(put.path("revision").asLong()).isEqualTo(node.store().revision());
            assertThat(c.ok(c.get("/api/v1/config")).path("settings").path("motd").asText()).isEqualTo("over the socket");

            AdminClient.Response missing = c.get("/api/v1/config/nosuch/x");
            assertThat(missing.status()).isEqualTo(404);
            assertThat(missing.error()).contains("nosuch");
        } finally {
            node.close();
        }
        assertThat(sock).doesNotExist();
    }

    @Test
    void aSocketFileNobodyListensOnFallsBackToHttpsWithTheToken() throws IOException {
        NodeRuntime node = startMaster("stale-1");
        Path sock = node.home().adminSocket();
        try {
            // what a node killed with -9 leaves: the file, with nothing listening on it
            Files.delete(sock);
            ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            dead.bind(UnixDomainSocketAddress.of(sock));
            dead.close();
            assertThat(sock).exists();

            AdminClient c = AdminClient.forHome(node.home(), "home");
            assertThat(c.ok(c.get("/api/v1/status")).path("nodeId").asText()).isEqualTo("stale-1");
            assertThat(c.endpoint()).isEqualTo("https://127.0.0.1:" + node.adminPort());
        } finally {
            node.close();
        }
    }

    @Test
    void aNodeStartedOverAStaleSocketServesOnAFreshOne() throws IOException {
        TestHomes.master(dir.resolve("restart-1"), "restart-1");
        Path sock = dir.resolve("restart-1").resolve("admin.sock");
        ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        dead.bind(UnixDomainSocketAddress.of(sock));
        dead.close();
        NodeRuntime node = NodeRuntime.open(new NodeHome(dir.resolve("restart-1")), Clock.system());
        node.start();
        try {
            AdminClient c = AdminClient.forHome(node.home(), "home");
            assertThat(c.ok(c.get("/api/v1/status")).path("nodeId").asText()).isEqualTo("restart-1");
            assertThat(c.endpoint()).isEqualTo(sock.toString());
        } finally {
            node.close();
        }
    }

    @Test
    void aNodeThatAcceptsButNeverAnswersTimesOutWithWhatToDo() throws IOException {
        Path sock = dir.resolve("paused.sock");
        try (ServerSocketChannel paused = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            paused.bind(UnixDomainSocketAddress.of(sock));
            // the kernel accepts into the backlog, as for a node stopped with SIGSTOP
            assertThatThrownBy(() -> LocalHttp.exchange(sock, "GET", "/api/v1/status", null, 300, "h"))
                    .isInstanceOf(IOException.class)
                    .hasMessage("the node at " + sock + " did not answer within 300 ms (check its log; it may be "
                            + "overloaded or stopped with SIGSTOP)");
        }
    }

    @Test
    void aTruncatedAnswerIsAnErrorNotAnEmptyBody() throws Exception {
        Path sock = dir.resolve("half.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            Thread t = new Thread(() -> {
                try (SocketChannel ch = server.accept()) {
                    // the whole request first: closing with unread bytes would reset the connection
                    ByteBuffer req = ByteBuffer.allocate(4096);
                    while (!StandardCharsets.US_ASCII.decode(req.duplicate().flip()).toString().endsWith("\r\n\r\n")) {
                        if (ch.read(req) < 0) {
                            return;
                        }
                    }
                    ch.write(ByteBuffer.wrap("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"nodeId\":".getBytes(
                            StandardCharsets.US_ASCII)));
                } catch (IOException e) {
                    // the test fails on the client side then
                }
            });
            t.start();
            assertThatThrownBy(() -> LocalHttp.exchange(sock, "GET", "/api/v1/status", null, 5_000, "h"))
                    .isInstanceOf(IOException.class)
                    .hasMessage("the node at " + sock + " closed the connection after 10 of the 50 bytes of its answer "
                            + "(check its log)");
            t.join(5_000);
        }
    }
}

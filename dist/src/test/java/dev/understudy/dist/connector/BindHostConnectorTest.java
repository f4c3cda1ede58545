package dev.understudy.dist.connector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.understudy.common.config.Mapping;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * node.json's dataPlaneBindHost: two connectors on one machine, one on 127.0.0.2 and one on 127.0.0.3, serve
 * the same replicated mapping (listenHost 0.0.0.0, one port) side by side, as two active-active nodes do.
 */
class BindHostConnectorTest {

    private EventLoopGroup boss;
    private EventLoopGroup worker;
    private Connector a;
    private Connector b;
    private TestBackend backend;

    @BeforeEach
    void start() throws IOException {
        boss = new NioEventLoopGroup(1);
        worker = new NioEventLoopGroup(2);
        a = new Connector(boss, worker, Duration.ofSeconds(2), new ConnectorMetrics(), "127.0.0.2");
        b = new Connector(boss, worker, Duration.ofSeconds(2), new ConnectorMetrics(), "127.0.0.3");
        backend = TestBackend.echo("");
    }

    @AfterEach
    void stop() throws Exception {
        a.stopAll().get(10, TimeUnit.SECONDS);
        b.stopAll().get(10, TimeUnit.SECONDS);
        backend.close();
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        worker.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void twoNodesServeTheSameMappingPortOnTheirOwnAddresses() throws Exception {
        int port = ConnectorTest.freePort();
        // the wildcard listenHost would make the second bind fail without the override
        List<Mapping> replicated = List.of(new Mapping("db", Mapping.DEFAULT_LISTEN_HOST, port, "127.0.0.1", backend.port(), null));
        a.apply(replicated).get(10, TimeUnit.SECONDS);
        b.apply(replicated).get(10, TimeUnit.SECONDS);

        assertThat(a.bindErrors()).isEmpty();
        assertThat(b.bindErrors()).isEmpty();
        assertThat(echo("127.0.0.2", port, "via a")).isEqualTo("via a");
        assertThat(echo("127.0.0.3", port, "via b")).isEqualTo("via b");
        assertThat(a.metrics().mapping("db").orElseThrow().accepted()).isEqualTo(1);
        assertThat(b.metrics().mapping("db").orElseThrow().accepted()).isEqualTo(1);
        // nothing listens on the mapping's own listenHost any more
        assertThatThrownBy(() -> echo("127.0.0.1", port, "x")).isInstanceOf(ConnectException.class);

        // one node stopping leaves the other serving
        a.stopAll().get(10, TimeUnit.SECONDS);
        assertThatThrownBy(() -> echo("127.0.0.2", port, "x")).isInstanceOf(ConnectException.class);
        assertThat(echo("127.0.0.3", port, "still b")).isEqualTo("still b");
    }

    private static String echo(String host, int port, String text) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write((text + "\n").getBytes(StandardCharsets.US_ASCII));
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                got.write(c);
            }
            return got.toString(StandardCharsets.US_ASCII);
        }
    }
}

package dev.understudy.dist.connector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.understudy.common.config.Mapping;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ConnectorTest {

    private static final String LOOPBACK = "127.0.0.1";
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    private static final int MiB = 1024 * 1024;

    private EventLoopGroup boss;
    private EventLoopGroup worker;
    private Connector connector;
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();

    /** The transport under test: NIO here, native epoll in {@link EpollConnectorTest}. */
    EventLoopGroup newGroup(int threads) {
        return new NioEventLoopGroup(threads);
    }

    @BeforeEach
    void start() {
        boss = newGroup(1);
        worker = newGroup(2);
        connector = new Connector(boss, worker, CONNECT_TIMEOUT);
    }

    @AfterEach
    void stop() throws Exception {
        connector.stopAll().get(10, TimeUnit.SECONDS);
        for (AutoCloseable c : cleanup) {
            c.close();
        }
        pool.shutdownNow();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        worker.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void relaysSixteenMiBIntactBothWays() throws Exception {
        TestBackend echo = backend(TestBackend.echo(""));
        int port = freePort();
        apply(mapping("m", port, echo.port()));
        byte[] payload = random(16 * MiB, 1);

        byte[] back = exchange(port, payload);

        assertThat(sha(back)).isEqualTo(sha(payload));
        ConnectorMetrics.Counters c = connector.metrics().mapping("m").orElseThrow();
        assertThat(c.bytesClientToBackend()).isEqualTo(16L * MiB);
        assertThat(c.bytesBackendToClient()).isEqualTo(16L * MiB);
        assertThat(c.accepted()).isEqualTo(1);
        assertThat(connector.metrics().total().bytesClientToBackend()).isEqualTo(16L * MiB);
        await().atMost(Duration.ofSeconds(5)).until(() -> c.active() == 0);
    }

    @Test
    void fiftyConcurrentStreamsStayIntact() throws Exception {
        TestBackend echo = backend(TestBackend.echo(""));
        int port = freePort();
        apply(mapping("m", port, echo.port()));
        List<Future<Boolean>> results = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            byte[] payload = random(256 * 1024, 100 + i);
            results.add(pool.submit(() -> Arrays.equals(sha(exchange(port, payload)), sha(payload))));
        }
        for (Future<Boolean> r : results) {
            assertThat(r.get(60, TimeUnit.SECONDS)).isTrue();
        }
        ConnectorMetrics.Counters c = connector.metrics().mapping("m").orElseThrow();
        assertThat(c.accepted()).isEqualTo(50);
        assertThat(c.bytesClientToBackend()).isEqualTo(50L * 256 * 1024);
        assertThat(c.bytesBackendToClient()).isEqualTo(50L * 256 * 1024);
    }

    @Test
    void clientEndingItsOutputStillReceivesTheWholeResponse() throws Exception {
        TestBackend backend = backend(TestBackend.digestAfterEof(3 * MiB));
        int port = freePort();
        apply(mapping("m", port, backend.port()));
        byte[] request = random(MiB, 2);

        try (Socket s = connect(port)) {
            s.getOutputStream().write(request);
            s.shutdownOutput(); // the backend answers only after it sees the end of the request
            byte[] answer = s.getInputStream().readAllBytes();

            assertThat(answer).hasSize(32 + 3 * MiB);
            assertThat(Arrays.copyOfRange(answer, 0, 32)).isEqualTo(sha(request));
            assertThat(Arrays.copyOfRange(answer, 32, answer.length)).isEqualTo(TestBackend.pattern(3 * MiB));
        }
    }

    @Test
    void slowClientStallsTheBackendInsteadOfFillingTheHeap() throws Exception {
        long total = 64L * MiB;
        AtomicLong written = new AtomicLong();
        TestBackend producer = backend(TestBackend.producer(total, written));
        int port = freePort();
        apply(mapping("m", port, producer.port()));

        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(64 * 1024);
            s.connect(new InetSocketAddress(LOOPBACK, port), 5000);
            s.setSoTimeout(30_000);
            // Read nothing until the backend cannot write any more.
            long[] last = {-1, 0};
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
                long now = written.get();
                last[1] = now == last[0] && now > 0 ? last[1] + 1 : 0;
                last[0] = now;
                return last[1] >= 2 || now == total;
            });

            // Without backpressure the connector would read all 64 MiB into its heap and the backend would finish.
            assertThat(written.get()).as("bytes the backend could write while the client read nothing")
                    .isLessThan(total);
            long pending = 0;
            for (Channel ch : connector.listener("m").connections()) {
                ChannelOutboundBuffer buf = ch.unsafe().outboundBuffer();
                pending += buf == null ? 0 : buf.totalPendingWriteBytes();
            }
            assertThat(pending).as("bytes held in the connector's write buffers").isLessThanOrEqualTo(2L * MiB);

            // Once the client reads, everything arrives.
            byte[] expected = TestBackend.pattern(64 * 1024);
            byte[] chunk = new byte[64 * 1024];
            InputStream in = s.getInputStream();
            long received = 0;
            boolean intact = true;
            int n;
            while ((n = in.read(chunk)) >= 0) {
                for (int i = 0; i < n; i++) {
                    intact &= chunk[i] == expected[(int) ((received + i) % expected.length)];
                }
                received += n;
            }
            assertThat(received).isEqualTo(total);
            assertThat(intact).isTrue();
        }
    }

    @Test
    void refusedBackendClosesTheClientAndIsCounted() throws Exception {
        int deadBackend = freePort();
        int port = freePort();
        apply(mapping("m", port, deadBackend));

        try (Socket s = connect(port)) {
            s.setSoTimeout((int) CONNECT_TIMEOUT.toMillis());
            assertThat(readToEndOrReset(s.getInputStream())).isEqualTo(0);
        }
        ConnectorMetrics.Counters c = connector.metrics().mapping("m").orElseThrow();
        await().atMost(Duration.ofSeconds(5)).until(() -> c.failed() == 1 && c.active() == 0);
        assertThat(connector.metrics().total().failed()).isEqualTo(1);
    }

    @Test
    void backendThatNeverAnswersTimesOutAndClosesTheClient() throws Exception {
        // A server whose accept queue is full drops new SYNs, so a connect to it neither succeeds nor is refused.
        ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        cleanup.add(full);
        List<Socket> fillers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Socket f = new Socket();
            f.connect(new InetSocketAddress(LOOPBACK, full.getLocalPort()), 2000);
            fillers.add(f);
            cleanup.add(f);
        }
        Socket probe = new Socket();
        cleanup.add(probe);
        try {
            probe.connect(new InetSocketAddress(LOOPBACK, full.getLocalPort()), 300);
            org.junit.jupiter.api.Assumptions.abort("this kernel accepts connections beyond the backlog; cannot make a silent backend");
        } catch (java.net.SocketTimeoutException expected) {
            // the backend is silent: good
        }
        connector.stopAll().get(10, TimeUnit.SECONDS);
        connector = new Connector(boss, worker, Duration.ofMillis(500));
        int port = freePort();
        apply(mapping("m", port, full.getLocalPort()));

        try (Socket s = connect(port)) {
            s.setSoTimeout(5000);
            long t0 = System.nanoTime();
            assertThat(readToEndOrReset(s.getInputStream())).isEqualTo(0);
            long tookMillis = (System.nanoTime() - t0) / 1_000_000;
            assertThat(tookMillis).isBetween(300L, 3000L);
        }
        ConnectorMetrics.Counters c = connector.metrics().mapping("m").orElseThrow();
        await().atMost(Duration.ofSeconds(5)).until(() -> c.failed() == 1);
    }

    @Test
    void mappingChangesApplyLive() throws Exception {
        TestBackend one = backend(TestBackend.echo("one\n"));
        TestBackend two = backend(TestBackend.echo("two\n"));
        int portA = freePort();
        int portB = freePort();

        // add A
        apply(mapping("a", portA, one.port()));
        Socket kept = connect(portA);
        cleanup.add(kept);
        assertThat(line(kept)).isEqualTo("one");

        // add B: A's open connection is untouched
        apply(mapping("a", portA, one.port()), mapping("b", portB, two.port()));
        try (Socket s = connect(portB)) {
            assertThat(line(s)).isEqualTo("two");
        }
        assertThat(echoes(kept, "still a")).isTrue();

        // remove B: its port refuses connections once apply completes
        apply(mapping("a", portA, one.port()));
        assertRefused(portB);
        assertThat(connector.metrics().mapping("b")).isEmpty();

        // change A's backend: new connections reach the new backend; the open one keeps its old backend
        apply(mapping("a", portA, two.port()));
        try (Socket s = connect(portA)) {
            assertThat(line(s)).isEqualTo("two");
        }
        assertThat(echoes(kept, "old backend")).isTrue();
        assertThat(one.accepted.get()).isEqualTo(1);

        // change A's listen port: the old port refuses, its connections are closed, the new port serves
        int portA2 = freePort();
        apply(mapping("a", portA2, two.port()));
        assertRefused(portA);
        kept.setSoTimeout(5000);
        assertThat(readToEndOrReset(kept.getInputStream())).isEqualTo(0);
        try (Socket s = connect(portA2)) {
            assertThat(line(s)).isEqualTo("two");
        }
        assertThat(connector.status()).singleElement().satisfies(st -> {
            assertThat(st.id()).isEqualTo("a");
            assertThat(st.bound()).isTrue();
            assertThat(st.boundPort()).isEqualTo(portA2);
            assertThat(st.backendPort()).isEqualTo(two.port());
            assertThat(st.error()).isNull();
        });
    }

    @Test
    void stopAllClosesEveryListenerAndConnection() throws Exception {
        TestBackend echo = backend(TestBackend.echo("hi\n"));
        int portA = freePort();
        int portB = freePort();
        apply(mapping("a", portA, echo.port()), mapping("b", portB, echo.port()));
        assertThat(connector.serving()).isTrue();
        Socket open = connect(portA);
        cleanup.add(open);
        assertThat(line(open)).isEqualTo("hi");

        connector.stopAll().get(5, TimeUnit.SECONDS);

        assertThat(connector.serving()).isFalse();
        assertThat(connector.status()).isEmpty();
        assertRefused(portA);
        assertRefused(portB);
        open.setSoTimeout(5000);
        assertThat(readToEndOrReset(open.getInputStream())).isEqualTo(0);
        await().atMost(Duration.ofSeconds(5)).until(() -> connector.metrics().total().active() == 0);

        // a node promoted again serves again
        apply(mapping("a", portA, echo.port()));
        try (Socket s = connect(portA)) {
            assertThat(line(s)).isEqualTo("hi");
        }
    }

    @Test
    void applyingRightAfterStopAllServesTheSamePortsAgain() throws Exception {
        TestBackend echo = backend(TestBackend.echo("again\n"));
        int port = freePort();
        apply(mapping("a", port, echo.port()));

        CompletableFuture<Void> stopped = connector.stopAll();
        CompletableFuture<Void> applied = connector.apply(List.of(mapping("a", port, echo.port())));
        applied.get(10, TimeUnit.SECONDS);

        assertThat(stopped).isDone();
        assertThat(connector.bindErrors()).isEmpty();
        try (Socket s = connect(port)) {
            assertThat(line(s)).isEqualTo("again");
        }
    }

    @Test
    void aPortInUseIsReportedWithoutStoppingOtherMappingsAndRetriedOnNextApply() throws Exception {
        TestBackend echo = backend(TestBackend.echo("ok\n"));
        ServerSocket squatter = new ServerSocket(0, 50, InetAddress.getByName(LOOPBACK));
        int busy = squatter.getLocalPort();
        int free = freePort();

        apply(mapping("busy", busy, echo.port()), mapping("free", free, echo.port()));

        assertThat(connector.bindErrors()).containsOnlyKeys("busy");
        assertThat(connector.bindErrors().get("busy")).contains("cannot listen on 127.0.0.1:" + busy);
        assertThat(connector.status("busy").bound()).isFalse();
        assertThat(connector.status("free").bound()).isTrue();
        assertThat(connector.serving()).isTrue();
        try (Socket s = connect(free)) {
            assertThat(line(s)).isEqualTo("ok");
        }

        squatter.close();
        apply(mapping("busy", busy, echo.port()), mapping("free", free, echo.port()));
        assertThat(connector.bindErrors()).isEmpty();
        try (Socket s = connect(busy)) {
            assertThat(line(s)).isEqualTo("ok");
        }
    }

    @Test
    void aListenPortOutOfRangeIsAnErrorOfThatMappingOnly() throws Exception {
        TestBackend echo = backend(TestBackend.echo("fine\n"));
        int free = freePort();

        apply(mapping("bad", 70000, echo.port()), mapping("good", free, echo.port()));

        assertThat(connector.bindErrors()).containsOnlyKeys("bad");
        assertThat(connector.bindErrors().get("bad")).contains("listenPort: 70000 (expected: 1..65535)");
        try (Socket s = connect(free)) {
            assertThat(line(s)).isEqualTo("fine");
        }
    }

    @Test
    void duplicateIdsAreRejected() {
        assertThatThrownBy(() -> connector.apply(List.of(mapping("x", 1, 2), mapping("x", 3, 4))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("mapping id: x (expected: each id once)");
    }

    // ---- helpers

    /**
     * Issue #9 item 7: a mapping that forwards into the node's own listener (validation refuses that on
     * write, but a host name resolving to this node or a wildcard listener reached by an interface address
     * could still make one) must not multiply connections; once, one connection made 18,552 descriptors
     * in 2 s. Each variant: the client is closed, exactly one connection was accepted, nothing else.
     */
    @Test
    void aBackendThatIsOurOwnListenerIsRefusedNotLooped() throws Exception {
        int self = freePort();
        int a = freePort();
        int b = freePort();
        apply(new Mapping("self", "0.0.0.0", self, "localhost", self, null), // itself, by name, via the wildcard
                new Mapping("a", LOOPBACK, a, LOOPBACK, b, null), // a -> b -> a
                new Mapping("b", LOOPBACK, b, LOOPBACK, a, null));
        for (int port : new int[] {self, a}) {
            try (Socket s = new Socket(LOOPBACK, port)) {
                s.setSoTimeout(10_000);
                assertThat(s.getInputStream().read()).as("the looping connection is closed at once").isEqualTo(-1);
            }
        }
        ConnectorMetrics.Counters selfCounters = connector.metrics().mapping("self").orElseThrow();
        ConnectorMetrics.Counters aCounters = connector.metrics().mapping("a").orElseThrow();
        ConnectorMetrics.Counters bCounters = connector.metrics().mapping("b").orElseThrow();
        await().atMost(Duration.ofSeconds(5)).until(() -> selfCounters.active() == 0 && aCounters.active() == 0);
        assertThat(selfCounters.accepted()).as("no second connection into itself").isEqualTo(1);
        assertThat(selfCounters.failed()).isEqualTo(1);
        assertThat(aCounters.accepted()).isEqualTo(1);
        assertThat(aCounters.failed()).isEqualTo(1);
        assertThat(bCounters.accepted()).as("the connection never reached the second hop").isZero();
        assertThat(connector.metrics().total().accepted()).isEqualTo(2);
    }

    @Test
    void aBackendOnTheSamePortOfAnotherMachineIsStillForwarded() throws Exception {
        // the port a listener holds is not refused as such: only a target that is one of our sockets is
        TestBackend echo = backend(TestBackend.echo(""));
        int port = freePort();
        apply(new Mapping("m", "127.0.0.2", echo.port(), LOOPBACK, echo.port(), null),
                mapping("other", port, echo.port()));
        byte[] payload = random(1024, 7);
        assertThat(exchange(port, payload)).isEqualTo(payload);
    }

    private void apply(Mapping... mappings) throws Exception {
        connector.apply(List.of(mappings)).get(10, TimeUnit.SECONDS);
    }

    private static Mapping mapping(String id, int listenPort, int backendPort) {
        return new Mapping(id, LOOPBACK, listenPort, LOOPBACK, backendPort, null);
    }

    private TestBackend backend(TestBackend b) {
        cleanup.add(b);
        return b;
    }

    /** A port nothing listens on right now (bound by the OS, then released). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
            return s.getLocalPort();
        }
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(LOOPBACK, port), 5000);
        s.setSoTimeout(30_000);
        return s;
    }

    private static void assertRefused(int port) {
        assertThatThrownBy(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(LOOPBACK, port), 5000);
            }
        }).isInstanceOf(ConnectException.class);
    }

    /** Sends {@code payload} while reading, ends output, and returns everything read until the end. */
    private byte[] exchange(int port, byte[] payload) throws Exception {
        try (Socket s = connect(port)) {
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    for (int off = 0; off < payload.length; off += 64 * 1024) {
                        out.write(payload, off, Math.min(64 * 1024, payload.length - off));
                    }
                    s.shutdownOutput();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, pool);
            byte[] back = s.getInputStream().readAllBytes();
            sent.get(30, TimeUnit.SECONDS);
            return back;
        }
    }

    private static String line(Socket s) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            b.write(c);
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    private static boolean echoes(Socket s, String text) throws IOException {
        s.getOutputStream().write((text + "\n").getBytes(StandardCharsets.US_ASCII));
        return line(s).equals(text);
    }

    /** Reads until the end of the stream or a reset; returns how many bytes were read. */
    private static int readToEndOrReset(InputStream in) throws IOException {
        int n = 0;
        try {
            while (in.read() >= 0) {
                n++;
            }
        } catch (SocketException reset) {
            // a reset is a close too
        }
        return n;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] sha(byte[] b) {
        MessageDigest d = TestBackend.sha256();
        return d.digest(b);
    }
}

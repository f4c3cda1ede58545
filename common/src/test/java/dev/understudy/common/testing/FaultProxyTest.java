package dev.understudy.common.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class FaultProxyTest {

    private static final String LOOPBACK = "127.0.0.1";
    private static final int SILENCE_MILLIS = 300;

    private EchoServer echo;
    private FaultProxy proxy;
    private final List<Socket> clients = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        echo = new EchoServer();
        proxy = FaultProxy.start(LOOPBACK, 0, LOOPBACK, echo.port());
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : clients) {
            s.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        echo.close();
    }

    @Test
    void passesOneMebibyteThroughIntactBothWays() throws Exception {
        byte[] sent = new byte[1024 * 1024];
        new Random(42).nextBytes(sent);
        Socket s = connect();

        // Write from another thread: the echo comes back while we are still sending.
        CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
            try {
                s.getOutputStream().write(sent);
                s.getOutputStream().flush();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        byte[] received = s.getInputStream().readNBytes(sent.length);
        writing.get(20, TimeUnit.SECONDS);

        assertThat(received).isEqualTo(sent);
        await(() -> proxy.bytesToClient() == sent.length, "bytesToClient == 1 MiB");
        assertThat(proxy.bytesToTarget()).isEqualTo(sent.length);
        assertThat(proxy.connectionsAccepted()).isEqualTo(1);
        assertThat(proxy.chunksDropped()).isZero();
    }

    @Test
    void partitionSilencesAnExistingConnectionWithoutClosingIt() throws Exception {
        Socket s = connect();
        assertEchoes(s, "before");

        proxy.partition();
        s.getOutputStream().write("during".getBytes());
        s.setSoTimeout(SILENCE_MILLIS);

        // Silence, not a close: the read times out instead of returning -1 or throwing a reset.
        assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
        assertThat(proxy.bytesToTarget()).isEqualTo("before".length());
        assertThat(proxy.activeConnections()).isEqualTo(1);
    }

    @Test
    void partitionHoldsBackACloseFromTheOtherSide() throws Exception {
        Socket s = connect();
        assertEchoes(s, "before");
        proxy.partition();

        echo.closeAll();

        // No FIN crosses a partition: the client still sees silence, not end of stream.
        s.setSoTimeout(SILENCE_MILLIS);
        assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
    }

    @Test
    void partitionAcceptsNewConnectionsSilentlyAndHealRestoresNewOnes() throws Exception {
        proxy.partition();
        Socket during = connect();
        during.getOutputStream().write("hello?".getBytes());
        during.setSoTimeout(SILENCE_MILLIS);
        assertThatThrownBy(() -> during.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
        assertThat(echo.accepted()).isZero();

        proxy.heal();

        assertEchoes(connect(), "after heal");
        assertThat(echo.accepted()).isEqualTo(1);
    }

    @Test
    void healResetsConnectionsThatLivedThroughThePartition() throws Exception {
        Socket s = connect();
        assertEchoes(s, "before");
        proxy.partition();
        s.getOutputStream().write("held".getBytes());

        proxy.heal();

        s.setSoTimeout(5_000);
        assertClosedByPeer(s);
        await(() -> proxy.activeConnections() == 0, "no active connection after heal");
        assertThat(proxy.bytesToTarget()).isEqualTo("before".length());
    }

    @Test
    void refuseResetsNewConnectionsButKeepsExistingOnes() throws Exception {
        Socket existing = connect();
        assertEchoes(existing, "one");

        proxy.refuse(true);

        assertRefused();
        assertEchoes(existing, "two");
        assertThat(proxy.connectionsRefused()).isEqualTo(1);

        proxy.refuse(false);
        assertEchoes(connect(), "three");
    }

    @Test
    void resetAllResetsExistingConnections() throws Exception {
        Socket s = connect();
        assertEchoes(s, "before");

        proxy.resetAll();

        s.setSoTimeout(5_000);
        assertClosedByPeer(s);
        assertEchoes(connect(), "new connections still work");
    }

    @Test
    void delayAddsLatencyInBothDirections() throws Exception {
        Socket s = connect();
        assertEchoes(s, "warm up");
        Duration delay = Duration.ofMillis(200);

        proxy.delay(delay);
        long start = System.nanoTime();
        assertEchoes(s, "x");
        long roundTrip = System.nanoTime() - start;

        // Delayed once on the way to the echo server and once on the way back.
        assertThat(roundTrip).isGreaterThanOrEqualTo(2 * delay.toNanos());

        proxy.delay(Duration.ZERO);
        assertEchoes(s, "after delay removed");
    }

    @Test
    void delayPreservesOrder() throws Exception {
        Socket s = connect();
        proxy.delay(Duration.ofMillis(20));
        OutputStream out = s.getOutputStream();
        byte[] expected = new byte[200];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (byte) i;
            out.write(i);
            out.flush();
        }

        assertThat(s.getInputStream().readNBytes(expected.length)).isEqualTo(expected);
    }

    @Test
    void dropProbabilityOneDropsEverythingAndCountsIt() throws Exception {
        Socket s = connect();
        proxy.seed(7);
        proxy.dropProbability(1.0);

        s.getOutputStream().write("lost".getBytes());
        s.setSoTimeout(SILENCE_MILLIS);
        assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);

        assertThat(proxy.chunksDropped()).isGreaterThanOrEqualTo(1);
        assertThat(proxy.bytesToTarget()).isZero();

        proxy.dropProbability(0.0);
        s.setSoTimeout(5_000);
        assertEchoes(s, "kept");
    }

    @Test
    void seededDropsFollowTheSeedsRandomSequence() throws Exception {
        // A target that answers nothing, so that only the client-to-target direction draws from the seed.
        try (EchoServer sink = new EchoServer(false)) {
            proxy.close();
            proxy = FaultProxy.start(LOOPBACK, 0, LOOPBACK, sink.port());
            proxy.seed(7);
            proxy.dropProbability(0.5);
            Socket s = connect();

            Random expected = new Random(7);
            int drops = 0;
            for (int i = 0; i < 40; i++) {
                s.getOutputStream().write(i);
                s.getOutputStream().flush();
                int events = i + 1;
                // One byte per chunk: wait until this byte was forwarded or dropped before sending the next.
                await(() -> proxy.bytesToTarget() + proxy.chunksDropped() == events, "byte " + i + " handled");
                boolean dropped = expected.nextDouble() < 0.5;
                drops += dropped ? 1 : 0;
                assertThat(proxy.chunksDropped()).as("drops after byte %d", i).isEqualTo(drops);
            }
            assertThat(drops).isBetween(1, 39);
        }
    }

    @Test
    void rejectsOutOfRangeSettings() {
        assertThatThrownBy(() -> proxy.dropProbability(1.5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("dropProbability: 1.5 (expected: 0.0..1.0)");
        assertThatThrownBy(() -> proxy.delay(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("delay: PT-0.001S (expected: >= 0)");
        assertThatThrownBy(() -> FaultProxy.start(LOOPBACK, 0, LOOPBACK, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("targetPort: 0 (expected: 1..65535)");
    }

    @Test
    void connectionsBeyondTheCapAreReset() throws Exception {
        proxy.close();
        proxy = FaultProxy.start(LOOPBACK, 0, LOOPBACK, echo.port(), 2);
        Socket first = connect();
        Socket second = connect();
        assertEchoes(first, "1");
        assertEchoes(second, "2");

        assertRefused();

        first.close();
        await(() -> proxy.activeConnections() == 1, "first connection released");
        assertEchoes(connect(), "3");
    }

    @Test
    void unreachableTargetResetsTheClient() throws Exception {
        int deadPort;
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
            deadPort = ss.getLocalPort();
        }
        proxy.close();
        proxy = FaultProxy.start(LOOPBACK, 0, LOOPBACK, deadPort);

        assertRefused();
        assertThat(proxy.connectionsRefused()).isEqualTo(1);
    }

    @Test
    void targetClosingClosesTheClient() throws Exception {
        Socket s = connect();
        assertEchoes(s, "bye");
        s.setSoTimeout(5_000);

        echo.closeAll();

        assertThat(s.getInputStream().read()).isEqualTo(-1);
    }

    @Test
    void closeReleasesThePortAndClosesConnections() throws Exception {
        Socket s = connect();
        assertEchoes(s, "before close");
        int port = proxy.port();

        proxy.close();

        s.setSoTimeout(5_000);
        assertClosedByPeer(s);
        String prefix = "fault-proxy-" + port + "-";
        assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(t -> t.isAlive() && (t.getName().startsWith(prefix)
                        || t.getName().equals("fault-proxy-accept-" + port)));
        try (ServerSocket rebound = new ServerSocket()) {
            rebound.setReuseAddress(true);
            rebound.bind(new InetSocketAddress(InetAddress.getByName(LOOPBACK), port));
            assertThat(rebound.getLocalPort()).isEqualTo(port);
        }
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        clients.add(s);
        s.connect(new InetSocketAddress(LOOPBACK, proxy.port()), 5_000);
        s.setTcpNoDelay(true);
        s.setSoTimeout(10_000);
        return s;
    }

    /** A new connection must fail: refused or reset during connect, or reset on first read. */
    private void assertRefused() throws IOException {
        Socket s = new Socket();
        clients.add(s);
        try {
            s.connect(new InetSocketAddress(LOOPBACK, proxy.port()), 5_000);
        } catch (SocketException e) {
            // ConnectException, or "Connection reset by peer" when the RST beats connect's return.
            return;
        }
        s.setSoTimeout(5_000);
        assertClosedByPeer(s);
    }

    private static void assertClosedByPeer(Socket s) {
        try {
            int b = s.getInputStream().read();
            assertThat(b).as("read after the peer closed").isEqualTo(-1);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("connection still open: read timed out", e);
        } catch (IOException e) {
            assertThat(e).isInstanceOf(SocketException.class);
        }
    }

    private static void assertEchoes(Socket s, String text) throws IOException {
        byte[] bytes = text.getBytes();
        s.getOutputStream().write(bytes);
        s.getOutputStream().flush();
        assertThat(new String(s.getInputStream().readNBytes(bytes.length))).isEqualTo(text);
    }

    /** Waits for a counter that is updated just after the bytes it counts were written. */
    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 5 s: " + what);
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
    }

    /** Echoes every byte back on each accepted connection, one thread per connection. */
    private static final class EchoServer implements AutoCloseable {
        private final ServerSocket server;
        private final Thread acceptor;
        private final List<Socket> sockets = new ArrayList<>();
        private final List<Thread> threads = new ArrayList<>();

        private final boolean echoing;

        EchoServer() throws IOException {
            this(true);
        }

        /** With {@code echoing == false}, reads and discards everything. */
        EchoServer(boolean echoing) throws IOException {
            this.echoing = echoing;
            server = new ServerSocket(0, 50, InetAddress.getByName(LOOPBACK));
            acceptor = new Thread(this::acceptLoop, "echo-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        synchronized int accepted() {
            return sockets.size();
        }

        private void acceptLoop() {
            while (true) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException e) {
                    return;
                }
                Thread t = new Thread(() -> echo(s), "echo-" + s.getPort());
                t.setDaemon(true);
                synchronized (this) {
                    sockets.add(s);
                    threads.add(t);
                }
                t.start();
            }
        }

        private void echo(Socket s) {
            byte[] buf = new byte[8192];
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (echoing) {
                        out.write(buf, 0, n);
                        out.flush();
                    }
                }
            } catch (IOException e) {
                // Reset or closed by the test: stop echoing.
            }
        }

        synchronized void closeAll() throws IOException {
            for (Socket s : sockets) {
                s.close();
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            closeAll();
            List<Thread> all;
            synchronized (this) {
                all = new ArrayList<>(threads);
            }
            all.add(acceptor);
            for (Thread t : all) {
                try {
                    t.join(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}

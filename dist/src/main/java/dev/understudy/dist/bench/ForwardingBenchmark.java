package dev.understudy.dist.bench;

import dev.understudy.common.concurrent.Futures;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.config.Mapping;
import dev.understudy.common.json.Json;
import dev.understudy.dist.connector.Connector;
import dev.understudy.dist.connector.DataPlaneTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.DataInputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Measures what the connector costs, side by side in one run on loopback: bulk throughput and connection
 * rate straight to a local backend versus through a mapping of a {@link Connector}.
 *
 * <p>Throughput: one connection sends {@code transferMiB} to a sink that answers the byte count once the
 * sender ends its output; the time is from connect to that answer. Connection rate: one client in a loop
 * opens a connection, sends 64 bytes, reads them back from an echo backend and closes. Each repetition
 * measures direct then mapped; a first, shorter repetition warms up and is not counted. Figures are
 * medians over repetitions (throughput, rate) and percentiles over every connection (latency).
 */
public final class ForwardingBenchmark {

    private static final int SMALL = 64;
    private static final Clock CLOCK = Clock.system();

    private ForwardingBenchmark() {
    }

    /**
     * How much to measure.
     *
     * @param repetitions              counted repetitions (after one warm-up)
     * @param transferMiB              bytes per bulk transfer, in MiB
     * @param connectionsPerRepetition connections opened per repetition and path
     */
    public record Options(int repetitions, int transferMiB, int connectionsPerRepetition) {
        public Options {
            if (repetitions < 1) {
                throw new IllegalArgumentException("repetitions: " + repetitions + " (expected: >= 1)");
            }
            if (transferMiB < 1) {
                throw new IllegalArgumentException("transferMiB: " + transferMiB + " (expected: >= 1)");
            }
            if (connectionsPerRepetition < 1) {
                throw new IllegalArgumentException(
                        "connectionsPerRepetition: " + connectionsPerRepetition + " (expected: >= 1)");
            }
        }

        /** What {@code main} runs: well under a minute on a small machine. */
        public static Options defaults() {
            return new Options(9, 128, 600);
        }
    }

    /** The measured figures; MB is 10^6 bytes. */
    public record Figures(
            @JsonProperty("repetitions") int repetitions,
            @JsonProperty("transferMiB") int transferMiB,
            @JsonProperty("connectionsPerRepetition") int connectionsPerRepetition,
            @JsonProperty("directThroughputMBps") double directThroughputMBps,
            @JsonProperty("mappedThroughputMBps") double mappedThroughputMBps,
            @JsonProperty("directThroughputWorstMBps") double directThroughputWorstMBps,
            @JsonProperty("mappedThroughputWorstMBps") double mappedThroughputWorstMBps,
            @JsonProperty("throughputRatio") double throughputRatio,
            @JsonProperty("throughputRatioPairedMedian") double throughputRatioPairedMedian,
            @JsonProperty("directConnectionsPerSecond") double directConnectionsPerSecond,
            @JsonProperty("mappedConnectionsPerSecond") double mappedConnectionsPerSecond,
            @JsonProperty("connectionRateRatio") double connectionRateRatio,
            @JsonProperty("connectionRateRatioPairedMedian") double connectionRateRatioPairedMedian,
            @JsonProperty("directConnectionP50Micros") double directConnectionP50Micros,
            @JsonProperty("mappedConnectionP50Micros") double mappedConnectionP50Micros,
            @JsonProperty("directConnectionP99Micros") double directConnectionP99Micros,
            @JsonProperty("mappedConnectionP99Micros") double mappedConnectionP99Micros,
            @JsonProperty("connectorCpuMBps") double connectorCpuMBps,
            @JsonProperty("connectorCpuMicrosPerConnection") double connectorCpuMicrosPerConnection,
            @JsonProperty("backendCpuMicrosPerConnection") double backendCpuMicrosPerConnection,
            @JsonProperty("transport") String transport,
            @JsonProperty("haproxyThroughputMBps") double haproxyThroughputMBps,
            @JsonProperty("haproxyConnectionsPerSecond") double haproxyConnectionsPerSecond,
            @JsonProperty("haproxyConnectionP50Micros") double haproxyConnectionP50Micros,
            @JsonProperty("haproxyConnectionP99Micros") double haproxyConnectionP99Micros,
            @JsonProperty("throughputVsHaproxy") double throughputVsHaproxy) {

        /** Whether the mapped throughput reaches DESIGN.md §8's target of 60% of direct. */
        public boolean meetsThroughputTarget() {
            return throughputRatio >= 0.6;
        }

        /** Whether HAProxy was found and measured in the same run (otherwise its figures are NaN). */
        public boolean haproxyMeasured() {
            return !Double.isNaN(haproxyThroughputMBps);
        }

        /** A human-readable table. */
        public String toText() {
            return String.format(Locale.ROOT, """
                    connector forwarding benchmark (loopback, %d repetitions, %d MiB per transfer, %d connections per repetition, %s)
                                               direct      mapped     ratio
                    throughput median MB/s  %10.1f  %10.1f   %6.1f%%  (target >= 60%%: %s)
                    throughput worst  MB/s  %10.1f  %10.1f
                    throughput ratio, median of the per-repetition ratios:  %6.1f%%
                    connections/s median    %10.0f  %10.0f   %6.1f%%
                    connections/s ratio, median of the per-repetition ratios:  %6.1f%%
                    connection p50 us       %10.0f  %10.0f
                    connection p99 us       %10.0f  %10.0f
                    connector CPU cost: %.0f MB relayed per CPU-second (its capacity on one free core), %.0f us CPU per connection
                    (for scale: the echo backend, a plain Netty server, spends %.0f us CPU per direct connection)
                    (the figures above are wall time and shift with other load on the machine; the CPU cost does not)
                    HAProxy (tcp mode, 1 thread, same run): %s
                    """,
                    repetitions, transferMiB, connectionsPerRepetition, transport,
                    directThroughputMBps, mappedThroughputMBps, 100 * throughputRatio,
                    meetsThroughputTarget() ? "met" : "NOT met",
                    directThroughputWorstMBps, mappedThroughputWorstMBps, 100 * throughputRatioPairedMedian,
                    directConnectionsPerSecond, mappedConnectionsPerSecond, 100 * connectionRateRatio,
                    100 * connectionRateRatioPairedMedian,
                    directConnectionP50Micros, mappedConnectionP50Micros,
                    directConnectionP99Micros, mappedConnectionP99Micros,
                    connectorCpuMBps, connectorCpuMicrosPerConnection, backendCpuMicrosPerConnection,
                    haproxyMeasured() ? String.format(Locale.ROOT,
                            "throughput median %.1f MB/s (mapped = %.2fx, target >= 1.5x), %.0f connections/s, p50 %.0f us,"
                                    + " p99 %.0f us", haproxyThroughputMBps, throughputVsHaproxy,
                            haproxyConnectionsPerSecond, haproxyConnectionP50Micros, haproxyConnectionP99Micros)
                            : "not measured (haproxy not on PATH)");
        }

        /** The figures as one JSON object. */
        public String toJson() {
            return Json.toString(this);
        }
    }

    /**
     * Runs and prints the figures: {@code [--json] [--repetitions N] [--transfer-mib N] [--connections N]},
     * defaults from {@link Options#defaults()}.
     */
    public static void main(String[] args) throws Exception {
        Options d = Options.defaults();
        boolean json = false;
        int repetitions = d.repetitions();
        int transferMiB = d.transferMiB();
        int connections = d.connectionsPerRepetition();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--json" -> json = true;
                case "--repetitions" -> repetitions = intArg(args, ++i);
                case "--transfer-mib" -> transferMiB = intArg(args, ++i);
                case "--connections" -> connections = intArg(args, ++i);
                default -> throw new IllegalArgumentException("argument: " + args[i]
                        + " (expected: --json, --repetitions N, --transfer-mib N, --connections N)");
            }
        }
        Figures f = run(new Options(repetitions, transferMiB, connections));
        System.out.println(json ? f.toJson() : f.toText());
    }

    private static int intArg(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException("argument: " + args[i - 1] + " (expected: a number after it)");
        }
        try {
            return Integer.parseInt(args[i]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(args[i - 1] + ": " + args[i] + " (expected: a whole number)", e);
        }
    }

    /** Starts backends and a connector on loopback, measures, and stops everything. */
    public static Figures run(Options o) throws Exception {
        EventLoopGroup backendGroup = new NioEventLoopGroup(1);
        // the connector on the transport a node uses here; the backends stay NIO for every path alike
        EventLoopGroup boss = DataPlaneTransport.newGroup(1);
        EventLoopGroup worker = DataPlaneTransport.newGroup(1);
        Connector connector = new Connector(boss, worker, Duration.ofSeconds(5));
        HaproxyProcess haproxy = null;
        try {
            Channel sink = startBackend(backendGroup, SinkHandler::new);
            Channel directEcho = startBackend(backendGroup, EchoHandler::new);
            Channel mappedEcho = startBackend(backendGroup, EchoHandler::new);
            int sinkPort = port(sink);
            int bulkPort = freePort();
            int smallPort = freePort();
            Futures.within(connector.apply(List.of(
                    new Mapping("bench-bulk", "127.0.0.1", bulkPort, "127.0.0.1", sinkPort, null),
                    new Mapping("bench-small", "127.0.0.1", smallPort, "127.0.0.1", port(mappedEcho), null))),
                    Duration.ofSeconds(10), "binding the benchmark listeners");
            if (!connector.bindErrors().isEmpty()) {
                throw new IOException("benchmark listeners: " + connector.bindErrors()
                        + " (expected: free loopback ports; run the benchmark again)");
            }
            long bytes = (long) o.transferMiB() * 1024 * 1024;
            haproxy = HaproxyProcess.startIfInstalled(sinkPort, port(mappedEcho));
            if (haproxy != null) {
                transfer(haproxy.bulkPort(), bytes);
                connections(haproxy.smallPort(), Math.max(1, o.connectionsPerRepetition() / 2), new ArrayList<>());
            }
            // warm-up: not counted
            transfer(sinkPort, bytes);
            transfer(bulkPort, bytes);
            connections(port(directEcho), Math.max(1, o.connectionsPerRepetition() / 2), new ArrayList<>());
            connections(smallPort, Math.max(1, o.connectionsPerRepetition() / 2), new ArrayList<>());

            ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
            long[] connectorThreads = {
                boss.next().submit(() -> Thread.currentThread().getId()).get(),
                worker.next().submit(() -> Thread.currentThread().getId()).get()
            };
            long[] backendThreads = {backendGroup.next().submit(() -> Thread.currentThread().getId()).get()};
            long backendSmallCpu = 0;
            long bulkCpu = 0;
            long smallCpu = 0;
            double[] directMBps = new double[o.repetitions()];
            double[] mappedMBps = new double[o.repetitions()];
            double[] directRate = new double[o.repetitions()];
            double[] mappedRate = new double[o.repetitions()];
            List<Long> directLatency = new ArrayList<>();
            List<Long> mappedLatency = new ArrayList<>();
            double[] haproxyMBps = new double[o.repetitions()];
            double[] haproxyRate = new double[o.repetitions()];
            List<Long> haproxyLatency = new ArrayList<>();
            for (int r = 0; r < o.repetitions(); r++) {
                if (haproxy != null) {
                    haproxyMBps[r] = bytes / 1e6 / seconds(transfer(haproxy.bulkPort(), bytes));
                    haproxyRate[r] = o.connectionsPerRepetition()
                            / seconds(connections(haproxy.smallPort(), o.connectionsPerRepetition(), haproxyLatency));
                }
                directMBps[r] = bytes / 1e6 / seconds(transfer(sinkPort, bytes));
                long c0 = cpuNanos(cpu, connectorThreads);
                mappedMBps[r] = bytes / 1e6 / seconds(transfer(bulkPort, bytes));
                bulkCpu += cpuNanos(cpu, connectorThreads) - c0;
                int n = o.connectionsPerRepetition();
                long b0 = cpuNanos(cpu, backendThreads);
                directRate[r] = n / seconds(connections(port(directEcho), n, directLatency));
                backendSmallCpu += cpuNanos(cpu, backendThreads) - b0;
                long c1 = cpuNanos(cpu, connectorThreads);
                mappedRate[r] = n / seconds(connections(smallPort, n, mappedLatency));
                smallCpu += cpuNanos(cpu, connectorThreads) - c1;
            }
            double dT = median(directMBps);
            double mT = median(mappedMBps);
            double dR = median(directRate);
            double mR = median(mappedRate);
            return new Figures(o.repetitions(), o.transferMiB(), o.connectionsPerRepetition(),
                    dT, mT, min(directMBps), min(mappedMBps), mT / dT, pairedRatio(mappedMBps, directMBps),
                    dR, mR, mR / dR, pairedRatio(mappedRate, directRate),
                    percentile(directLatency, 0.50) / 1e3, percentile(mappedLatency, 0.50) / 1e3,
                    percentile(directLatency, 0.99) / 1e3, percentile(mappedLatency, 0.99) / 1e3,
                    bytes * o.repetitions() / 1e6 / seconds(Math.max(1, bulkCpu)),
                    smallCpu / 1e3 / ((double) o.connectionsPerRepetition() * o.repetitions()),
                    backendSmallCpu / 1e3 / ((double) o.connectionsPerRepetition() * o.repetitions()),
                    DataPlaneTransport.describe(),
                    haproxy == null ? Double.NaN : median(haproxyMBps),
                    haproxy == null ? Double.NaN : median(haproxyRate),
                    haproxy == null ? Double.NaN : percentile(haproxyLatency, 0.50) / 1e3,
                    haproxy == null ? Double.NaN : percentile(haproxyLatency, 0.99) / 1e3,
                    haproxy == null ? Double.NaN : mT / median(haproxyMBps));
        } finally {
            if (haproxy != null) {
                haproxy.close();
            }
            Futures.within(connector.stopAll(), Duration.ofSeconds(10), "stopping the listeners");
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            worker.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            backendGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Sends {@code bytes} and waits for the sink's count; returns nanoseconds from connect to answer. */
    static long transfer(int port, long bytes) throws IOException {
        byte[] chunk = new byte[256 * 1024];
        Arrays.fill(chunk, (byte) 'x');
        long t0 = CLOCK.nanoTime();
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(60_000);
            OutputStream out = s.getOutputStream();
            long left = bytes;
            while (left > 0) {
                int n = (int) Math.min(chunk.length, left);
                out.write(chunk, 0, n);
                left -= n;
            }
            s.shutdownOutput();
            long counted = new DataInputStream(s.getInputStream()).readLong();
            if (counted != bytes) {
                throw new IOException("sink counted " + counted + " bytes (expected: " + bytes + ")");
            }
        }
        return CLOCK.nanoTime() - t0;
    }

    /** Opens {@code n} connections one after another; adds each one's nanoseconds to {@code latencies}. */
    static long connections(int port, int n, List<Long> latencies) throws IOException {
        byte[] msg = new byte[SMALL];
        Arrays.fill(msg, (byte) 'q');
        byte[] back = new byte[SMALL];
        long start = CLOCK.nanoTime();
        for (int i = 0; i < n; i++) {
            long t0 = CLOCK.nanoTime();
            try (Socket s = new Socket()) {
                s.setTcpNoDelay(true);
                s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                s.setSoTimeout(10_000);
                s.getOutputStream().write(msg);
                InputStream in = s.getInputStream();
                int got = 0;
                while (got < SMALL) {
                    int r = in.read(back, got, SMALL - got);
                    if (r < 0) {
                        throw new IOException("echo ended after " + got + " bytes (expected: " + SMALL + ")");
                    }
                    got += r;
                }
            }
            latencies.add(CLOCK.nanoTime() - t0);
        }
        return CLOCK.nanoTime() - start;
    }

    private static Channel startBackend(EventLoopGroup group, java.util.function.Supplier<ChannelHandler> handler)
            throws InterruptedException {
        return new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(handler.get());
                    }
                })
                .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
    }

    /** Counts what it reads; when the input ends, answers the count (8 bytes) and closes. */
    private static final class SinkHandler extends ChannelInboundHandlerAdapter {
        private long count;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            count += b.readableBytes();
            b.release();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                ctx.writeAndFlush(ctx.alloc().buffer(8).writeLong(count)).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    /** Echoes what it reads; closes when the input ends. */
    private static final class EchoHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                ctx.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static int port(Channel server) {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** CPU time used so far by the connector's event loop threads (what relaying costs, whatever else runs). */
    private static long cpuNanos(ThreadMXBean cpu, long[] threads) {
        long sum = 0;
        for (long t : threads) {
            sum += Math.max(0, cpu.getThreadCpuTime(t));
        }
        return sum;
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** The median of mapped[i] / direct[i]: each pair ran back to back, so shared load mostly cancels. */
    private static double pairedRatio(double[] mapped, double[] direct) {
        double[] r = new double[mapped.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = mapped[i] / direct[i];
        }
        return median(r);
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    private static double percentile(List<Long> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        long[] s = values.stream().mapToLong(Long::longValue).sorted().toArray();
        int i = (int) Math.ceil(p * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, i))];
    }
}

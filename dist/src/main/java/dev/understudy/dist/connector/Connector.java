package dev.understudy.dist.connector;

import dev.understudy.common.config.Mapping;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connector data plane of the active node: one listen socket per mapping, each accepted connection
 * relayed to the mapping's backend.
 *
 * <p>{@link #apply(List)} brings the listeners in line with a mapping list, live: new mappings are
 * bound, removed ones closed (with their connections), a changed listen address is closed then bound
 * again (its open connections are closed), and a changed backend only redirects new connections — open
 * connections keep talking to the backend they were opened to. A port that cannot be bound does not stop
 * the other mappings; it is reported in {@link #bindErrors()} and {@link #status()}, and tried again on the
 * next {@code apply}. {@link #stopAll()} completes only when every listen socket is closed, so a node
 * being demoted can be sure it stopped serving before its peer starts.
 *
 * <p>The event loop groups are borrowed, not owned: the connector never shuts them down.
 */
public final class Connector {

    private static final Logger log = LoggerFactory.getLogger(Connector.class);

    /** Per-direction buffering bound: reads on the other side stop above 256 KiB pending, resume below 64 KiB. */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(64 * 1024, 256 * 1024);

    /**
     * Reads grow up to 256 KiB (Netty's default stops at 64 KiB): bulk relaying then costs about a third
     * less CPU per byte (measured with dev.understudy.dist.bench.ForwardingBenchmark), and one read on top of the high water
     * mark still bounds what a direction holds.
     */
    static final RecvByteBufAllocator READS = new AdaptiveRecvByteBufAllocator(64, 16 * 1024, 256 * 1024);

    private final ServerBootstrap template;
    private final int connectTimeoutMillis;
    private final ConnectorMetrics metrics;
    private final OwnListeners own = new OwnListeners();
    private final String bindHost;
    private final Map<String, Listener> listeners = new HashMap<>(); // guarded by this
    /** Completes when the sockets closed by the last {@link #stopAll()} are closed; guarded by this. */
    private CompletableFuture<Void> stopping = CompletableFuture.completedFuture(null);

    /**
     * A connector with its own metrics.
     *
     * @param boss           accepts connections (one thread is plenty)
     * @param worker         relays bytes; a client connection and its backend connection share one loop
     * @param connectTimeout how long to wait for a backend to accept a connection
     */
    public Connector(EventLoopGroup boss, EventLoopGroup worker, Duration connectTimeout) {
        this(boss, worker, connectTimeout, new ConnectorMetrics());
    }

    /** A connector that counts into {@code metrics} (for example kept across role changes). */
    public Connector(EventLoopGroup boss, EventLoopGroup worker, Duration connectTimeout, ConnectorMetrics metrics) {
        this(boss, worker, connectTimeout, metrics, null);
    }

    /**
     * A connector whose every mapping listens on {@code bindHost} instead of its listenHost (node.json's
     * {@code dataPlaneBindHost}: two nodes on one machine, or one interface per node); null: each listenHost.
     */
    public Connector(EventLoopGroup boss, EventLoopGroup worker, Duration connectTimeout, ConnectorMetrics metrics,
                     String bindHost) {
        this.bindHost = bindHost;
        Objects.requireNonNull(boss, "boss");
        Objects.requireNonNull(worker, "worker");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        if (connectTimeout.isNegative() || connectTimeout.isZero() || connectTimeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("connectTimeout: " + connectTimeout + " (expected: > 0 and < 24 days)");
        }
        this.connectTimeoutMillis = (int) Math.max(1, connectTimeout.toMillis());
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.template = new ServerBootstrap()
                .group(boss, worker)
                .channel(DataPlaneTransport.serverChannel(worker))
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false) // nothing is read before the backend is connected
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, READS);
        log.info("connector: {}, backend connectTimeout = {} ms, write buffer water marks = {} / {} bytes,"
                + " reads up to 256 KiB", DataPlaneTransport.serverChannel(worker).getSimpleName(), connectTimeoutMillis,
                WATER_MARK.low(), WATER_MARK.high());
    }

    /** The counters of this connector. */
    public ConnectorMetrics metrics() {
        return metrics;
    }

    /**
     * Makes the listeners match {@code mappings}; completes when every socket that had to be closed is
     * closed and every socket that had to be opened is bound or has failed to bind (see
     * {@link #bindErrors()}). Never completes exceptionally for a bind failure.
     *
     * @throws IllegalArgumentException if two mappings have the same id or a mapping lacks an id
     */
    public synchronized CompletableFuture<Void> apply(List<Mapping> mappings) {
        Map<String, Mapping> wanted = new LinkedHashMap<>();
        for (Mapping given : mappings) {
            Mapping m = bindHost == null || given == null ? given : new Mapping(given.id(), bindHost, given.listenPort(),
                    given.backendHost(), given.backendPort(), given.description());
            if (m.id() == null || m.id().isEmpty()) {
                throw new IllegalArgumentException("mapping id: " + m.id() + " (expected: a non-empty id)");
            }
            if (wanted.put(m.id(), m) != null) {
                throw new IllegalArgumentException("mapping id: " + m.id() + " (expected: each id once)");
            }
        }
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        closing.add(stopping); // a node promoted right after a stop binds only once the old sockets are gone
        for (var it = listeners.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!wanted.containsKey(e.getKey())) {
                it.remove();
                closing.add(e.getValue().close());
                metrics.unregister(e.getKey());
                log.info("mapping {}: removed", e.getKey());
            }
        }
        int removed = closing.size() - 1;
        List<Listener> toStart = new ArrayList<>();
        for (Mapping m : wanted.values()) {
            Listener current = listeners.get(m.id());
            if (current != null && sameListenAddress(current.mapping(), m) && !current.bindFailed()) {
                current.retarget(m);
                continue;
            }
            if (current != null) {
                log.info("mapping {}: listen address {}:{} -> {}:{}; closing the old socket and its connections",
                        m.id(), Listener.listenHost(current.mapping()), current.mapping().listenPort(),
                        Listener.listenHost(m), m.listenPort());
                closing.add(current.close());
            }
            Listener fresh = new Listener(m, template, connectTimeoutMillis, metrics.register(m.id()), own);
            listeners.put(m.id(), fresh);
            toStart.add(fresh);
        }
        log.info("connector: applying {} mapping(s): {} to bind, {} removed", wanted.size(), toStart.size(), removed);
        // Bind only after the sockets being replaced are closed: a mapping may take over a freed port.
        CompletableFuture<Void> closed = CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new));
        List<CompletableFuture<Void>> all = new ArrayList<>();
        all.add(closed.handle((v, e) -> null));
        for (Listener l : toStart) {
            all.add(l.start(closed));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    /**
     * Closes every listen socket and every relayed connection; completes when all of them are closed.
     * Mappings are forgotten: serving again takes an {@link #apply(List)}.
     */
    public synchronized CompletableFuture<Void> stopAll() {
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (Listener l : listeners.values()) {
            closing.add(l.close());
        }
        closing.add(stopping);
        int n = listeners.size();
        listeners.clear();
        CompletableFuture<Void> all = CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new))
                .handle((v, e) -> {
                    log.info("connector: stopped; {} listener(s) closed", n);
                    return null;
                });
        stopping = all;
        return all;
    }

    /** Whether at least one listen socket is open. */
    public synchronized boolean serving() {
        return listeners.values().stream().anyMatch(l -> l.status().bound());
    }

    /** What the connector does for each mapping, sorted by id. */
    public synchronized List<MappingStatus> status() {
        return listeners.values().stream()
                .map(Listener::status)
                .sorted(Comparator.comparing(MappingStatus::id))
                .toList();
    }

    /** The status of one mapping, or null if it is not applied. */
    public synchronized MappingStatus status(String id) {
        Listener l = listeners.get(id);
        return l == null ? null : l.status();
    }

    /** Mapping id -> why its listen socket could not be opened, for the mappings that are not bound. */
    public synchronized Map<String, String> bindErrors() {
        Map<String, String> errors = new TreeMap<>();
        for (Listener l : listeners.values()) {
            MappingStatus s = l.status();
            if (s.error() != null) {
                errors.put(s.id(), s.error());
            }
        }
        return errors;
    }

    /** The listener of a mapping, for tests in this package that look at its connections. */
    synchronized Listener listener(String id) {
        return listeners.get(id);
    }

    private static boolean sameListenAddress(Mapping a, Mapping b) {
        return Listener.listenHost(a).equals(Listener.listenHost(b)) && a.listenPort() == b.listenPort();
    }
}

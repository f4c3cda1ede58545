package dev.understudy.common.testing;

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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process TCP proxy that injects network faults between two real processes (shared test fixture,
 * common test-jar); it stands in for {@code tc netem}, which is not available where the tests run.
 *
 * <p>Point one peer at {@link #port()} instead of at the other peer's port; every accepted connection is
 * forwarded to the target, both directions, streaming in chunks of at most {@value #CHUNK_SIZE} bytes.
 * When either side closes (FIN), the proxy forwards what it still holds in that direction and then closes
 * both sides; when either side resets or a write fails, both sides are reset.
 *
 * <p>Faults, all thread-safe and effective at once on existing and new connections:
 * <ul>
 *   <li>{@link #partition()} / {@link #heal()}: a cable pull. Bytes are held back in both directions (no
 *       RST, no FIN: the peers see silence, and once the proxy's bounded buffers are full the senders'
 *       kernels stop accepting data, as when no ACK comes back). New connections are accepted by the proxy
 *       but never connected through. At {@code heal()} every connection that lived through the partition
 *       (including those accepted during it) is <b>reset</b>, held bytes discarded; new connections work
 *       again. Why reset: the partitions these tests make outlast the HA heartbeat and takeover deadlines,
 *       so both nodes have already given the channel up; a real network would end such a connection the
 *       same way once TCP's retransmissions time out (the sender's kernel aborts and the peer gets an RST on
 *       its next segment). Delivering the held bytes late would instead model a blip short enough for TCP
 *       to recover; use {@link #delay(Duration)} for that.</li>
 *   <li>{@link #refuse(boolean)}: new connections are accepted and at once reset (SO_LINGER 0), like a host
 *       with nothing listening; existing connections are unaffected. A partition wins over refusal (a
 *       refusal is itself a packet, which a partition would swallow).</li>
 *   <li>{@link #resetAll()}: every existing connection is reset now, both sides.</li>
 *   <li>{@link #delay(Duration)}: latency added to every chunk in both directions; a chunk is written no
 *       earlier than its read time plus the delay in force when it was read, in order. Latency, not
 *       throttling: chunks read back to back are not delayed one after the other.</li>
 *   <li>{@link #dropProbability(double)} with {@link #seed(long)}: each chunk is dropped with that
 *       probability. This models a <em>corrupting middlebox</em>, not packet loss: TCP would retransmit a
 *       lost packet, whereas a dropped chunk is gone from the byte stream, so TLS above it fails its record
 *       MAC or framing and the channel must close with a logged reason.</li>
 * </ul>
 *
 * <p>Bounded resources: per direction, {@value #QUEUED_CHUNKS} queued chunks of at most {@value #CHUNK_SIZE}
 * bytes (64 KiB) plus the one the reader is handing over and the one the writer holds (so under 96 KiB),
 * four threads per connection (a reader and a writer per direction) and at most
 * {@link #DEFAULT_MAX_CONNECTIONS} concurrent connections by default; connections beyond the cap are reset.
 * {@link #close()} closes the listener and resets every connection, then joins the threads with a bounded
 * wait.
 */
public final class FaultProxy implements AutoCloseable {

    /** Largest chunk read and forwarded at once. */
    public static final int CHUNK_SIZE = 16 * 1024;
    /** Chunks queued per direction before the reader stops reading (64 KiB per direction). */
    public static final int QUEUED_CHUNKS = 4;
    /** Concurrent connections beyond which new ones are reset. */
    public static final int DEFAULT_MAX_CONNECTIONS = 256;

    private static final Logger LOG = LoggerFactory.getLogger(FaultProxy.class);
    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    private static final long JOIN_MILLIS = 5_000;
    private static final long THREAD_STACK_BYTES = 256 * 1024;

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final int maxConnections;
    private final Thread acceptor;

    /** Guards the fault state and the connection set; writers wait on it for delays and partitions. */
    private final Object lock = new Object();
    private final Set<Connection> connections = new LinkedHashSet<>();
    private final List<Thread> threads = new ArrayList<>();
    private boolean closed;
    private boolean partitioned;
    private boolean refusing;
    private long delayNanos;
    private double dropProbability;
    private Random random = new Random(0);

    private final AtomicLong connectionsAccepted = new AtomicLong();
    private final AtomicLong connectionsRefused = new AtomicLong();
    private final AtomicLong bytesToTarget = new AtomicLong();
    private final AtomicLong bytesToClient = new AtomicLong();
    private final AtomicLong chunksDropped = new AtomicLong();

    private FaultProxy(ServerSocket listener, InetSocketAddress target, int maxConnections) {
        this.listener = listener;
        this.target = target;
        this.maxConnections = maxConnections;
        this.acceptor = newThread(this::acceptLoop, "fault-proxy-accept-" + listener.getLocalPort());
    }

    /**
     * Starts a proxy listening on {@code listenHost:listenPort} ({@code 0} lets the OS choose; read it back
     * with {@link #port()}) that forwards to {@code targetHost:targetPort}.
     */
    public static FaultProxy start(String listenHost, int listenPort, String targetHost, int targetPort)
            throws IOException {
        return start(listenHost, listenPort, targetHost, targetPort, DEFAULT_MAX_CONNECTIONS);
    }

    /** As {@link #start(String, int, String, int)}, with a cap on concurrent connections. */
    public static FaultProxy start(String listenHost, int listenPort, String targetHost, int targetPort,
            int maxConnections) throws IOException {
        checkPort("listenPort", listenPort, 0);
        checkPort("targetPort", targetPort, 1);
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections: " + maxConnections + " (expected: >= 1)");
        }
        ServerSocket listener = new ServerSocket();
        try {
            listener.setReuseAddress(true);
            listener.bind(new InetSocketAddress(InetAddress.getByName(listenHost), listenPort), 128);
        } catch (IOException e) {
            listener.close();
            throw new IOException("listen " + listenHost + ":" + listenPort + ": " + e.getMessage()
                    + " (expected: a free local port; pass 0 to let the OS choose)", e);
        }
        FaultProxy proxy = new FaultProxy(listener,
                new InetSocketAddress(InetAddress.getByName(targetHost), targetPort), maxConnections);
        proxy.acceptor.start();
        LOG.info("fault proxy {} -> {} started", listener.getLocalSocketAddress(), proxy.target);
        return proxy;
    }

    private static void checkPort(String name, int port, int min) {
        if (port < min || port > 65_535) {
            throw new IllegalArgumentException(name + ": " + port + " (expected: " + min + "..65535)");
        }
    }

    /** The port the proxy listens on (the OS-chosen one when started with port 0). */
    public int port() {
        return listener.getLocalPort();
    }

    /** Starts a partition: silence in both directions on every connection, new ones accepted but held. */
    public void partition() {
        synchronized (lock) {
            partitioned = true;
            for (Connection c : connections) {
                c.livedThroughPartition = true;
            }
            lock.notifyAll();
        }
        LOG.info("fault proxy {}: partition", port());
    }

    /** Ends a partition: connections that lived through it are reset, new connections go through again. */
    public void heal() {
        List<Connection> toReset = new ArrayList<>();
        synchronized (lock) {
            partitioned = false;
            for (Connection c : connections) {
                if (c.livedThroughPartition) {
                    toReset.add(c);
                }
            }
            lock.notifyAll();
        }
        // Reset after leaving the lock; a held writer re-checks under the lock and sees its
        // connection marked, so no held byte slips through between the flag flip and the reset.
        for (Connection c : toReset) {
            c.abort("heal after partition");
        }
        LOG.info("fault proxy {}: heal, {} connection(s) reset", port(), toReset.size());
    }

    /** While {@code true}, new connections are accepted and reset at once; existing ones are unaffected. */
    public void refuse(boolean refuse) {
        synchronized (lock) {
            refusing = refuse;
        }
        LOG.info("fault proxy {}: refuse {}", port(), refuse);
    }

    /** Resets every existing connection now, both sides. */
    public void resetAll() {
        List<Connection> all;
        synchronized (lock) {
            all = new ArrayList<>(connections);
        }
        for (Connection c : all) {
            c.abort("resetAll");
        }
        LOG.info("fault proxy {}: reset {} connection(s)", port(), all.size());
    }

    /** Adds {@code delay} of latency to every chunk read from now on, both directions; zero removes it. */
    public void delay(Duration delay) {
        if (delay == null || delay.isNegative()) {
            throw new IllegalArgumentException("delay: " + delay + " (expected: >= 0)");
        }
        synchronized (lock) {
            delayNanos = delay.toNanos();
            lock.notifyAll();
        }
        LOG.info("fault proxy {}: delay {}", port(), delay);
    }

    /** Drops each chunk read from now on with this probability (0 = none, 1 = all); see the class doc. */
    public void dropProbability(double probability) {
        if (!(probability >= 0.0 && probability <= 1.0)) {
            throw new IllegalArgumentException("dropProbability: " + probability + " (expected: 0.0..1.0)");
        }
        synchronized (lock) {
            dropProbability = probability;
        }
        LOG.info("fault proxy {}: dropProbability {}", port(), probability);
    }

    /** Reseeds the random source of {@link #dropProbability(double)}. */
    public void seed(long seed) {
        synchronized (lock) {
            random = new Random(seed);
        }
    }

    /** Connections accepted by the listener, including refused, over-cap and partitioned ones. */
    public long connectionsAccepted() {
        return connectionsAccepted.get();
    }

    /** Connections reset at accept because of {@link #refuse(boolean)}, the cap or an unreachable target. */
    public long connectionsRefused() {
        return connectionsRefused.get();
    }

    /** Bytes written to the target (client to target direction). */
    public long bytesToTarget() {
        return bytesToTarget.get();
    }

    /** Bytes written back to clients (target to client direction). */
    public long bytesToClient() {
        return bytesToClient.get();
    }

    /** Chunks dropped by {@link #dropProbability(double)}. */
    public long chunksDropped() {
        return chunksDropped.get();
    }

    /** Connections open now (forwarding, or held by a partition). */
    public int activeConnections() {
        synchronized (lock) {
            return connections.size();
        }
    }

    /** Closes the listener, resets every connection and joins the proxy's threads (bounded wait). */
    @Override
    public void close() {
        List<Connection> all;
        List<Thread> toJoin;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            all = new ArrayList<>(connections);
            lock.notifyAll();
        }
        closeQuietly(listener);
        for (Connection c : all) {
            c.abort("proxy closed");
        }
        synchronized (lock) {
            toJoin = new ArrayList<>(threads);
        }
        toJoin.add(acceptor);
        long deadline = System.nanoTime() + JOIN_MILLIS * 1_000_000L;
        boolean interrupted = false;
        for (Thread t : toJoin) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            try {
                t.join(Math.max(1, left));
            } catch (InterruptedException e) {
                interrupted = true;
            }
            if (t.isAlive()) {
                LOG.warn("fault proxy {}: thread {} still alive after close", port(), t.getName());
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        LOG.info("fault proxy {}: closed", port());
    }

    private void acceptLoop() {
        while (true) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                synchronized (lock) {
                    if (closed) {
                        return;
                    }
                }
                LOG.warn("fault proxy {}: accept failed: {}", port(), e.toString());
                continue;
            }
            connectionsAccepted.incrementAndGet();
            admit(client);
        }
    }

    private void admit(Socket client) {
        Connection c = new Connection(client);
        String refusal = null;
        synchronized (lock) {
            if (closed) {
                refusal = "proxy closed";
            } else if (connections.size() >= maxConnections) {
                refusal = "connection cap " + maxConnections + " reached";
            } else if (!partitioned && refusing) {
                refusal = "refusing";
            } else {
                connections.add(c);
                if (partitioned) {
                    // Accepted, never connected through: the client sees silence until heal resets it.
                    c.livedThroughPartition = true;
                    return;
                }
                c.start();
                return;
            }
        }
        connectionsRefused.incrementAndGet();
        LOG.debug("fault proxy {}: reset new connection from {}: {}", port(),
                client.getRemoteSocketAddress(), refusal);
        reset(client);
    }

    private Thread newThread(Runnable body, String name) {
        Thread t = new Thread(null, body, name, THREAD_STACK_BYTES);
        t.setDaemon(true);
        return t;
    }

    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (IOException e) {
            // Already closed: nothing left to reset.
        }
        closeQuietly(s);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            // Closing is best effort; the socket is unusable either way.
        }
    }

    /** One proxied connection: the client socket, the target socket and a pipe per direction. */
    private final class Connection {
        private final Socket client;
        private volatile Socket upstream;
        private final AtomicBoolean done = new AtomicBoolean();
        private final List<Thread> own = new ArrayList<>();
        /** Set under {@link #lock}; such a connection never forwards again and is reset at heal. */
        private boolean livedThroughPartition;

        Connection(Socket client) {
            this.client = client;
        }

        /** Called under {@link #lock}. */
        void start() {
            Pipe toTarget = new Pipe(this, true);
            Pipe toClient = new Pipe(this, false);
            String name = "fault-proxy-" + port() + "-" + client.getPort();
            Thread connectAndRead = newThread(() -> {
                if (connect()) {
                    newThreadStarted(() -> toClient.readLoop(), name + "-read-target");
                    newThreadStarted(() -> toClient.writeLoop(), name + "-write-client");
                    newThreadStarted(() -> toTarget.writeLoop(), name + "-write-target");
                    toTarget.readLoop();
                }
            }, name + "-read-client");
            threads.removeIf(t -> !t.isAlive());
            own.add(connectAndRead);
            threads.add(connectAndRead);
            connectAndRead.start();
        }

        private void newThreadStarted(Runnable body, String name) {
            Thread t = newThread(body, name);
            synchronized (lock) {
                if (done.get()) {
                    return;
                }
                own.add(t);
                threads.add(t);
                // Started under the lock so that finish() never interrupts a thread not yet started.
                t.start();
            }
        }

        private boolean connect() {
            Socket s = new Socket();
            try {
                s.setTcpNoDelay(true);
                s.connect(target, CONNECT_TIMEOUT_MILLIS);
                client.setTcpNoDelay(true);
            } catch (IOException e) {
                closeQuietly(s);
                connectionsRefused.incrementAndGet();
                LOG.debug("fault proxy {}: target {} unreachable: {}", port(), target, e.toString());
                abort("target unreachable");
                return false;
            }
            upstream = s;
            if (done.get()) {
                // Aborted while connecting: abort() could not see this socket.
                reset(s);
                return false;
            }
            return true;
        }

        /** Resets both sides and stops the pipes. */
        void abort(String why) {
            finish(true, why);
        }

        /** Closes both sides with FIN after a side closed. */
        void closeGracefully(String why) {
            finish(false, why);
        }

        private void finish(boolean rst, String why) {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            List<Thread> mine;
            synchronized (lock) {
                connections.remove(this);
                mine = new ArrayList<>(own);
                lock.notifyAll();
            }
            LOG.debug("fault proxy {}: connection from port {} {} ({})", port(), client.getPort(),
                    rst ? "reset" : "closed", why);
            Socket up = upstream;
            if (rst) {
                reset(client);
                if (up != null) {
                    reset(up);
                }
            } else {
                closeQuietly(client);
                closeQuietly(up);
            }
            for (Thread t : mine) {
                if (t != Thread.currentThread()) {
                    t.interrupt();
                }
            }
        }

        boolean done() {
            return done.get();
        }
    }

    /** A chunk on its way; {@code data == null} marks the end of the stream (FIN from the source). */
    private record Chunk(byte[] data, long dueNanos) {
    }

    /** One direction of a connection: a reader that queues chunks and a writer that forwards them. */
    private final class Pipe {
        private final Connection conn;
        private final boolean toTarget;
        private final BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(QUEUED_CHUNKS);

        Pipe(Connection conn, boolean toTarget) {
            this.conn = conn;
            this.toTarget = toTarget;
        }

        private Socket source() {
            return toTarget ? conn.client : conn.upstream;
        }

        private Socket sink() {
            return toTarget ? conn.upstream : conn.client;
        }

        void readLoop() {
            byte[] buf = new byte[CHUNK_SIZE];
            try {
                InputStream in = source().getInputStream();
                while (!conn.done()) {
                    int n = in.read(buf);
                    long readAt = System.nanoTime();
                    if (n < 0) {
                        queue.put(new Chunk(null, readAt + currentDelay()));
                        return;
                    }
                    if (n == 0) {
                        continue;
                    }
                    if (shouldDrop()) {
                        chunksDropped.incrementAndGet();
                        continue;
                    }
                    queue.put(new Chunk(Arrays.copyOf(buf, n), readAt + currentDelay()));
                }
            } catch (InterruptedException e) {
                // Connection finished: stop.
            } catch (IOException e) {
                // The source reset or was closed. During a partition the peer must not learn of it.
                if (!conn.done()) {
                    holdWhilePartitioned();
                    conn.abort((toTarget ? "client" : "target") + " read failed: " + e);
                }
            }
        }

        void writeLoop() {
            try {
                OutputStream out = sink().getOutputStream();
                while (!conn.done()) {
                    Chunk chunk = queue.take();
                    if (!awaitDueAndNoPartition(chunk.dueNanos())) {
                        return;
                    }
                    if (chunk.data() == null) {
                        conn.closeGracefully((toTarget ? "client" : "target") + " closed");
                        return;
                    }
                    out.write(chunk.data());
                    out.flush();
                    (toTarget ? bytesToTarget : bytesToClient).addAndGet(chunk.data().length);
                }
            } catch (InterruptedException e) {
                // Connection finished: stop.
            } catch (IOException e) {
                if (!conn.done()) {
                    conn.abort((toTarget ? "target" : "client") + " write failed: " + e);
                }
            }
        }

        private long currentDelay() {
            synchronized (lock) {
                return delayNanos;
            }
        }

        private boolean shouldDrop() {
            synchronized (lock) {
                return dropProbability > 0.0 && random.nextDouble() < dropProbability;
            }
        }

        /** Waits until the chunk is due and no partition holds it; false when the connection ended. */
        private boolean awaitDueAndNoPartition(long dueNanos) throws InterruptedException {
            synchronized (lock) {
                while (true) {
                    if (conn.done() || closed) {
                        return false;
                    }
                    if (partitioned || conn.livedThroughPartition) {
                        lock.wait();
                        continue;
                    }
                    long left = dueNanos - System.nanoTime();
                    if (left <= 0) {
                        return true;
                    }
                    lock.wait(left / 1_000_000L, (int) (left % 1_000_000L));
                }
            }
        }

        private void holdWhilePartitioned() {
            synchronized (lock) {
                while (!conn.done() && !closed && (partitioned || conn.livedThroughPartition)) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }
}

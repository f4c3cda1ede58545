package dev.understudy.dist.node;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.config.InvalidChangeException;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.common.home.NodeState;
import dev.understudy.common.home.Role;
import dev.understudy.common.json.Json;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.common.store.Head;
import dev.understudy.common.store.Revision;
import dev.understudy.dist.admin.AdminServer;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node: one home, its stores, its admin server, and its role. Everything the node does goes
 * through here — the admin API reads {@link #status()} and writes through {@link #write(ChangeSet)},
 * load balancers ask {@link #isActive()} — so that a role change (master &lt;-&gt; shadow) is a change
 * in this one object.
 *
 * <p>Life cycle: {@link #open} (load and check the home, open stores) → {@link #start} (serve,
 * write run.json) → {@link #close} (stop serving, close stores, remove run.json). Not restartable.
 */
public final class NodeRuntime implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NodeRuntime.class);

    /** Failover state names shown before the HA channel runs (DESIGN.md §5). */
    static final String ACTIVE_ALONE = "ACTIVE_ALONE";
    static final String DETACHED = "DETACHED";

    private final NodeHome home;
    private final NodeSettings settings;
    private final Clock clock;
    private final ConfigStore store;
    private final AlertStore alerts;
    private final String adminToken;
    private final CountDownLatch stopped = new CountDownLatch(1);

    // the role this node holds now; changed only by role transitions (HA), read by every request
    private volatile NodeState nodeState;
    private volatile String failoverState;

    private AdminServer admin;
    private volatile String startedAt;
    private boolean closed;
    private boolean wroteRunFile;

    private NodeRuntime(NodeHome home, NodeSettings settings, NodeState state, Clock clock, ConfigStore store,
                        AlertStore alerts, String adminToken) {
        this.home = home;
        this.settings = settings;
        this.nodeState = state;
        this.clock = clock;
        this.store = store;
        this.alerts = alerts;
        this.adminToken = adminToken;
        this.failoverState = state.role() == Role.MASTER ? ACTIVE_ALONE : DETACHED;
    }

    /**
     * Loads the home in {@code dir} and opens its stores. A problem names the file (and field) and
     * what to do; nothing is left open when this throws.
     */
    public static NodeRuntime open(NodeHome home, Clock clock) throws IOException {
        NodeSettings settings = home.loadSettings();
        if (!java.nio.file.Files.exists(home.stateJson())) {
            throw new IOException(home.stateJson() + ": not found (expected: the node's epoch and role; restore the file or run `understudy reset`)");
        }
        NodeState state = home.loadState();
        String token = home.readAdminToken();
        if (token.isEmpty()) {
            throw new IOException(home.adminToken() + ": empty (expected: the admin token written by `understudy init`)");
        }
        logSettings(home, settings, state);
        ConfigStore store = ConfigStore.open(home.configDir());
        AlertStore alerts;
        try {
            alerts = AlertStore.open(home.alertsJson(), clock);
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
        return new NodeRuntime(home, settings, state, clock, store, alerts, token);
    }

    private static void logSettings(NodeHome home, NodeSettings settings, NodeState state) {
        log.info("node home {} (role {}, epoch {}); node-local settings from {}:", home.root(), state.role(),
                state.epoch(), home.nodeJson());
        for (Map.Entry<String, String> e : settings.describe().entrySet()) {
            log.info("  {} = {}", e.getKey(), e.getValue());
        }
    }

    /** Starts serving: the admin API, then run.json, then the "ready" line. */
    public synchronized void start() throws IOException {
        if (admin != null || closed) {
            throw new IllegalStateException("node runtime already started");
        }
        refuseSecondNode();
        admin = AdminServer.start(this, settings.adminHost(), settings.adminPort());
        startedAt = Instant.ofEpochMilli(clock.currentTimeMillis()).toString();
        // HA hook: the role object (master: HA listener; shadow: connector to the master) starts here,
        // after the stores are open and before run.json announces the node.
        new RunFile(ProcessHandle.current().pid(), admin.port(), settings.haPort(), startedAt).write(home.root());
        wroteRunFile = true;
        Head head = store.head();
        log.info("ready: node {} role {} state {} epoch {} revision {} admin https://{}:{}", settings.nodeId(),
                role(), failoverState, epoch(), head.revision(), settings.adminHost(), admin.port());
    }

    private void refuseSecondNode() throws IOException {
        var existing = RunFile.read(home.root());
        if (existing.isPresent() && existing.get().pid() != ProcessHandle.current().pid() && existing.get().processAlive()) {
            throw new IOException(RunFile.path(home.root()) + ": a node (pid " + existing.get().pid()
                    + ") already runs in this home (expected: one node per home; stop it first)");
        }
    }

    // ------------------------------------------------------------------ role and health

    /** The role this node holds now (state.json), not the one it was created with. */
    public Role role() {
        return nodeState.role();
    }

    public long epoch() {
        return nodeState.epoch();
    }

    /** The failover state name (DESIGN.md §5), e.g. ACTIVE_ALONE or DETACHED. */
    public String failoverState() {
        return failoverState;
    }

    /**
     * Whether this node is the one that serves and accepts writes (for /healthz and the write path).
     * HA hook: becomes false while demoting and true once a promotion's epoch is durable.
     */
    public boolean isActive() {
        return nodeState.role() == Role.MASTER;
    }

    /** What this node knows of its peer. HA hook: the role object reports live peer state here. */
    public PeerView peer() {
        return PeerView.configured(settings.peerNodeId(), settings.peerAddress());
    }

    // ------------------------------------------------------------------ writes

    /**
     * The single write path of the node: validates and commits {@code changes} as one revision,
     * durable on this node when this returns.
     *
     * @throws NotActiveException     when this node is not the active one (the shadow)
     * @throws InvalidChangeException when the change set is rejected (nothing changed)
     */
    public WriteResult write(ChangeSet changes) throws NotActiveException, InvalidChangeException, IOException {
        if (!isActive()) {
            throw new NotActiveException(settings.peerAddress());
        }
        Revision r = store.commit(changes);
        // HA hook: on a master with an in-sync shadow, wait here (up to requestTimeout) for its ack
        // and report replicated=true when it arrives.
        return new WriteResult(r.revision(), r.hash(), false);
    }

    // ------------------------------------------------------------------ status

    /** The status document of {@code GET /api/v1/status} and {@code understudy status --json}. */
    public ObjectNode status() {
        ObjectNode s = Json.object();
        Head head = store.head();
        s.put("nodeId", settings.nodeId());
        s.put("role", role().wireName());
        s.put("state", failoverState);
        s.put("active", isActive());
        s.put("epoch", epoch());
        s.put("revision", head.revision());
        s.put("configHash", head.hash());
        PeerView p = peer();
        ObjectNode peer = s.putObject("peer");
        peer.put("nodeId", p.nodeId());
        peer.put("address", p.address());
        peer.put("state", p.state());
        peer.put("revision", p.revision());
        peer.put("lagRevisions", p.lagRevisions());
        peer.put("lastHeartbeatMillisAgo", p.lastHeartbeatMillisAgo());
        s.put("pid", ProcessHandle.current().pid());
        s.put("startedAt", startedAt);
        s.put("adminPort", admin == null ? settings.adminPort() : admin.port());
        s.put("haPort", settings.haPort());
        ObjectNode local = s.putObject("settings");
        local.put("scope", "node-local");
        local.put("source", home.nodeJson().toString());
        ObjectNode values = local.putObject("values");
        settings.describe().forEach(values::put);
        ObjectNode replicated = s.putObject("replicated");
        replicated.put("scope", "replicated");
        replicated.put("revision", head.revision());
        ObjectNode counts = replicated.putObject("collections");
        store.read(doc -> {
            for (ConfigCollection c : ConfigCollection.values()) {
                counts.put(c.wireName(), doc.entries(c).size());
            }
            return null;
        });
        s.put("activeAlerts", alerts.list(false).size());
        return s;
    }

    // ------------------------------------------------------------------ parts

    public NodeHome home() {
        return home;
    }

    public NodeSettings settings() {
        return settings;
    }

    public Clock clock() {
        return clock;
    }

    public ConfigStore store() {
        return store;
    }

    public AlertStore alerts() {
        return alerts;
    }

    /** The local CLI credential (never logged). */
    public String adminToken() {
        return adminToken;
    }

    /** The admin port actually bound; -1 before {@link #start()}. */
    public int adminPort() {
        AdminServer a = admin;
        return a == null ? -1 : a.port();
    }

    /** Blocks until {@link #close()} has finished or the timeout passes; true when closed. */
    public boolean awaitClosed(long timeout, TimeUnit unit) throws InterruptedException {
        return stopped.await(timeout, unit);
    }

    /** Stops serving and closes the stores; run.json is removed. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        log.info("stopping node {}", settings.nodeId());
        // HA hook: stop the role object first (master: say BYE to the shadow; shadow: disconnect).
        if (admin != null) {
            admin.close();
        }
        try {
            store.close();
        } catch (IOException e) {
            log.error("closing the config store failed: {}", e.getMessage());
        }
        if (wroteRunFile) {
            try {
                RunFile.delete(home.root());
            } catch (IOException e) {
                log.warn("cannot remove {}: {}", RunFile.path(home.root()), e.getMessage());
            }
        }
        log.info("stopped node {}", settings.nodeId());
        stopped.countDown();
    }
}

package dev.understudy.dist.node;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.auth.LoginGuard;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.concurrent.Futures;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.InvalidChangeException;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.common.home.NodeState;
import dev.understudy.common.home.Role;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.common.store.Head;
import dev.understudy.common.store.Revision;
import dev.understudy.common.cert.Certificates;
import dev.understudy.common.home.HostPort;
import dev.understudy.common.config.Mapping;
import dev.understudy.dist.admin.AdminNode;
import dev.understudy.dist.admin.AdminServer;
import dev.understudy.dist.admin.NotActiveException;
import dev.understudy.dist.admin.PeerView;
import dev.understudy.dist.admin.WriteResult;
import dev.understudy.dist.connector.ConnectorMetrics;
import dev.understudy.dist.connector.Connector;
import dev.understudy.dist.connector.DataPlaneTransport;
import dev.understudy.dist.ha.HaNode;
import dev.understudy.dist.ha.ServingHooks;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
public final class NodeRuntime implements AdminNode, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NodeRuntime.class);
    /** How long stopping the data plane may take before the node goes on without it. */
    private static final Duration STOP = Duration.ofSeconds(5);

    private final NodeHome home;
    private final NodeSettings settings;
    private final Clock clock;
    private final ConfigStore store;
    private final AlertStore alerts;
    /** Failed-login throttle and log of every login door (admin API, console, HA pairing). */
    private final LoginGuard logins;
    private final String adminToken;
    private final CountDownLatch stopped = new CountDownLatch(1);

    private final NodeState initialState;
    private final String certificateFingerprint;
    private AdminServer admin;
    private EventLoopGroup haGroup;
    private EventLoopGroup dataBoss;
    private EventLoopGroup dataWorkers;
    private Connector connector;
    private HaNode ha;
    // mapping changes are applied to the data plane in order, off the committing threads
    private final ExecutorService dataPlaneUpdates = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "data-plane-updates");
        t.setDaemon(true);
        return t;
    });
    private volatile String startedAt;
    private boolean closed;
    private boolean wroteRunFile;

    private NodeRuntime(NodeHome home, NodeSettings settings, NodeState state, Clock clock, ConfigStore store,
                        AlertStore alerts, String adminToken) {
        this.home = home;
        this.settings = settings;
        this.initialState = state;
        String fp;
        try {
            fp = Certificates.fingerprint(Certificates.readCertificate(home.nodeCrt()));
        } catch (IOException e) {
            fp = null;
        }
        this.certificateFingerprint = fp;
        this.clock = clock;
        this.store = store;
        this.alerts = alerts;
        this.logins = LoginGuard.standard(clock, alerts);
        this.adminToken = adminToken;
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
        haGroup = new NioEventLoopGroup(2);
        dataBoss = DataPlaneTransport.newGroup(1);
        dataWorkers = DataPlaneTransport.newGroup(2);
        connector = new Connector(dataBoss, dataWorkers, settings.connectTimeout(),
                new dev.understudy.dist.connector.ConnectorMetrics(), settings.dataPlaneBindHost());
        ha = new HaNode(home, settings, initialState, store, alerts, clock, haGroup, haGroup,
                Certificates.readPrivateKey(home.nodeKey()), Certificates.readCertificate(home.nodeCrt()),
                new DataPlane(), logins);
        ha.advertiseAdminPort(admin.port());
        // live mapping changes: every durable revision re-applies the mappings while serving
        store.addListener(h -> dataPlaneUpdates.execute(this::applyMappingsIfServing));
        ha.start();
        haGroup.scheduleAtFixedRate(this::checkCertificates, 0, 12, TimeUnit.HOURS);
        haGroup.scheduleAtFixedRate(logins::tick, 5, 5, TimeUnit.SECONDS);
        new RunFile(ProcessHandle.current().pid(), admin.port(), ha.haPort(), startedAt).write(home.root());
        wroteRunFile = true;
        Head head = store.head();
        log.info("ready: node {} role {} state {} epoch {} revision {} admin https://{}:{} ha {}:{}", settings.nodeId(),
                role(), failoverState(), epoch(), head.revision(), settings.adminHost(), admin.port(),
                settings.haHost(), ha.haPort());
    }

    /** Starts and stops the connector for the HA runtime; stopping waits until no listener is open. */
    private final class DataPlane implements ServingHooks {
        @Override
        public void startServing(long epoch) {
            log.info("serving the data plane in epoch {}", epoch);
            dataPlaneUpdates.execute(NodeRuntime.this::applyMappingsIfServing);
        }

        @Override
        public void stopServing(String reason) {
            log.warn("stopping the data plane: {}", reason);
            try {
                // queued mapping updates would reopen listeners: drain them first
                Futures.within(dataPlaneUpdates.submit(() -> { }), STOP, "draining the mapping updates");
                Futures.within(connector.stopAll(), STOP, "stopping the listeners");
                dataPlaneUpdates.execute(() -> bindAlerts(java.util.Map.of()));
            } catch (IOException e) {
                log.error("data plane did not stop cleanly: {}", e.getMessage());
            }
        }
    }

    /** CERT_EXPIRING alerts for this node's and the pinned peer's certificate. */
    private void checkCertificates() {
        Instant now = Instant.ofEpochMilli(clock.currentTimeMillis());
        try {
            CertificateWatch.check(alerts, now, "node", Certificates.readCertificate(home.nodeCrt()), home.nodeCrt().toString());
            var peerCrt = home.peerCrt();
            CertificateWatch.check(alerts, now, "peer",
                    java.nio.file.Files.exists(peerCrt) ? Certificates.readCertificate(peerCrt) : null, peerCrt.toString());
        } catch (IOException | RuntimeException e) {
            log.warn("cannot check certificate expiry: {}", e.getMessage());
        }
    }

    private void applyMappingsIfServing() {
        if (ha == null || !ha.dataPlaneOn()) {
            return;
        }
        List<Mapping> mappings = store.read(doc -> doc.mappings());
        try {
            Futures.within(connector.apply(mappings), Duration.ofSeconds(10), "applying the mappings");
        } catch (IOException e) {
            log.error("applying {} mappings to the data plane failed: {}", mappings.size(), e.getMessage());
        }
        if (!ha.dataPlaneOn()) {
            // stepped down while applying: make sure nothing listens
            connector.stopAll();
        }
        bindAlerts(ha.dataPlaneOn() ? connector.bindErrors() : java.util.Map.of());
    }

    /** One MAPPING_BIND_FAILED error per mapping this node cannot listen for; resolved once it can (or need not). */
    private void bindAlerts(java.util.Map<String, String> errors) {
        errors.forEach((id, why) -> alerts.raise(dev.understudy.common.alert.Severity.ERROR,
                dev.understudy.common.alert.AlertCategory.MAPPING_BIND_FAILED, id, why));
        for (var a : alerts.list(true)) {
            if (!a.resolved() && a.category() == dev.understudy.common.alert.AlertCategory.MAPPING_BIND_FAILED
                    && !errors.containsKey(a.key())) {
                alerts.resolve(a.category(), a.key());
            }
        }
    }

    private void refuseSecondNode() throws IOException {
        var existing = RunFile.read(home.root());
        if (existing.isPresent() && existing.get().pid() != ProcessHandle.current().pid() && existing.get().processAlive()) {
            throw new IOException(RunFile.path(home.root()) + ": a node (pid " + existing.get().pid()
                    + ") already runs in this home (expected: one node per home; stop it first)");
        }
    }

    // ------------------------------------------------------------------ role and health

    /** The role this node holds now (it changes with failovers), not the one it was created with. */
    @Override
    public Role role() {
        return ha == null ? initialState.role() : ha.role();
    }

    @Override
    public long epoch() {
        return ha == null ? initialState.epoch() : ha.epoch();
    }

    /** The failover state name (DESIGN.md §5), e.g. ACTIVE_PAIRED or STANDBY. */
    public String failoverState() {
        return ha == null ? "STARTING" : ha.state().name();
    }

    /** Whether this node is the one that serves (for /healthz): false while starting, demoted or a shadow. */
    @Override
    public boolean isActive() {
        return ha != null && ha.serving();
    }

    /** Whether this node's data plane serves (for /healthz): the master, or in active-active also a shadow in sync. */
    @Override
    public boolean servesDataPlane() {
        return isActive() || ha != null && ha.dataPlaneOn();
    }

    /** The data plane mode in effect (DESIGN.md §5): "active-standby" or "active-active". */
    @Override
    public String dataPlaneMode() {
        return dev.understudy.common.config.DataPlaneMode.effective(settings.dataPlane(), store.read(doc -> doc.get(
                dev.understudy.common.config.ConfigCollection.SETTINGS, dev.understudy.common.config.DataPlaneMode.SETTING_KEY)))
                .wireName();
    }

    /** What this node knows of its peer, live from the HA channel. */
    @Override
    public PeerView peer() {
        return StatusDocument.peer(ha, settings, store);
    }

    @Override
    public int haPort() {
        return ha == null ? settings.haPort() : ha.haPort();
    }

    @Override
    public long pushes() {
        return ha == null ? 0 : ha.pushes();
    }

    @Override
    public long pushFailures() {
        return ha == null ? 0 : ha.pushFailures();
    }

    @Override
    public long failovers() {
        return ha == null ? 0 : ha.failovers();
    }

    @Override
    public ConnectorMetrics.Counters dataPlaneTotals() {
        return connector == null ? ConnectorMetrics.Counters.ZERO : connector.metrics().total();
    }

    /** The HA runtime (after {@link #start()}). */
    public HaNode ha() {
        return ha;
    }

    /** The data plane (after {@link #start()}). */
    public Connector connector() {
        return connector;
    }

    // ------------------------------------------------------------------ writes

    /**
     * The single write path of the node: validates and commits {@code changes} as one revision,
     * durable on this node when this returns.
     *
     * @throws NotActiveException     when this node is not the active one (the shadow)
     * @throws InvalidChangeException when the change set is rejected (nothing changed)
     */
    @Override
    public WriteResult write(ChangeSet changes) throws NotActiveException, InvalidChangeException, IOException {
        if (ha == null || !ha.acceptsWrites()) {
            throw new NotActiveException(masterAddress(), WriteRefusal.explain(ha, masterAddress()));
        }
        localMappingRules().check(changes, () -> store.read(doc -> doc.mappings()));
        Revision r = store.commit(changes);
        boolean replicated;
        try {
            replicated = Futures.within(ha.replicated(r.revision()), settings.requestTimeout().plusMillis(500),
                    "the shadow's acknowledgement");
        } catch (IOException e) {
            replicated = false; // durable here; the shadow catches up later
        }
        return new WriteResult(r.revision(), r.hash(), replicated);
    }

    /** This node's facts for the mapping rules that need them (its ports as bound, its peer's HA address). */
    private LocalMappingRules localMappingRules() {
        NodeSettings current = ha.settings();
        int haPort = ha.haPort() > 0 ? ha.haPort() : current.haPort();
        HostPort peer = null;
        if (current.peerAddress() != null && HostPort.isValid(current.peerAddress())) {
            peer = HostPort.parse(current.peerAddress());
        }
        return new LocalMappingRules(current.adminHost(), admin.port(), current.haHost(), haPort, peer,
                LocalMappingRules::isInterfaceAddress);
    }

    private String masterAddress() {
        String peer = ha == null ? settings.peerAddress() : ha.settings().peerAddress();
        return role() == Role.SHADOW ? peer : null;
    }

    // ------------------------------------------------------------------ HA operations

    @Override
    public String attach(String master, String user, char[] password, String fingerprint) throws IOException {
        return operations().attach(master, user, password, fingerprint);
    }

    @Override
    public void detach() throws IOException {
        operations().detach();
    }

    @Override
    public void reset() throws IOException {
        operations().reset();
    }

    @Override
    public String switchRoles(boolean force) throws IOException {
        return operations().switchRoles(force);
    }

    private HaOperations operations() {
        return new HaOperations(ha, settings, alerts);
    }

    /** The newest {@code limit} role changes, oldest first. */
    @Override
    public List<dev.understudy.common.home.EventLog.Event> events(int limit) throws IOException {
        return home.eventLog().tail(limit);
    }

    // ------------------------------------------------------------------ status

    /** The status document of {@code GET /api/v1/status} and {@code understudy status --json}. */
    @Override
    public ObjectNode status() {
        return new StatusDocument(this, ha, connector, certificateFingerprint, startedAt).render();
    }

    // ------------------------------------------------------------------ parts

    @Override
    public NodeHome home() {
        return home;
    }

    @Override
    public NodeSettings settings() {
        return settings;
    }

    public Clock clock() {
        return clock;
    }

    @Override
    public ConfigStore store() {
        return store;
    }

    @Override
    public AlertStore alerts() {
        return alerts;
    }

    /** The guard every login of this node goes through. */
    @Override
    public LoginGuard logins() {
        return logins;
    }

    /** The local CLI credential (never logged). */
    @Override
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
        // the role object first (master: BYE to the shadow; shadow: disconnect), then the data plane
        if (ha != null) {
            ha.close();
        }
        if (connector != null) {
            try {
                Futures.within(connector.stopAll(), STOP, "stopping the listeners");
            } catch (IOException e) {
                log.warn("data plane did not stop cleanly: {}", e.getMessage());
            }
        }
        dataPlaneUpdates.shutdownNow();
        if (admin != null) {
            admin.close();
        }
        for (EventLoopGroup g : new EventLoopGroup[] {haGroup, dataBoss, dataWorkers}) {
            if (g != null) {
                g.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
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

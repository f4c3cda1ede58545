package dev.understudy.dist.ha;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.cert.Certificates;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.EventLog;
import dev.understudy.common.home.HostPort;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.common.home.NodeState;
import dev.understudy.common.auth.AdminCredentials;
import dev.understudy.common.auth.LoginGuard;
import dev.understudy.common.home.PasswordHasher;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.home.DataPlaneMode;
import dev.understudy.common.home.Role;
import dev.understudy.common.io.AtomicFiles;
import dev.understudy.common.json.Json;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.common.store.Revision;
import dev.understudy.ha.failover.FailoverAction;
import dev.understudy.ha.failover.FailoverEvent;
import dev.understudy.ha.failover.FailoverMachine;
import dev.understudy.ha.failover.FailoverState;
import dev.understudy.ha.failover.FailoverTimings;
import dev.understudy.ha.failover.HaState;
import dev.understudy.ha.handshake.PeerView;
import dev.understudy.master.MasterRole;
import dev.understudy.master.PairingAuthority;
import dev.understudy.master.PeerChecker;
import dev.understudy.shadow.ShadowReplica;
import dev.understudy.shadow.ShadowRole;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HA half of a node. All failover decisions happen on one thread ("failover") that owns the
 * {@link FailoverState}: events from the network and timers are posted to it, the pure machine
 * computes the next state and actions, and this class performs them in order — persisting the
 * epoch before serving, stopping the data plane before anything else on a step-down.
 */
public final class HaNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HaNode.class);

    /** Progress of the current or last full transfer received (shadow). */
    public record SyncProgress(long receivedBytes, long totalBytes, String reason) {}

    private final NodeHome home;
    private volatile int adminPort;
    private volatile NodeSettings settings;
    private volatile NodeState nodeState;
    private final ConfigStore store;
    private final AlertStore alerts;
    private final LoginGuard logins;
    private final AdminCredentials credentials;
    private final Clock clock;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final PrivateKey key;
    private final X509Certificate cert;
    private final ServingHooks hooks;
    private final FailoverTimings timings;
    private final ScheduledExecutorService loop;
    private final ShadowReplica replica;
    private final EventLog events;
    private final RoleChangeHook hook;
    private final PeerChecker checker;
    private final AtomicLong failovers = new AtomicLong();

    // owned by the loop thread
    private FailoverState fs;
    private MasterRole master;
    private ShadowRole shadow;
    private ScheduledFuture<?> deadlineTick;
    private long scheduledDeadline = Long.MAX_VALUE;
    private CompletableFuture<String> pendingSwitch;
    private long persistedAcked;
    private volatile X509Certificate pinnedPeer;
    private volatile boolean writesStopped;
    private volatile boolean serving;
    private volatile int haPort;
    private volatile HaState published = HaState.DETACHED;
    private volatile long publishedEpoch;
    private volatile SyncProgress syncProgress;
    private volatile boolean closed;
    /** When the loop last ran (any event): a gap longer than takeoverDelay means this process was paused or starved. */
    private volatile long lastLoopNanos;
    /** Serving is suspended after such a gap until the peer has been checked (the shadow may have taken over). */
    private volatile boolean heldAfterStall;
    /** Active-active: whether this node serves the data plane as a shadow (the master side has {@link #serving}). */
    private volatile ShadowServing shadowServing = ShadowServing.initial();

    public HaNode(NodeHome home, NodeSettings settings, NodeState state, ConfigStore store, AlertStore alerts, Clock clock,
                  EventLoopGroup boss, EventLoopGroup workers, PrivateKey key, X509Certificate cert, ServingHooks hooks)
            throws IOException {
        this(home, settings, state, store, alerts, clock, boss, workers, key, cert, hooks, LoginGuard.standard(clock, alerts));
    }

    /** With the node's {@code logins} guard, shared with the admin API: pairing attempts are throttled with its logins. */
    public HaNode(NodeHome home, NodeSettings settings, NodeState state, ConfigStore store, AlertStore alerts, Clock clock,
                  EventLoopGroup boss, EventLoopGroup workers, PrivateKey key, X509Certificate cert, ServingHooks hooks,
                  LoginGuard logins) throws IOException {
        this.logins = logins;
        this.credentials = new AdminCredentials(store);
        this.home = home;
        this.settings = settings;
        this.nodeState = state;
        this.store = store;
        this.alerts = alerts;
        this.clock = clock;
        this.boss = boss;
        this.workers = workers;
        this.key = key;
        this.cert = cert;
        this.hooks = hooks;
        this.timings = FailoverTimings.of(settings.heartbeatInterval(), settings.takeoverDelay(), settings.requestTimeout());
        this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "failover");
            t.setDaemon(true);
            return t;
        });
        this.replica = new ShadowReplica(store, clock);
        this.replica.onProgress((got, total, why) -> syncProgress = new SyncProgress(got, total, why));
        this.events = home.eventLog();
        this.hook = new RoleChangeHook(home.roleChangeHook(), why ->
                alerts.raise(Severity.WARNING, AlertCategory.FAILOVER, "hook", why));
        this.checker = new PeerChecker(workers, key, cert, clock, settings.connectTimeout(), r ->
                log.warn("peer check: {}", r));
        this.pinnedPeer = Files.exists(home.peerCrt()) ? Certificates.readCertificate(home.peerCrt()) : null;
        if (settings.haPort() == 0) {
            // port 0 = let the OS choose, once: the peer must find this node at the same port after a role change
            try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1,
                    java.net.InetAddress.getByName(settings.haHost()))) {
                NodeSettings chosen = settings.withPorts(settings.adminPort(), probe.getLocalPort());
                home.saveSettings(chosen);
                this.settings = chosen;
            }
        }
        this.persistedAcked = state.lastAckedRevision();
        if (state.orphanCheckFrom() != null) {
            replica.checkOrphansFrom(state.orphanCheckFrom(), this::orphaned);
        }
    }

    // ------------------------------------------------------------------ lifecycle

    /** Starts in the state the persisted role and pairing call for. */
    public void start() {
        CompletableFuture<Void> started = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                boolean paired = pinnedPeer != null && settings.peerAddress() != null;
                FailoverMachine.Transition t = FailoverMachine.initial(settings.nodeId(), nodeState.role(),
                        nodeState.epoch(), paired, timings, clock.nanoTime());
                fs = t.next();
                log.info("HA start: {} in epoch {} ({})", fs.state(), fs.epoch(), fs.reason());
                ensureRole();
                perform(t.actions(), null);
                publish();
                started.complete(null);
            } catch (Throwable e) {
                started.completeExceptionally(e);
            }
        });
        try {
            started.join();
        } catch (java.util.concurrent.CompletionException e) {
            // the loop's own failure, e.g. a busy haPort, with its message, not wrapped in "CompletionException: ..."
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        lastLoopNanos = clock.nanoTime();
        long every = Math.max(timings.heartbeat() / 4, 5_000_000L);
        loop.scheduleAtFixedRate(() -> handle(new FailoverEvent.Tick()), every, every, TimeUnit.NANOSECONDS);
    }

    @Override
    public void close() {
        closed = true;
        CompletableFuture<Void> done = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                if (master != null) {
                    master.close();
                    master = null;
                }
                if (shadow != null) {
                    shadow.close();
                    shadow = null;
                }
            } finally {
                done.complete(null);
            }
        });
        try {
            done.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("HA shutdown did not finish cleanly: {}", e.toString());
        }
        loop.shutdownNow();
    }

    // ------------------------------------------------------------------ the loop

    private void post(FailoverEvent e) {
        if (!closed) {
            loop.execute(() -> handle(e));
        }
    }

    private void handle(FailoverEvent e) {
        if (fs == null || closed) {
            return;
        }
        try {
            long gap = checkStall();
            if (ServingDecision.isStall(gap, timings) && !(e instanceof FailoverEvent.Stalled)) {
                // silence measured across this node's own stall is not the peer's: the machine discounts it
                handle(new FailoverEvent.Stalled(gap));
            }
            FailoverState before = fs;
            FailoverMachine.Transition t = FailoverMachine.step(fs, e, timings, clock.nanoTime());
            fs = t.next();
            if (before.state() != fs.state()) {
                log.info("HA state {} -> {} (epoch {}): {}", before.state(), fs.state(), fs.epoch(), fs.reason());
            }
            perform(t.actions(), before);
            ensureRole();
            publish();
            settleSwitch(before);
            clearOrphanCheckWhenInSync();
            scheduleDeadline();
            releaseStallHold(e);
            stepShadowServing(e, gap);
            if (e instanceof FailoverEvent.Tick) {
                persistAckedRevision();
            }
        } catch (RuntimeException ex) {
            log.error("failover step on {} failed", e, ex);
        }
    }

    /**
     * A paired active node whose own loop did not run for takeoverDelay (SIGSTOP, VM freeze, starvation)
     * cannot know whether its shadow took over meanwhile: it stops serving at once and checks its peer
     * before serving again (DESIGN.md §5: a node must not serve in an epoch that was superseded).
     */
    private long checkStall() {
        long now = clock.nanoTime();
        long gap = now - lastLoopNanos;
        lastLoopNanos = now;
        if (ServingDecision.holdAfterStall(gap, timings, serving, fs.paired(), fs.state(), heldAfterStall)) {
            log.warn("this node did not run for {} ms (paused or starved; takeoverDelay {} ms): the shadow may have taken"
                    + " over, so serving stops until the peer is checked", gap / 1_000_000, timings.takeover() / 1_000_000);
            heldAfterStall = true;
            serving = false;
            hooks.stopServing("paused for " + gap / 1_000_000 + " ms; checking the peer before serving again");
            checkPeer(0);
        }
        return gap;
    }

    private void releaseStallHold(FailoverEvent e) {
        if (!heldAfterStall) {
            return;
        }
        ServingDecision.HoldAfterStep next = ServingDecision.afterStep(fs.state(), e);
        if (next != ServingDecision.HoldAfterStep.KEEP) {
            heldAfterStall = false;
        }
        if (next == ServingDecision.HoldAfterStep.SERVE && !serving) {
            log.info("peer checked after the pause: no other node serves in a higher epoch; serving again in epoch {}",
                    fs.epoch());
            serving = true;
            hooks.startServing(fs.epoch());
        }
    }

    /** Active-active: starts or stops a shadow's data plane as {@link ShadowServing} decides. */
    private void stepShadowServing(FailoverEvent e, long gap) {
        boolean heard = e instanceof FailoverEvent.PeerHeard || e instanceof FailoverEvent.SyncProgress
                || e instanceof FailoverEvent.Connected;
        ShadowServing before = shadowServing;
        shadowServing = before.step(dataPlaneMode(), fs.state(), heard, gap, clock.nanoTime(), timings);
        if (before.serving() == shadowServing.serving() || serving) {
            return; // unchanged, or the master side serves (it started after a promotion, within this step)
        }
        if (shadowServing.serving()) {
            log.info("active-active: the shadow serves the data plane: {}", shadowServing.reason());
            hooks.startServing(fs.epoch());
        } else {
            log.warn("active-active: the shadow stops serving the data plane: {}", shadowServing.reason());
            hooks.stopServing(shadowServing.reason());
        }
    }

    /** The data plane mode in effect: node.json's, else the replicated settings/dataPlane, else active-standby. */
    public DataPlaneMode dataPlaneMode() {
        return DataPlaneMode.effective(settings.dataPlane(),
                store.read(doc -> doc.get(ConfigCollection.SETTINGS, DataPlaneMode.SETTING_KEY)));
    }

    /** Why this node's data plane serves or not, when it is a shadow (active-active); null on a master. */
    public String shadowServingReason() {
        return published.role() == Role.SHADOW ? shadowServing.reason() : null;
    }

    /**
     * A tick exactly at the machine's next deadline (e.g. the quick re-connect that confirms a
     * crashed master), instead of waiting for the next periodic tick.
     */
    private void scheduleDeadline() {
        long next = fs.nextDeadline();
        if (next == Long.MAX_VALUE || next == scheduledDeadline) {
            return;
        }
        if (deadlineTick != null) {
            deadlineTick.cancel(false);
        }
        scheduledDeadline = next;
        long delay = Math.max(0, next - clock.nanoTime());
        deadlineTick = loop.schedule(() -> handle(new FailoverEvent.Tick()), delay, TimeUnit.NANOSECONDS);
    }

    private void publish() {
        published = fs.state();
        publishedEpoch = fs.epoch();
    }

    private void perform(List<FailoverAction> actions, FailoverState before) {
        for (FailoverAction a : actions) {
            if (a instanceof FailoverAction.StopServing s) {
                // refuse writes from this moment, not from publish() after the whole step-down: a write taken
                // meanwhile would be acknowledged by a node that already knows it lost (nemesis seed 2008)
                writesStopped = true;
                if (serving) {
                    serving = false;
                    hooks.stopServing(s.reason());
                }
            } else if (a instanceof FailoverAction.PersistState p) {
                persist(p);
            } else if (a instanceof FailoverAction.StartServing s) {
                serving = true;
                writesStopped = false;
                hooks.startServing(s.epoch());
            } else if (a instanceof FailoverAction.Connect) {
                ensureRole();
                if (shadow != null) {
                    shadow.connect();
                }
            } else if (a instanceof FailoverAction.Disconnect d) {
                if (shadow != null) {
                    shadow.disconnect(d.reason());
                }
                if (master != null && !fs.state().role().equals(Role.SHADOW)) {
                    master.disconnectShadow(d.reason());
                }
            } else if (a instanceof FailoverAction.CheckPeer) {
                checkPeer(0);
            } else if (a instanceof FailoverAction.SendPromote p) {
                if (master != null) {
                    master.sendPromote(p.epoch());
                }
            } else if (a instanceof FailoverAction.SendDemote d) {
                if (master != null && master.shadowConnected()) {
                    master.sendDemote(d.epoch(), "node " + settings.nodeId() + " serves in epoch " + d.epoch());
                } else {
                    checkPeer(d.epoch());
                }
            } else if (a instanceof FailoverAction.StopWrites) {
                writesStopped = true;
            } else if (a instanceof FailoverAction.ResumeWrites) {
                writesStopped = false;
            } else if (a instanceof FailoverAction.FlushToPeer) {
                long rev = store.revision();
                if (master != null) {
                    master.awaitAck(rev, settings.requestTimeout()).thenAccept(ok -> {
                        if (ok) {
                            post(new FailoverEvent.HandoverAcked(rev));
                        }
                    });
                }
            } else if (a instanceof FailoverAction.RaiseAlert r) {
                if ("switch-refused".equals(r.key())) {
                    failSwitch(r.message());
                } else {
                    alerts.raise(r.severity(), r.category(), r.key(), r.message());
                }
            } else if (a instanceof FailoverAction.ResolveAlert r) {
                alerts.resolve(r.category(), null);
            } else if (a instanceof FailoverAction.RecordRoleChange c) {
                recordRoleChange(c);
            }
        }
    }

    private void persist(FailoverAction.PersistState p) {
        NodeState next = nodeState.withEpochRole(p.epoch(), p.role());
        if (p.role() == Role.MASTER && nodeState.role() == Role.SHADOW) {
            // a new tenure as master: what an earlier tenure's shadow acknowledged says nothing now (simulation
            // seed 8326 for why a pending orphan check keeps its mark)
            long shared = ServingDecision.newTenureAckedMark(nodeState.orphanCheckFrom(), store.revision());
            next = next.withLastAcked(shared);
            persistedAcked = shared;
        }
        try {
            home.saveState(next);
            nodeState = next;
            post(new FailoverEvent.Persisted(p.epoch(), p.role()));
        } catch (IOException e) {
            // without a durable epoch the node must not serve in it: stay where we are and say so
            log.error("cannot write {}: {}; not acting on epoch {}", home.stateJson(), e.getMessage(), p.epoch());
            alerts.raise(Severity.ERROR, AlertCategory.FAILOVER, "persist",
                    "Cannot write " + home.stateJson() + " (" + e.getMessage() + "); this node cannot change role until"
                            + " the disk problem is fixed.");
        }
    }

    private void persistAckedRevision() {
        if (master == null) {
            return;
        }
        long acked = master.ackedRevision();
        if (acked > persistedAcked) {
            try {
                NodeState next = nodeState.withLastAcked(acked);
                home.saveState(next);
                nodeState = next;
                persistedAcked = acked;
            } catch (IOException e) {
                log.warn("cannot record the last acknowledged revision in {}: {}", home.stateJson(), e.getMessage());
            }
        }
    }

    private void recordRoleChange(FailoverAction.RecordRoleChange c) {
        try {
            events.append(new EventLog.Event(Instant.ofEpochMilli(clock.currentTimeMillis()).toString(),
                    c.from().wireName(), c.to().wireName(), c.epoch(), c.reason()));
        } catch (IOException e) {
            log.error("cannot append to {}: {}", home.eventsLog(), e.getMessage());
        }
        log.warn("ROLE CHANGE {} -> {} in epoch {}: {}", c.from(), c.to(), c.epoch(), c.reason());
        if (c.to() == Role.MASTER) {
            failovers.incrementAndGet();
            // a master is not "stepped down", and a pairing refusal its shadow role saw no longer applies
            alerts.resolve(AlertCategory.FAILOVER, "stepped-down");
            alerts.resolve(AlertCategory.PAIRING_REJECTED, "master");
            alerts.resolve(AlertCategory.PAIRING_REJECTED, "tls:" + settings.peerAddress());
        }
        if (c.from() == Role.MASTER && c.to() == Role.SHADOW) {
            long acked = Math.max(persistedAcked, master == null ? 0 : master.ackedRevision());
            if (nodeState.orphanCheckFrom() != null) {
                // an earlier tenure's check is still pending (promoted again before syncing): its revisions count too
                acked = Math.min(acked, nodeState.orphanCheckFrom());
            }
            // durable: a restart before the first resync must still report what the new master lacks
            saveOrphanCheck(acked);
            replica.checkOrphansFrom(acked, this::orphaned);
            // master-only alerts end with the tenure: the new master raises its own
            alerts.resolve(AlertCategory.PUSH_FAILED, null);
            alerts.resolve(AlertCategory.PEER_UNREACHABLE, null);
            alerts.resolve(AlertCategory.FAILOVER, "takeover");
        }
        hook.run(c.from().wireName(), c.to().wireName(), c.epoch());
    }

    private void saveOrphanCheck(Long from) {
        try {
            NodeState next = nodeState.withOrphanCheckFrom(from);
            home.saveState(next);
            nodeState = next;
        } catch (IOException e) {
            log.error("cannot record the pending orphan check in {}: {}", home.stateJson(), e.getMessage());
        }
    }

    /** Once this former master is in sync, whatever it lacked has been reported (or there was nothing). */
    private void clearOrphanCheckWhenInSync() {
        if (nodeState.orphanCheckFrom() != null && fs.state() == HaState.STANDBY) {
            saveOrphanCheck(null);
        }
    }

    private void orphaned(ShadowReplica.Orphans o) {
        long first = o.revisions().get(0).revision();
        long last = o.revisions().get(o.revisions().size() - 1).revision();
        Path file = home.orphanedDir().resolve("orphaned-epoch" + nodeState.epoch() + "-r" + first + "-" + last + ".json");
        ObjectNode root = Json.object();
        root.put("node", settings.nodeId());
        root.put("detectedAt", Instant.ofEpochMilli(clock.currentTimeMillis()).toString());
        root.put("newEpoch", nodeState.epoch());
        root.put("howToReapply", "POST each changeSet to the master's /api/v1/config/changes, or repeat it with"
                + " `understudy config put|delete` against the master");
        ArrayNode sets = root.putArray("changeSets");
        for (Revision r : o.revisions()) {
            ObjectNode n = sets.addObject();
            n.put("revision", r.revision());
            n.putObject("changeSet").set("ops", Json.mapper().valueToTree(r.ops()));
        }
        try {
            Files.createDirectories(home.orphanedDir());
            AtomicFiles.write(file, Json.pretty(root).getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            log.error("cannot write orphaned changes to {}: {}", file, e.getMessage());
        }
        alerts.raise(Severity.ERROR, AlertCategory.ORPHANED_CHANGES, file.getFileName().toString(),
                o.revisions().size() + " change set(s) committed on this node while it was master (revisions " + first
                        + ".." + last + ") were never acknowledged by the new master and are not in its configuration."
                        + " They are saved in " + file + "; review them and re-apply what is still wanted on the master"
                        + " (POST each changeSet to /api/v1/config/changes, or use `understudy config put`).");
    }

    /** Creates or stops role objects so that exactly the one for the current role exists. */
    private void ensureRole() {
        Role want = fs.state().role();
        if (want == Role.MASTER && master == null) {
            if (shadow != null) {
                shadow.close();
                shadow = null;
            }
            startMaster();
        } else if (want == Role.SHADOW && shadow == null) {
            if (master != null) {
                master.close();
                master = null;
            }
            startShadow();
        }
    }

    private void startMaster() {
        master = new MasterRole(new MasterRole.Settings(settings.nodeId(), settings.haHost(), haPortToBind(),
                settings.heartbeatInterval(), settings.takeoverDelay(), settings.requestTimeout(), key, cert,
                settings.permittedShadowHost()), boss, workers, store, alerts, clock, () -> publishedEpoch,
                () -> published.name(), this::post, new Authority());
        master.advertiseAdminPort(adminPort);
        try {
            haPort = master.start();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) { // Netty rethrows the checked BindException undeclared
            String why = "haPort: cannot listen on " + settings.haHost() + ":" + haPortToBind() + ": " + e.getMessage()
                    + " (expected: a free port; stop what uses it or change haPort in " + home.nodeJson() + ")";
            log.error("{}", why);
            throw new IllegalStateException(why, e);
        }
    }

    private int haPortToBind() {
        // once bound (port 0 = OS-chosen), keep the same port across role changes: the peer knows it
        return haPort != 0 ? haPort : settings.haPort();
    }

    private void startShadow() {
        HostPort masterAddr = settings.peerAddress() == null ? null : HostPort.parse(settings.peerAddress());
        shadow = new ShadowRole(new ShadowRole.Settings(settings.nodeId(), masterAddr == null ? new HostPort("0.0.0.0", 1) : masterAddr,
                advertisedHaAddress(), settings.heartbeatInterval(), settings.connectTimeout(), key, cert, pinnedPeer),
                workers, replica, clock, () -> publishedEpoch, () -> published.name(), this::post, alerts);
    }

    private String advertisedHaAddress() {
        int port = haPortToBind();
        return (settings.haHost().equals("0.0.0.0") ? "0.0.0.0" : settings.haHost()) + ":" + port;
    }

    private void checkPeer(long demoteEpoch) {
        if (settings.peerAddress() == null || pinnedPeer == null) {
            post(new FailoverEvent.PeerChecked(null, FailoverEvent.Failure.ERROR));
            return;
        }
        PeerChecker.Self self = new PeerChecker.Self(settings.nodeId(), fs.epoch(), fs.state().name(), store.head());
        CompletableFuture<FailoverEvent.PeerChecked> f = checker.check(HostPort.parse(settings.peerAddress()), pinnedPeer,
                self, demoteEpoch);
        if (demoteEpoch == 0) {
            f.thenAccept(this::post);
        }
    }

    // ------------------------------------------------------------------ pairing (master side)

    private final class Authority implements PairingAuthority {
        @Override
        public Verdict verify(String user, char[] password, String source) {
            LoginGuard.Result r = logins.attempt(LoginGuard.Door.HA_PAIRING, source, user,
                    () -> credentials.verify(user, password));
            return r.ok() ? Verdict.ACCEPTED : r.outcome() == LoginGuard.Outcome.THROTTLED
                    ? new Verdict(false, Math.max(1, r.retryAfterSeconds())) : Verdict.DENIED;
        }

        @Override
        public void pin(X509Certificate shadowCert, String shadowNodeId, String shadowHaAddress) throws IOException {
            Certificates.writeCertificate(home.peerCrt(), shadowCert);
            NodeSettings next = settings.withPeer(shadowHaAddress, shadowNodeId);
            home.saveSettings(next);
            settings = next;
            pinnedPeer = shadowCert;
        }

        @Override
        public X509Certificate pinned() {
            return pinnedPeer;
        }
    }

    // ------------------------------------------------------------------ operator actions

    /** Attaches this shadow to a master (DESIGN.md §4 pairing); completes with the master's node id. */
    public CompletableFuture<String> attach(HostPort masterAddr, String user, char[] password, String fingerprint) {
        CompletableFuture<String> result = new CompletableFuture<>();
        loop.execute(() -> {
            if (fs.state() != HaState.DETACHED) {
                result.completeExceptionally(new IllegalStateException("this node is " + fs.state()
                        + (fs.state().role() == Role.MASTER ? " (a master); only a shadow attaches to a master"
                        : " and already attached to " + settings.peerAddress() + "; run `understudy detach` first")));
                return;
            }
            if (shadow != null) {
                shadow.close();
            }
            NodeSettings target = settings.withPeer(masterAddr.toString(), null);
            settings = target;
            shadow = new ShadowRole(new ShadowRole.Settings(settings.nodeId(), masterAddr, advertisedHaAddress(),
                    settings.heartbeatInterval(), settings.connectTimeout(), key, cert, null),
                    workers, replica, clock, () -> publishedEpoch, () -> published.name(), this::post, alerts);
            String pw = new String(password);
            PasswordHasher.wipe(password);
            shadow.pair(new ShadowRole.Pairing(user, pw, fingerprint)).whenComplete((paired, err) -> {
                if (err != null) {
                    loop.execute(() -> {
                        if (shadow != null) {
                            shadow.close();
                        }
                        shadow = null;
                        settings = settings.withPeer(null, null);
                        ensureRole();
                    });
                    result.completeExceptionally(err instanceof java.util.concurrent.CompletionException c ? c.getCause() : err);
                    return;
                }
                try {
                    Certificates.writeCertificate(home.peerCrt(), paired.masterCert());
                    NodeSettings next = settings.withPeer(masterAddr.toString(), paired.masterHello().nodeId());
                    home.saveSettings(next);
                    settings = next;
                    pinnedPeer = paired.masterCert();
                    shadow.pin(paired.masterCert());
                } catch (IOException e) {
                    result.completeExceptionally(e);
                    return;
                }
                // posted before the session reports Connected: the machine attaches, then sees the connection
                post(new FailoverEvent.Attached());
                log.info("attached to master {} at {}; its certificate {} is pinned", paired.masterHello().nodeId(),
                        masterAddr, Certificates.fingerprint(paired.masterCert()));
                result.complete(paired.masterHello().nodeId() + " " + Certificates.fingerprint(paired.masterCert()));
            });
        });
        return result;
    }

    /** Detaches this node from its peer: the pairing is forgotten on this side. */
    public CompletableFuture<Void> detach(boolean refuseWhileConnected) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                if (refuseWhileConnected && master != null && master.shadowConnected()) {
                    throw new IllegalStateException("a shadow is connected; run `understudy detach` first (or on the shadow)");
                }
                handle(new FailoverEvent.Detached());
                Files.deleteIfExists(home.peerCrt());
                NodeSettings next = settings.withPeer(null, null);
                home.saveSettings(next);
                settings = next;
                pinnedPeer = null;
                if (shadow != null) {
                    shadow.pin(null);
                }
                result.complete(null);
            } catch (Exception e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    /** Planned switch (on the master) or forced promotion (on a shadow with {@code force}). */
    public CompletableFuture<String> switchRoles(boolean force) {
        CompletableFuture<String> result = new CompletableFuture<>();
        loop.execute(() -> {
            if (pendingSwitch != null) {
                result.completeExceptionally(new IllegalStateException("a switch is already in progress"));
                return;
            }
            pendingSwitch = result;
            if (fs.state().role() == Role.MASTER) {
                handle(new FailoverEvent.SwitchRolesRequested(force));
            } else if (force) {
                handle(new FailoverEvent.ForcePromote());
            } else {
                String url = masterAdminUrl();
                failSwitch("this node is the shadow; run switch-roles on the master (" + (url != null ? "admin " + url
                        : "HA address " + settings.peerAddress()) + "), or use --force to promote this shadow now");
            }
        });
        return result;
    }

    private void failSwitch(String why) {
        if (pendingSwitch != null) {
            pendingSwitch.completeExceptionally(new IllegalStateException(why));
            pendingSwitch = null;
        }
    }

    private void settleSwitch(FailoverState before) {
        if (pendingSwitch == null) {
            return;
        }
        if (fs.state() == HaState.CONNECTING && before.state() == HaState.DEMOTING) {
            pendingSwitch.complete("handed over to " + settings.peerNodeId() + " in epoch " + fs.epoch()
                    + "; this node is now its shadow");
            pendingSwitch = null;
        } else if (before.state() == HaState.DEMOTING && fs.state().serving() && fs.state() != HaState.DEMOTING) {
            failSwitch("switch-roles aborted: " + fs.reason());
        } else if (fs.state() == HaState.ACTIVE_ALONE && before.state() == HaState.PROMOTING) {
            pendingSwitch.complete("this node is now master in epoch " + fs.epoch());
            pendingSwitch = null;
        }
    }

    // ------------------------------------------------------------------ queries (any thread)

    /** After a local commit: completes with whether an in-sync shadow acknowledged it in time. */
    public CompletableFuture<Boolean> replicated(long revision) {
        MasterRole m = master;
        if (published != HaState.ACTIVE_PAIRED || m == null) {
            return CompletableFuture.completedFuture(false);
        }
        return m.awaitAck(revision, settings.requestTimeout());
    }

    /** Whether this node accepts writes now (an active master not handing over). */
    public boolean acceptsWrites() {
        return ServingDecision.acceptsWrites(published, writesStopped, heldAfterStall, stalledNow());
    }

    /** Whether this node serves now; false also between a long pause and the loop noticing it. */
    public boolean serving() {
        return ServingDecision.serving(serving, published, stalledNow());
    }

    /**
     * Whether the data plane should listen now: the failover loop's own decision, set before the new
     * state is published (the data plane starts while the state is still being published).
     */
    public boolean dataPlaneOn() {
        return (serving || shadowServing.serving()) && !stalledNow();
    }

    private boolean stalledNow() {
        return ServingDecision.stalledNow(settings.peerAddress() != null, clock.nanoTime(), lastLoopNanos, timings);
    }

    public HaState state() {
        return published;
    }

    public long epoch() {
        return publishedEpoch;
    }

    public Role role() {
        return published.role();
    }

    public NodeSettings settings() {
        return settings;
    }

    public int haPort() {
        return haPort;
    }

    public long failovers() {
        return failovers.get();
    }

    public SyncProgress syncProgress() {
        return syncProgress;
    }

    /** Duration of the last full transfer received, first chunk to installed; -1 if none. */
    public long lastTransferNanos() {
        return replica.lastTransferNanos();
    }

    public long pushes() {
        MasterRole m = master;
        return m == null ? 0 : m.pushes();
    }

    /** This node's admin port, told to its shadow while master (call before {@link #start()}). */
    public void advertiseAdminPort(int port) {
        this.adminPort = port;
        MasterRole m = master;
        if (m != null) {
            m.advertiseAdminPort(port);
        }
    }

    /** The master's admin URL as its HELLO told this shadow, or null when not known. */
    public String masterAdminUrl() {
        ShadowRole s = shadow;
        Integer port = s == null ? null : s.masterAdminPort();
        String peer = settings.peerAddress();
        if (port == null || peer == null) {
            return null;
        }
        return "https://" + peer.substring(0, peer.lastIndexOf(':')) + ":" + port + "/";
    }

    /** The master's view of its shadow's session; null while this node is not master. */
    public MasterRole.SessionView shadowSession() {
        MasterRole m = master;
        return m == null ? null : m.sessionView();
    }

    public long pushFailures() {
        MasterRole m = master;
        return m == null ? 0 : m.pushFailures();
    }

    /** What this node knows of its peer. */
    public PeerView peer() {
        MasterRole m = master;
        ShadowRole s = shadow;
        PeerView v = m != null ? m.peer() : s != null ? s.peer() : PeerView.NONE;
        if (v.nodeId() == null && settings.peerNodeId() != null) {
            return new PeerView(settings.peerNodeId(), settings.peerAddress(), null, 0, 0, null, -1);
        }
        return v;
    }

    public long lastHeardMillisAgo() {
        PeerView v = peer();
        return v.lastHeardNanos() < 0 ? -1 : (clock.nanoTime() - v.lastHeardNanos()) / 1_000_000;
    }
}

package dev.understudy.dist.ha;

import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.auth.AdminCredentials;
import dev.understudy.common.auth.LoginGuard;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.clock.ExecutorScheduler;
import dev.understudy.common.clock.Scheduler;
import dev.understudy.common.home.HostPort;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.common.home.NodeState;
import dev.understudy.common.home.Role;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.ha.failover.FailoverEvent;
import dev.understudy.ha.failover.FailoverMachine;
import dev.understudy.ha.failover.FailoverState;
import dev.understudy.ha.failover.FailoverTimings;
import dev.understudy.ha.failover.HaState;
import dev.understudy.ha.failover.StallHold;
import dev.understudy.ha.handshake.PeerView;
import dev.understudy.master.MasterRole;
import dev.understudy.master.PeerChecker;
import dev.understudy.shadow.ShadowReplica;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HA half of a node: a thin loop. All failover decisions are the pure {@link FailoverMachine}'s, on one
 * thread ("failover", an injected {@link Scheduler}, the one timer source) that owns the
 * {@link FailoverState}: events from the network and timers are posted to it, the machine computes the next
 * state and actions, and this class performs them in order. Files, role objects, pairing and the operator's
 * switch live in their own classes beside it.
 */
public final class HaNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HaNode.class);

    /** Progress of the current or last full transfer received (shadow). */
    public record SyncProgress(long receivedBytes, long totalBytes, String reason) {}

    private final Clock clock;
    private final FailoverTimings timings;
    private final Scheduler loop;
    private final ShadowReplica replica;
    private final HaFiles files;
    private final HaRoles roles;
    private final Pairing pairing;
    private final RoleChangeRecorder recorder;
    private final SwitchRoles switches = new SwitchRoles();
    private final HaActions actions;
    /** Active-active: the shadow's data plane (a master's is the machine's {@code serving}). */
    private final ShadowDataPlane shadowPlane;
    private Scheduler.Cancellable deadlineTick;
    private long scheduledDeadline = Long.MAX_VALUE;
    /** Before {@link #start()}: detached, unpaired, serving nothing. */
    private static final FailoverState NOT_STARTED = new FailoverState(HaState.DETACHED, 0, "", false, false, false, 0,
            Long.MAX_VALUE, Long.MAX_VALUE, 0, 0, false, "not started");
    /** The loop's state: written by the loop only, already the new one while a step's actions are performed. */
    private volatile FailoverState fs = NOT_STARTED;
    /** The state after the last complete step. */
    private volatile FailoverState published = NOT_STARTED;
    private volatile SyncProgress syncProgress;
    private volatile boolean closed;

    public HaNode(NodeHome home, NodeSettings settings, NodeState state, ConfigStore store, AlertStore alerts, Clock clock,
                  EventLoopGroup boss, EventLoopGroup workers, PrivateKey key, X509Certificate cert, ServingHooks hooks)
            throws IOException {
        this(home, settings, state, store, alerts, clock, boss, workers, key, cert, hooks, LoginGuard.standard(clock, alerts));
    }

    /** With the node's {@code logins} guard, shared with the admin API: pairing attempts are throttled with its logins. */
    public HaNode(NodeHome home, NodeSettings settings, NodeState state, ConfigStore store, AlertStore alerts, Clock clock,
                  EventLoopGroup boss, EventLoopGroup workers, PrivateKey key, X509Certificate cert, ServingHooks hooks,
                  LoginGuard logins) throws IOException {
        this(home, settings, state, store, alerts, clock, boss, workers, key, cert, hooks, logins,
                new ExecutorScheduler("failover"));
    }

    /** With the {@code loop} scheduler that runs every step and timer of this node's failover loop. */
    public HaNode(NodeHome home, NodeSettings settings, NodeState state, ConfigStore store, AlertStore alerts, Clock clock,
                  EventLoopGroup boss, EventLoopGroup workers, PrivateKey key, X509Certificate cert, ServingHooks hooks,
                  LoginGuard logins, Scheduler loop) throws IOException {
        this.clock = clock;
        this.loop = loop;
        this.timings = FailoverTimings.of(settings.heartbeatInterval(), settings.takeoverDelay(), settings.requestTimeout());
        this.files = new HaFiles(home, settings, state, alerts);
        this.replica = new ShadowReplica(store, clock);
        this.replica.onProgress((got, total, why) -> syncProgress = new SyncProgress(got, total, why));
        this.pairing = new Pairing(files, logins, new AdminCredentials(store), loop);
        this.roles = new HaRoles(new HaRoles.Parts(files, store, alerts, clock, boss, workers, key, cert, replica),
                this::epoch, () -> state().name(), this::post, pairing);
        this.pairing.bind(roles, () -> fs.state(), this::handle, this::post);
        this.recorder = new RoleChangeRecorder(files, alerts, clock, replica);
        this.shadowPlane = new ShadowDataPlane(hooks, store, this::settings, timings);
        this.actions = new HaActions(new HaActions.Targets(hooks, files, store, alerts, roles, switches, recorder,
                new PeerChecker(workers, key, cert, clock, settings.connectTimeout(), r -> log.warn("peer check: {}", r))),
                () -> fs, timings, this::post);
    }

    /** Starts in the state the persisted role and pairing call for. */
    public void start() {
        try {
            CompletableFuture.runAsync(() -> {
                NodeState s = files.state();
                FailoverMachine.Transition t = FailoverMachine.initial(settings().nodeId(), s.role(), s.epoch(),
                        files.paired(), timings, clock.nanoTime());
                fs = t.next();
                log.info("HA start: {} in epoch {} ({})", fs.state(), fs.epoch(), fs.reason());
                roles.ensure(fs.state().role());
                actions.perform(t.actions());
                published = fs;
            }, loop::execute).join();
        } catch (CompletionException e) {
            // the loop's own failure, e.g. a busy haPort, with its message, not wrapped in "CompletionException: ..."
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        loop.every(() -> handle(new FailoverEvent.Tick()), Math.max(timings.heartbeat() / 4, 5_000_000L));
    }

    @Override
    public void close() {
        closed = true;
        try {
            CompletableFuture.runAsync(roles::closeAll, loop::execute).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("HA shutdown did not finish cleanly: {}", e.toString());
        }
        loop.shutdown();
    }

    private void post(FailoverEvent e) {
        if (!closed) {
            loop.execute(() -> handle(e));
        }
    }

    /** One event: first the loop's own lateness (the machine holds serving after a stall), then the event. */
    private void handle(FailoverEvent e) {
        if (fs == NOT_STARTED || closed) {
            return;
        }
        long lastRun = fs.lastRun();
        long gap = lastRun == Long.MAX_VALUE ? 0 : clock.nanoTime() - lastRun;
        step(new FailoverEvent.LoopRan());
        step(e);
        shadowPlane.afterStep(e, gap, fs, clock.nanoTime());
    }

    private void step(FailoverEvent e) {
        try {
            FailoverState before = fs;
            FailoverMachine.Transition t = FailoverMachine.step(before, e, timings, clock.nanoTime());
            fs = t.next();
            actions.logStep(before, fs);
            actions.perform(t.actions());
            roles.ensure(fs.state().role());
            published = fs;
            switches.settle(before, fs, settings().peerNodeId());
            files.clearOrphanCheckWhenInSync(fs.state());
            scheduleDeadline();
            if (e instanceof FailoverEvent.Tick) {
                files.persistAcked(roles.ackedRevision());
            }
        } catch (RuntimeException ex) {
            log.error("failover step on {} failed", e, ex);
        }
    }

    /** A tick exactly at the machine's next deadline, instead of waiting for the next periodic tick. */
    private void scheduleDeadline() {
        long next = fs.nextDeadline();
        if (next == Long.MAX_VALUE || next == scheduledDeadline) {
            return;
        }
        if (deadlineTick != null) {
            deadlineTick.cancel();
        }
        scheduledDeadline = next;
        deadlineTick = loop.schedule(() -> handle(new FailoverEvent.Tick()), Math.max(0, next - clock.nanoTime()));
    }

    /** Attaches this shadow to a master (DESIGN.md §4 pairing); completes with the master's node id. */
    public CompletableFuture<String> attach(HostPort masterAddr, String user, char[] password, String fingerprint) {
        return pairing.attach(masterAddr, user, password, fingerprint);
    }

    /** Detaches this node from its peer: the pairing is forgotten on this side. */
    public CompletableFuture<Void> detach(boolean refuseWhileConnected) {
        return pairing.detach(refuseWhileConnected);
    }

    /** Planned switch (on the master) or forced promotion (on a shadow with {@code force}). */
    public CompletableFuture<String> switchRoles(boolean force) {
        CompletableFuture<String> result = new CompletableFuture<>();
        loop.execute(() -> switches.request(result, force, fs.state(), this::handle, masterAdminUrl(), settings()));
        return result;
    }

    /** After a local commit: completes with whether an in-sync shadow acknowledged it in time. */
    public CompletableFuture<Boolean> replicated(long revision) {
        return state() != HaState.ACTIVE_PAIRED ? CompletableFuture.completedFuture(false) : roles.awaitAck(revision);
    }

    /** Whether this node accepts writes now (an active master not handing over, not held after a stall). */
    public boolean acceptsWrites() {
        return ServingDecision.acceptsWrites(fs, published, stalledNow());
    }

    /** Whether this node serves now; false also between a long pause and the loop noticing it. */
    public boolean serving() {
        return ServingDecision.serving(fs.serving(), state(), stalledNow());
    }

    /** Whether the data plane should listen now: the loop's state, already the new one while it is published. */
    public boolean dataPlaneOn() {
        return (fs.serving() || shadowPlane.serving()) && !stalledNow();
    }

    private boolean stalledNow() {
        return StallHold.stalledAt(fs, timings, clock.nanoTime());
    }

    public HaState state() {
        return published.state();
    }

    public long epoch() {
        return published.epoch();
    }

    public Role role() {
        return state().role();
    }

    /** The data plane mode in effect: node.json's, else the replicated settings/dataPlane, else active-standby. */
    public dev.understudy.common.config.DataPlaneMode dataPlaneMode() {
        return shadowPlane.mode();
    }

    /** Why this node's data plane serves or not, when it is a shadow (active-active); null on a master. */
    public String shadowServingReason() {
        return shadowPlane.reason(published.state().role());
    }

    public NodeSettings settings() {
        return files.settings();
    }

    public int haPort() {
        return roles.haPort();
    }

    public long failovers() {
        return recorder.failovers();
    }

    public SyncProgress syncProgress() {
        return syncProgress;
    }

    /** Duration of the last full transfer received, first chunk to installed; -1 if none. */
    public long lastTransferNanos() {
        return replica.lastTransferNanos();
    }

    public long pushes() {
        return roles.pushes();
    }

    /** This node's admin port, told to its shadow while master (call before {@link #start()}). */
    public void advertiseAdminPort(int port) {
        roles.advertiseAdminPort(port);
    }

    /** The master's admin URL as its HELLO told this shadow, or null when not known. */
    public String masterAdminUrl() {
        return roles.masterAdminUrl();
    }

    /** The master's view of its shadow's session; null while this node is not master. */
    public MasterRole.SessionView shadowSession() {
        return roles.shadowSession();
    }

    public long pushFailures() {
        return roles.pushFailures();
    }

    /** What this node knows of its peer. */
    public PeerView peer() {
        return roles.peer();
    }

    public long lastHeardMillisAgo() {
        PeerView v = peer();
        return v.lastHeardNanos() < 0 ? -1 : (clock.nanoTime() - v.lastHeardNanos()) / 1_000_000;
    }
}

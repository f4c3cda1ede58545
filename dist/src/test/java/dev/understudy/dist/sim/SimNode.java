package dev.understudy.dist.sim;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.config.ChangeOp;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.home.Role;
import dev.understudy.common.json.Json;
import dev.understudy.common.store.ConfigStore;
import dev.understudy.common.store.Head;
import dev.understudy.common.store.Revision;
import dev.understudy.common.store.StoreOptions;
import dev.understudy.dist.ha.ServingDecision;
import dev.understudy.ha.failover.FailoverAction;
import dev.understudy.ha.failover.FailoverEvent;
import dev.understudy.ha.failover.FailoverEvent.Failure;
import dev.understudy.ha.failover.FailoverMachine;
import dev.understudy.ha.failover.FailoverState;
import dev.understudy.ha.failover.FailoverTimings;
import dev.understudy.ha.failover.HaState;
import dev.understudy.ha.failover.PeerInfo;
import dev.understudy.ha.failover.StallHold;
import dev.understudy.ha.handshake.PeerView;
import dev.understudy.ha.handshake.Versions;
import dev.understudy.ha.message.Ack;
import dev.understudy.ha.message.Bye;
import dev.understudy.ha.message.Delta;
import dev.understudy.ha.message.Demote;
import dev.understudy.ha.message.FullSync;
import dev.understudy.ha.message.HaMessage;
import dev.understudy.ha.message.Heartbeat;
import dev.understudy.ha.message.Hello;
import dev.understudy.ha.message.Nack;
import dev.understudy.ha.message.Promote;
import dev.understudy.master.replication.FullTransfer;
import dev.understudy.master.replication.ReplicationAction;
import dev.understudy.master.replication.ReplicationSession;
import dev.understudy.master.replication.ReplicationSource;
import dev.understudy.shadow.ShadowReplica;
import dev.understudy.shadow.ShadowSync;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * One simulated node: the real failover machine, replication session, shadow replica and store, with a
 * thin model of what HaNode, MasterRole, ShadowRole and PeerChecker do with their actions and messages.
 * Everything runs on the cluster's one simulated thread; time is this node's own (skewed, drifting) ticker.
 */
final class SimNode {

    /** What survives a crash: state.json, events.log, the orphaned-changes files, alerts.json (as far as checked). */
    static final class Disk {
        long epoch;
        Role role;
        long lastAcked;
        Long orphanCheckFrom;
        final List<String> orphanedKeys = new ArrayList<>();
        int orphanReports;
        /** PUSH_FAILED error alerts as [raised, resolved] in cluster time (resolved = MAX while open). */
        final List<long[]> pushErrors = new ArrayList<>();
        long[] openPushError;
    }

    /** A writer (or a handover) waiting for the shadow's ack; answered once. */
    private static final class Waiter {
        private final Consumer<Boolean> done;
        private boolean finished;

        Waiter(Consumer<Boolean> done) {
            this.done = done;
        }

        void complete(boolean value) {
            if (!finished) {
                finished = true;
                done.accept(value);
            }
        }
    }

    final String id;
    private final int index;
    private final Cluster cluster;
    private final Path dir;
    final Disk disk = new Disk();
    final FailoverTimings timings;
    private SimNode peer;

    // the process
    private long incarnation;
    private boolean up;
    private boolean paused;
    private final List<Runnable> deferred = new ArrayList<>();
    private long clockOffset;
    private double clockRate = 1.0;
    private long clockStart;

    // HaNode
    ConfigStore store;
    private ShadowReplica replica;
    FailoverState fs;
    HaState published = HaState.DETACHED;
    private FailoverState publishedState;
    long publishedEpoch;
    private long persistedAcked;
    private long deadlineToken;
    private long scheduledDeadline = Long.MAX_VALUE;
    /** The highest epoch in which this node's loop was told a peer serves (observed, for the checker). */
    long heardServingEpoch;

    // MasterRole
    private boolean listening;
    private Session session;
    private long transfers;
    private final TreeMap<Long, List<Waiter>> waiters = new TreeMap<>();
    private final Consumer<Head> storeListener = h -> onCommitted();

    // ShadowRole
    private boolean shadowRole;
    private Net.Conn masterConn;
    private long generation;

    SimNode(Cluster cluster, String id, int index, Path dir, FailoverTimings timings) {
        this.cluster = cluster;
        this.id = id;
        this.index = index;
        this.dir = dir;
        this.timings = timings;
    }

    void peer(SimNode p) {
        this.peer = p;
    }

    int index() {
        return index;
    }

    long incarnation() {
        return incarnation;
    }

    boolean up() {
        return up;
    }

    boolean paused() {
        return paused;
    }

    boolean listening() {
        return listening;
    }

    // ------------------------------------------------------------------ time

    long now() {
        return clockOffset + (long) ((cluster.now() - clockStart) * clockRate);
    }

    private final Clock clock = new Clock() {
        @Override
        public long nanoTime() {
            return now();
        }

        @Override
        public long currentTimeMillis() {
            return 1_790_000_000_000L + now() / 1_000_000;
        }
    };

    /** Runs {@code r} after {@code localNanos} of this node's time, unless the process is gone by then. */
    void timer(long localNanos, Runnable r) {
        long inc = incarnation;
        long global = (long) Math.ceil(Math.max(0, localNanos) / clockRate) + 1;
        cluster.at(cluster.now() + global, () -> deliver(inc, r));
    }

    /** Runs {@code r} on this process now, later if it is paused, never if it crashed meanwhile. */
    void deliver(long inc, Runnable r) {
        if (inc != incarnation || !up) {
            return;
        }
        if (paused) {
            deferred.add(r);
        } else {
            r.run();
        }
    }

    private void post(FailoverEvent e) {
        timer(0, () -> handle(e));
    }

    // ------------------------------------------------------------------ process lifecycle

    /** Starts the process: opens the store from its files and starts the failover loop. */
    void start(long offset, double rate) {
        incarnation++;
        up = true;
        paused = false;
        deferred.clear();
        clockOffset = offset;
        clockRate = rate;
        clockStart = cluster.now();
        try {
            store = ConfigStore.open(dir.resolve("config"), new StoreOptions(10_000, 32L << 20, 25, 1 << 20));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        replica = new ShadowReplica(store, clock);
        if (disk.orphanCheckFrom != null) {
            replica.checkOrphansFrom(disk.orphanCheckFrom, this::orphaned);
        }
        persistedAcked = disk.lastAcked;
        listening = false;
        shadowRole = false;
        session = null;
        masterConn = null;
        waiters.clear();
        scheduledDeadline = Long.MAX_VALUE;
        FailoverMachine.Transition t = FailoverMachine.initial(id, disk.role, disk.epoch, true, timings, now());
        fs = t.next();
        ensureRole();
        perform(t.actions());
        publish();
        periodicTick(incarnation);
    }

    private void periodicTick(long inc) {
        long every = Math.max(timings.heartbeat() / 4, 5_000_000L);
        timer(every, () -> {
            handle(new FailoverEvent.Tick());
            periodicTick(inc);
        });
    }

    /** kill -9: the kernel resets its connections; the store's files stay as written, maybe with a torn tail. */
    void crash(boolean tornTail) {
        if (!up) {
            return;
        }
        cluster.net.crashed(this);
        up = false;
        paused = false;
        deferred.clear();
        incarnation++;
        waiters.clear(); // their answers never leave the process
        try {
            store.close();
            if (tornTail) {
                tearJournalTail();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void tearJournalTail() throws IOException {
        Path config = dir.resolve("config");
        Path last;
        try (var files = Files.list(config)) {
            last = files.filter(p -> p.getFileName().toString().startsWith("journal-"))
                    .max(Comparator.comparing(p -> Long.parseLong(p.getFileName().toString().replaceAll("\\D", ""))))
                    .orElse(null);
        }
        if (last == null) {
            return;
        }
        byte[] torn = new byte[1 + cluster.netRnd.nextInt(48)];
        cluster.netRnd.nextBytes(torn);
        Files.write(last, torn, StandardOpenOption.APPEND);
    }

    void pause() {
        if (up) {
            paused = true;
        }
    }

    void resume() {
        if (!up || !paused) {
            return;
        }
        paused = false;
        List<Runnable> run = new ArrayList<>(deferred);
        deferred.clear();
        // what piled up runs in order; the first event finds the loop's gap and reports the stall
        for (Runnable r : run) {
            if (paused || !up) {
                break;
            }
            r.run();
        }
    }

    // ------------------------------------------------------------------ the failover loop (HaNode)

    void handle(FailoverEvent e) {
        noteServingPeer(e);
        if (!(e instanceof FailoverEvent.LoopRan)) {
            // the machine measures this node's own stall from the loop's lateness (StallHold)
            handle(new FailoverEvent.LoopRan());
        }
        FailoverState before = fs;
        FailoverMachine.Transition t = FailoverMachine.step(fs, e, timings, now());
        fs = t.next();
        cluster.transition(this, before, fs, e);
        perform(t.actions());
        ensureRole();
        publish();
        if (disk.orphanCheckFrom != null && fs.state() == HaState.STANDBY) {
            disk.orphanCheckFrom = null;
        }
        scheduleDeadline();
        if (e instanceof FailoverEvent.Tick && session != null && session.core.acked() > persistedAcked) {
            persistedAcked = session.core.acked();
            disk.lastAcked = persistedAcked;
        }
    }

    private void noteServingPeer(FailoverEvent e) {
        PeerInfo p = e instanceof FailoverEvent.PeerHeard x ? x.peer() : e instanceof FailoverEvent.Connected x ? x.peer()
                : e instanceof FailoverEvent.PeerChecked x ? x.peer() : null;
        if (p != null && p.active()) {
            heardServingEpoch = Math.max(heardServingEpoch, p.epoch());
        } else if (e instanceof FailoverEvent.DemoteReceived d) {
            heardServingEpoch = Math.max(heardServingEpoch, d.epoch());
        }
    }

    private void scheduleDeadline() {
        long next = fs.nextDeadline();
        if (next == Long.MAX_VALUE || next == scheduledDeadline) {
            return;
        }
        scheduledDeadline = next;
        long token = ++deadlineToken;
        timer(next - now(), () -> {
            if (token == deadlineToken) {
                handle(new FailoverEvent.Tick());
            }
        });
    }

    private void publish() {
        publishedState = fs;
        published = fs.state();
        publishedEpoch = fs.epoch();
    }

    private void perform(List<FailoverAction> actions) {
        for (FailoverAction a : actions) {
            if (a instanceof FailoverAction.PersistState p) {
                persist(p);
            } else if (a instanceof FailoverAction.Connect) {
                ensureRole();
                if (shadowRole) {
                    connectToMaster();
                }
            } else if (a instanceof FailoverAction.Disconnect) {
                if (shadowRole) {
                    disconnectFromMaster();
                }
                if (listening && fs.state().role() != Role.SHADOW && session != null) {
                    Session s = session;
                    cluster.net.send(s.conn, this, new Bye(publishedEpoch, "DETACHED", "disconnect"));
                    cluster.net.close(s.conn, this);
                }
            } else if (a instanceof FailoverAction.CheckPeer) {
                checkPeer(0);
            } else if (a instanceof FailoverAction.SendPromote p) {
                if (session != null) {
                    Head h = store.head();
                    cluster.net.send(session.conn, this, new Promote(p.epoch(), h.revision(), h.hash()));
                }
            } else if (a instanceof FailoverAction.SendDemote d) {
                if (session != null && session.conn.openAt(this)) {
                    cluster.net.send(session.conn, this, new Demote(d.epoch(), "node " + id + " serves in epoch " + d.epoch()));
                } else {
                    checkPeer(d.epoch());
                }
            } else if (a instanceof FailoverAction.FlushToPeer) {
                long rev = store.revision();
                awaitAck(rev, ok -> {
                    if (ok) {
                        post(new FailoverEvent.HandoverAcked(rev));
                    }
                });
            } else if (a instanceof FailoverAction.RecordRoleChange c) {
                recordRoleChange(c);
            }
            // a status request may be answered between any two actions (another thread reads the flags)
            cluster.maybeSample(this);
        }
    }

    private void persist(FailoverAction.PersistState p) {
        if (p.role() == Role.MASTER && disk.role == Role.SHADOW) {
            long shared = ServingDecision.newTenureAckedMark(disk.orphanCheckFrom, store.revision());
            disk.lastAcked = shared;
            persistedAcked = shared;
        }
        disk.epoch = p.epoch();
        disk.role = p.role();
        post(new FailoverEvent.Persisted(p.epoch(), p.role()));
    }

    private void recordRoleChange(FailoverAction.RecordRoleChange c) {
        cluster.roleChange(this, c);
        if (c.from() == Role.MASTER && c.to() == Role.SHADOW) {
            long acked = Math.max(persistedAcked, session == null ? 0 : session.core.acked());
            disk.orphanCheckFrom = acked;
            replica.checkOrphansFrom(acked, this::orphaned);
            pushErrorsResolved(); // master-only alerts end with the tenure
        }
    }

    private void orphaned(ShadowReplica.Orphans o) {
        disk.orphanReports++;
        for (Revision r : o.revisions()) {
            for (ChangeOp op : r.ops()) {
                disk.orphanedKeys.add(op.id());
            }
        }
        for (ShadowReplica.EntryDiff d : o.differing()) {
            disk.orphanedKeys.add(d.id());
        }
    }

    private void ensureRole() {
        Role want = fs.state().role();
        if (want == Role.MASTER && !listening) {
            if (shadowRole) {
                disconnectFromMaster();
                shadowRole = false;
            }
            listening = true;
            store.addListener(storeListener);
        } else if (want == Role.SHADOW && !shadowRole) {
            if (listening) {
                closeMaster();
            }
            shadowRole = true;
        }
    }

    // ------------------------------------------------------------------ status and writes (admin API)

    boolean stalledNow() {
        return StallHold.stalledAt(fs, timings, now());
    }

    boolean servingNow() {
        return ServingDecision.serving(fs.serving(), published, stalledNow());
    }

    boolean acceptsWrites() {
        return ServingDecision.acceptsWrites(fs, publishedState, stalledNow());
    }

    /** POST /api/v1/config/changes: commit, then wait for the in-sync shadow's ack (up to requestTimeout). */
    void write(Cluster.Write w) {
        if (!acceptsWrites()) {
            cluster.respond(this, w, Cluster.Outcome.REJECTED);
            return;
        }
        Revision r;
        try {
            r = store.commit(ChangeSet.of(ChangeOp.put(ConfigCollection.SETTINGS, w.key(), Json.mapper().valueToTree(w.id))));
        } catch (Exception e) {
            throw new IllegalStateException("commit failed on " + id + ": " + e.getMessage(), e);
        }
        cluster.committed(this, w, r.revision(), publishedEpoch, published == HaState.ACTIVE_ALONE && session == null);
        if (heardServingEpoch > publishedEpoch) {
            cluster.violations.add("(1) " + id + " accepted a write in epoch " + publishedEpoch + " after its loop learned"
                    + " that a peer serves in epoch " + heardServingEpoch + ": " + w);
        }
        if (published != HaState.ACTIVE_PAIRED || !listening) {
            cluster.respond(this, w, Cluster.Outcome.ACK_NOT_REPLICATED);
            return;
        }
        awaitAck(r.revision(), ok -> cluster.respond(this, w,
                ok ? Cluster.Outcome.ACK_REPLICATED : Cluster.Outcome.ACK_NOT_REPLICATED));
    }

    private void awaitAck(long revision, Consumer<Boolean> done) {
        Session s = session;
        if (s == null || !s.conn.openAt(this)) {
            done.accept(false);
            return;
        }
        if (s.core.acked() >= revision) {
            done.accept(true);
            return;
        }
        Waiter w = new Waiter(done);
        waiters.computeIfAbsent(revision, k -> new ArrayList<>()).add(w);
        timer(timings.request(), () -> w.complete(false));
    }

    private void completeWaiters(long upTo, boolean all, boolean value) {
        var head = all ? waiters : waiters.headMap(upTo, true);
        List<Waiter> done = new ArrayList<>();
        head.values().forEach(done::addAll);
        head.clear();
        done.forEach(w -> w.complete(value));
    }

    // ------------------------------------------------------------------ master side (MasterRole)

    /** The connected shadow, driven by the real replication core. */
    private final class Session {
        final Net.Conn conn;
        final String nodeId;
        final ReplicationSession core;
        long lastRead;

        Session(Net.Conn conn, Hello h) {
            this.conn = conn;
            this.nodeId = h.nodeId();
            this.core = new ReplicationSession(ReplicationSource.of(store), new ReplicationSession.Settings(
                    timings.heartbeat(), timings.request(), 5_000_000_000L, 7), h.nodeId(), h.revision(), h.hash());
            this.lastRead = now();
        }
    }

    private void closeMaster() {
        store.removeListener(storeListener);
        listening = false;
        Session s = session;
        session = null;
        if (s != null) {
            cluster.net.send(s.conn, this, new Bye(publishedEpoch, "SHUTDOWN", "master role stopped"));
            cluster.net.close(s.conn, this);
        }
        completeWaiters(0, true, false);
    }

    private void pushFailed() {
        if (disk.openPushError == null) {
            disk.openPushError = new long[] {cluster.now(), Long.MAX_VALUE};
            disk.pushErrors.add(disk.openPushError);
        }
    }

    private void pushErrorsResolved() {
        if (disk.openPushError != null) {
            disk.openPushError[1] = cluster.now();
            disk.openPushError = null;
        }
    }

    private void onCommitted() {
        Session s = session;
        if (s != null && s.conn.openAt(this)) {
            performReplication(s, s.core.committed(publishedEpoch, now()));
        } else if (listening) {
            pushFailed();
            post(new FailoverEvent.PushFailed("shadow not connected"));
        }
    }

    private Hello myHello(String role) {
        Head h = store.head();
        return new Hello(id, role, published.name(), publishedEpoch, h.revision(), h.hash(), Versions.SOFTWARE,
                Versions.PROTOCOL, null, null, null);
    }

    private void onInbound(Net.Conn c, HaMessage msg) {
        Session s = session;
        if (s != null && s.conn == c) {
            s.lastRead = now();
            onShadowMessage(s, msg);
            return;
        }
        if (!(msg instanceof Hello h)) {
            if (msg instanceof Demote d && c.serverRole != null) {
                post(new FailoverEvent.DemoteReceived(d.epoch(), c.serverRole));
            } else if (!(msg instanceof Bye) && !(msg instanceof Heartbeat)) {
                cluster.net.close(c, this);
            }
            return;
        }
        if (!listening) {
            cluster.net.close(c, this);
            return;
        }
        if (Role.MASTER.wireName().equals(h.role())) {
            c.serverRole = h.nodeId();
            cluster.net.send(c, this, myHello(Role.MASTER.wireName()));
            post(new FailoverEvent.PeerHeard(new PeerInfo(h.nodeId(), Role.MASTER, h.epoch(), PeerView.isActive(h.state()),
                    h.revision())));
            return;
        }
        if (s != null) {
            cluster.net.send(s.conn, this, new Bye(publishedEpoch, "REPLACED", "a newer connection replaced this one"));
            cluster.net.close(s.conn, this);
        }
        c.serverRole = "shadow";
        cluster.net.send(c, this, myHello(Role.MASTER.wireName()));
        Session n = new Session(c, h);
        session = n;
        // the shadow's HELLO revision, when it is this master's history, is acknowledged as well
        cluster.acked(this, n.core.acked(), publishedEpoch);
        post(new FailoverEvent.Connected(new PeerInfo(h.nodeId(), Role.SHADOW, h.epoch(), false, h.revision())));
        performReplication(n, n.core.start(false, publishedEpoch, published.name(), now()));
        sessionTick(n);
    }

    private void sessionTick(Session s) {
        timer(timings.heartbeat(), () -> {
            if (session != s || !s.conn.openAt(this)) {
                return;
            }
            if (now() - s.lastRead >= timings.takeover()) {
                // IdleStateHandler: the shadow was silent for takeoverDelay
                cluster.net.close(s.conn, this);
                sessionClosed(s);
                return;
            }
            performReplication(s, s.core.tick(publishedEpoch, published.name(), now()));
            sessionTick(s);
        });
    }

    private void sessionClosed(Session s) {
        if (session == s) {
            session = null;
            completeWaiters(0, true, false);
            if (s.core.acked() < store.revision()) {
                pushFailed(); // the session ended before the shadow confirmed these: they are not on it
            }
            post(new FailoverEvent.ConnectionLost(Failure.CLOSED));
        }
    }

    private void onShadowMessage(Session s, HaMessage msg) {
        if (msg instanceof Heartbeat hb) {
            post(new FailoverEvent.PeerHeard(new PeerInfo(s.nodeId, Role.SHADOW, hb.epoch(), PeerView.isActive(hb.state()),
                    hb.revision())));
        } else if (msg instanceof Demote d) {
            post(new FailoverEvent.DemoteReceived(d.epoch(), s.nodeId));
            return;
        } else if (msg instanceof Bye || msg instanceof Hello) {
            cluster.net.close(s.conn, this);
            sessionClosed(s);
            return;
        }
        performReplication(s, s.core.received(msg, publishedEpoch, now()));
    }

    private void performReplication(Session s, List<ReplicationAction> actions) {
        for (ReplicationAction a : actions) {
            if (a instanceof ReplicationAction.Send x) {
                cluster.net.send(s.conn, this, x.message());
            } else if (a instanceof ReplicationAction.SendFullSync x) {
                for (FullSync chunk : FullTransfer.chunks(publishedEpoch, ++transfers, x.snapshot(), x.reason(), 700)) {
                    cluster.net.send(s.conn, this, chunk);
                }
            } else if (a instanceof ReplicationAction.PushFailed x) {
                pushFailed();
                post(new FailoverEvent.PushFailed(x.what()));
            } else if (a instanceof ReplicationAction.CaughtUp) {
                pushErrorsResolved();
            } else if (a instanceof ReplicationAction.InSyncChanged x) {
                post(new FailoverEvent.SyncProgress(x.inSync()));
            } else if (a instanceof ReplicationAction.AckedUpTo x) {
                cluster.acked(this, x.revision(), publishedEpoch);
                completeWaiters(x.revision(), false, true);
            }
        }
    }

    // ------------------------------------------------------------------ shadow side (ShadowRole, PeerChecker)

    private void connectToMaster() {
        if (masterConn != null && masterConn.openAt(this)) {
            return;
        }
        long gen = ++generation;
        cluster.net.connect(this, peer, timings.heartbeat() * 10, c -> {
            if (gen != generation) {
                cluster.net.close(c, this);
                return;
            }
            masterConn = c;
            ShadowConn sc = new ShadowConn(gen, c);
            c.clientHandler = sc::onMessage;
            c.clientClosed = sc::onClosed;
            Head h = store.head();
            cluster.net.send(c, this, new Hello(id, Role.SHADOW.wireName(), published.name(), publishedEpoch,
                    h.revision(), h.hash(), Versions.SOFTWARE, Versions.PROTOCOL, null, null, null));
            timer(timings.heartbeat() * 10, () -> {
                if (!sc.established && gen == generation) {
                    sc.report(Failure.TIMEOUT);
                    cluster.net.close(c, this);
                }
            });
        }, f -> {
            if (gen == generation) {
                post(new FailoverEvent.ConnectFailed(f));
            }
        });
    }

    private void disconnectFromMaster() {
        generation++;
        Net.Conn c = masterConn;
        masterConn = null;
        if (c != null) {
            cluster.net.send(c, this, new Bye(publishedEpoch, "SHUTDOWN", "disconnect"));
            cluster.net.close(c, this);
        }
    }

    /** One connection to the master (ShadowRole.Session). */
    private final class ShadowConn {
        final long gen;
        final Net.Conn conn;
        final ShadowSync sync = new ShadowSync();
        boolean established;
        boolean reported;
        long seq;
        long lastHeardPosted;
        String masterId;
        String masterState;
        long masterEpoch;
        long masterRevision;

        ShadowConn(long gen, Net.Conn conn) {
            this.gen = gen;
            this.conn = conn;
        }

        boolean current() {
            return gen == generation;
        }

        void report(Failure f) {
            if (!reported) {
                reported = true;
                if (current()) {
                    post(new FailoverEvent.ConnectFailed(f));
                }
            }
        }

        void onMessage(HaMessage msg) {
            if (!current()) {
                cluster.net.close(conn, SimNode.this);
                return;
            }
            if (msg instanceof Hello h) {
                established = true;
                reported = true;
                masterId = h.nodeId();
                masterState = h.state();
                masterEpoch = h.epoch();
                masterRevision = h.revision();
                post(new FailoverEvent.Connected(new PeerInfo(h.nodeId(), Role.MASTER, h.epoch(),
                        PeerView.isActive(h.state()), h.revision())));
                heartbeat();
            } else if (!established) {
                cluster.net.close(conn, SimNode.this);
                report(Failure.ERROR);
            } else if (msg instanceof Heartbeat hb) {
                masterState = hb.state();
                masterEpoch = hb.epoch();
                masterRevision = Math.max(masterRevision, hb.revision());
                lastHeardPosted = now();
                post(new FailoverEvent.PeerHeard(new PeerInfo(masterId, Role.MASTER, hb.epoch(),
                        PeerView.isActive(hb.state()), hb.revision())));
                Head h = store.head();
                ShadowSync.Verdict v = sync.onHeartbeat(hb.revision(), hb.hash(), h, replica.transferInProgress());
                if (v.hashMismatch()) {
                    cluster.net.send(conn, SimNode.this, new Nack(publishedEpoch, "config hash differs", true,
                            h.revision(), h.hash()));
                }
                inSync(v.inSync());
            } else if (msg instanceof Delta d) {
                masterEpoch = d.epoch();
                proveAlive();
                reply(replica.onDelta(d, publishedEpoch));
            } else if (msg instanceof FullSync f) {
                masterEpoch = f.epoch();
                masterRevision = Math.max(masterRevision, f.revision());
                proveAlive();
                HaMessage r = replica.onFullSync(f, publishedEpoch);
                if (r != null) {
                    reply(r);
                }
            } else if (msg instanceof Promote p) {
                post(new FailoverEvent.PromoteReceived(p.epoch()));
            } else if (msg instanceof Demote d) {
                post(new FailoverEvent.DemoteReceived(d.epoch(), masterId));
            } else if (msg instanceof Bye) {
                cluster.net.close(conn, SimNode.this);
                onClosed();
            }
        }

        private void reply(HaMessage r) {
            cluster.net.send(conn, SimNode.this, r);
            if (r instanceof Ack a) {
                inSync(sync.onAcked(a.revision(), masterRevision));
            }
        }

        private void proveAlive() {
            if (now() - lastHeardPosted >= timings.heartbeat() / 2) {
                lastHeardPosted = now();
                post(new FailoverEvent.PeerHeard(new PeerInfo(masterId, Role.MASTER, masterEpoch,
                        PeerView.isActive(masterState), masterRevision)));
            }
        }

        private void inSync(Boolean changed) {
            if (changed != null) {
                post(new FailoverEvent.SyncProgress(changed));
            }
        }

        private void heartbeat() {
            if (!current() || !conn.openAt(SimNode.this)) {
                return;
            }
            Head h = store.head();
            cluster.net.send(conn, SimNode.this, new Heartbeat(publishedEpoch, h.revision(), h.hash(), ++seq,
                    Role.SHADOW.wireName(), published.name()));
            timer(timings.heartbeat(), this::heartbeat);
        }

        void onClosed() {
            if (established) {
                if (current()) {
                    post(new FailoverEvent.ConnectionLost(Failure.CLOSED));
                }
            } else {
                report(Failure.ERROR);
            }
        }
    }

    /** PeerChecker: a fresh connection, HELLO as a master, the peer's HELLO back (and a DEMOTE if asked). */
    private void checkPeer(long demoteEpoch) {
        Head h = store.head();
        Hello mine = new Hello(id, Role.MASTER.wireName(), fs.state().name(), fs.epoch(), h.revision(), h.hash(),
                Versions.SOFTWARE, Versions.PROTOCOL, null, null, null);
        boolean[] done = {false};
        Consumer<FailoverEvent.PeerChecked> result = r -> {
            if (!done[0]) {
                done[0] = true;
                if (demoteEpoch == 0) {
                    handle(r);
                }
            }
        };
        long timeout = timings.heartbeat() * 10;
        cluster.net.connect(this, peer, timeout, c -> {
            c.clientHandler = msg -> {
                if (msg instanceof Hello ph) {
                    if (demoteEpoch > 0 && PeerView.isActive(ph.state()) && ph.epoch() < demoteEpoch) {
                        cluster.net.send(c, this, new Demote(demoteEpoch, "node " + id + " serves in epoch " + demoteEpoch));
                    }
                    cluster.net.send(c, this, new Bye(fs.epoch(), "CHECKED", "peer check done"));
                    cluster.net.close(c, this);
                    result.accept(new FailoverEvent.PeerChecked(new PeerInfo(ph.nodeId(), Role.of(ph.role()), ph.epoch(),
                            PeerView.isActive(ph.state()), ph.revision()), null));
                } else if (msg instanceof Bye) {
                    cluster.net.close(c, this);
                    result.accept(new FailoverEvent.PeerChecked(null, Failure.ERROR));
                }
            };
            c.clientClosed = () -> result.accept(new FailoverEvent.PeerChecked(null, Failure.ERROR));
            cluster.net.send(c, this, mine);
            timer(timeout, () -> {
                if (!done[0]) {
                    cluster.net.close(c, this);
                    result.accept(new FailoverEvent.PeerChecked(null, Failure.TIMEOUT));
                }
            });
        }, f -> result.accept(new FailoverEvent.PeerChecked(null, f)));
    }

    // ------------------------------------------------------------------ from the network

    void onMessage(Net.Conn c, HaMessage msg) {
        if (c.sideOf(this) == 0) {
            if (c.clientHandler != null) {
                c.clientHandler.accept(msg);
            }
        } else {
            onInbound(c, msg);
        }
    }

    void onClosed(Net.Conn c) {
        if (c.sideOf(this) == 0) {
            if (c.clientClosed != null) {
                c.clientClosed.run();
            }
        } else if (session != null && session.conn == c) {
            sessionClosed(session);
        }
    }

    @Override
    public String toString() {
        return id;
    }
}

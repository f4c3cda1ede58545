package dev.understudy.shadow;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.Role;
import dev.understudy.common.store.Head;
import dev.understudy.ha.failover.FailoverEvent;
import dev.understudy.ha.failover.FailoverEvent.Failure;
import dev.understudy.ha.failover.PeerInfo;
import dev.understudy.ha.handshake.HaClientHandshake;
import dev.understudy.ha.handshake.PeerView;
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
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.security.cert.X509Certificate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection of the shadow to its master, from the master's HELLO on (the {@link HaClientHandshake} before it
 * did the exchange): heartbeats every heartbeatInterval, pushes applied through the {@link ShadowReplica} and
 * answered with ACK or NACK, PROMOTE/DEMOTE/BYE passed on as {@link FailoverEvent}s. Stale once a newer connection
 * replaced it ({@code current} false): then it reports nothing.
 */
final class MasterConnection extends SimpleChannelInboundHandler<HaMessage> implements HaClientHandshake.Listener {

    private static final Logger log = LoggerFactory.getLogger(MasterConnection.class);

    private final ShadowRole role;
    private final ShadowRole.Settings settings;
    private final ShadowReplica replica;
    private final Clock clock;
    private final AlertStore alerts;
    private final BooleanSupplier current;
    private final CompletableFuture<ShadowRole.Paired> pairResult;
    private final Executor installer;
    private final ShadowSync sync = new ShadowSync();
    private boolean established;
    private long seq;
    private long lastHeardPosted;
    private boolean unsyncedAck;
    private ScheduledFuture<?> heartbeats;

    /**
     * @param current    whether this is still the role's connection
     * @param pairResult completed by a pairing connection (null for an ordinary one)
     * @param installer  runs the install of a completed full transfer off the event loop
     */
    MasterConnection(ShadowRole role, BooleanSupplier current, CompletableFuture<ShadowRole.Paired> pairResult,
                     Executor installer) {
        this.role = role;
        this.settings = role.settings();
        this.replica = role.replica();
        this.clock = role.clock();
        this.alerts = role.alerts();
        this.current = current;
        this.pairResult = pairResult;
        this.installer = installer;
    }

    private boolean current() {
        return current.getAsBoolean();
    }

    private long epoch() {
        return role.epoch().getAsLong();
    }

    private PeerView peer() {
        return role.peer();
    }

    @Override
    public void failed(Failure kind, String why) {
        if (pairResult != null) {
            pairResult.completeExceptionally(new IllegalStateException(why));
        } else if (current()) {
            log.debug("{}", why);
            role.events().accept(new FailoverEvent.ConnectFailed(kind));
        }
    }

    @Override
    public void versionRefused(String why) {
        alerts.raise(Severity.ERROR, AlertCategory.VERSION_MISMATCH, "master", why);
    }

    @Override
    public void refusedByPeer(Bye bye) {
        onBye(bye);
    }

    @Override
    public void established(Channel ch, Hello h, X509Certificate masterCert) {
        alerts.resolve(AlertCategory.VERSION_MISMATCH, "master");
        // the master admitted us: an earlier refusal (wrong password, unpinned certificate) no longer holds
        alerts.resolve(AlertCategory.PAIRING_REJECTED, "master");
        alerts.resolve(AlertCategory.PAIRING_REJECTED, "tls:" + settings.master());
        established = true;
        role.heardHello(h);
        if (pairResult != null) {
            pairResult.complete(new ShadowRole.Paired(masterCert, h));
            if (!current()) {
                return;
            }
        }
        log.info("connected to master {} at {} (epoch {}, revision {})", h.nodeId(), settings.master(), h.epoch(), h.revision());
        role.events().accept(new FailoverEvent.Connected(new PeerInfo(h.nodeId(), Role.MASTER, h.epoch(),
                PeerView.isActive(h.state()), h.revision())));
        long every = settings.heartbeat().toNanos();
        heartbeats = ch.eventLoop().scheduleAtFixedRate(() -> {
            Head head = replica.head();
            ch.writeAndFlush(new Heartbeat(epoch(), head.revision(), head.hash(), ++seq, Role.SHADOW.wireName(),
                    role.state().get()));
        }, 0, every, TimeUnit.NANOSECONDS);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HaMessage msg) {
        if (!current() && pairResult == null) {
            ctx.close();
            return;
        }
        if (msg instanceof Heartbeat hb) {
            onHeartbeat(ctx, hb);
            lastHeardPosted = clock.nanoTime();
        } else if (msg instanceof Delta d) {
            heard(d.epoch(), peer().state(), peer().revision());
            proveAlive();
            HaMessage reply = replica.onDeltaDeferred(d, epoch());
            if (reply instanceof Ack) {
                // acknowledged after the one fsync for this whole read batch (channelReadComplete)
                unsyncedAck = true;
            } else {
                flushDeferred(ctx);
                ctx.writeAndFlush(reply);
            }
        } else if (msg instanceof FullSync fs) {
            onFullSync(ctx, fs);
        } else if (msg instanceof Promote p) {
            log.info("master {} hands over: promote in epoch {} at revision {}", peer().nodeId(), p.epoch(), p.revision());
            role.events().accept(new FailoverEvent.PromoteReceived(p.epoch()));
        } else if (msg instanceof Demote d) {
            role.events().accept(new FailoverEvent.DemoteReceived(d.epoch(), peer().nodeId()));
        } else if (msg instanceof Bye bye) {
            onBye(bye);
            ctx.close();
        } else if (msg instanceof Hello) {
            log.warn("ignoring a second HELLO from master {}", settings.master());
        }
    }

    private void onFullSync(ChannelHandlerContext ctx, FullSync fs) {
        heard(fs.epoch(), peer().state(), fs.revision());
        proveAlive();
        if (!fs.last()) {
            HaMessage reply = replica.onFullSync(fs, epoch());
            if (reply != null) {
                ctx.writeAndFlush(reply);
            }
            return;
        }
        // installing a large document takes seconds: not on the event loop, where the master's heartbeats must
        // keep proving it alive meanwhile
        replica.installing(true);
        installer.execute(() -> {
            HaMessage reply;
            try {
                reply = replica.onFullSync(fs, epoch());
            } finally {
                replica.installing(false);
            }
            ctx.executor().execute(() -> {
                ctx.writeAndFlush(reply);
                afterApply(reply);
            });
        });
    }

    /** Any message from the master proves it alive, not only heartbeats (they queue behind pushes). */
    private void proveAlive() {
        long now = clock.nanoTime();
        if (now - lastHeardPosted >= settings.heartbeat().toNanos() / 2) {
            lastHeardPosted = now;
            PeerView p = peer();
            role.events().accept(new FailoverEvent.PeerHeard(new PeerInfo(p.nodeId(), Role.MASTER, p.epoch(),
                    PeerView.isActive(p.state()), p.revision())));
        }
    }

    private void onHeartbeat(ChannelHandlerContext ctx, Heartbeat hb) {
        PeerView p = peer();
        role.peer(new PeerView(p.nodeId(), p.address(), hb.state(), hb.epoch(), hb.revision(), hb.hash(), clock.nanoTime()));
        role.events().accept(new FailoverEvent.PeerHeard(new PeerInfo(p.nodeId(), Role.MASTER, hb.epoch(),
                PeerView.isActive(hb.state()), hb.revision())));
        Head h = replica.head();
        ShadowSync.Verdict v = sync.onHeartbeat(hb.revision(), hb.hash(), h, replica.transferInProgress());
        if (v.hashMismatch()) {
            alerts.raise(Severity.ERROR, AlertCategory.CONFIG_INCONSISTENT, "master",
                    "Configuration differs from the master at revision " + h.revision() + " (hash "
                            + ShadowReplica.shortHash(h.hash()) + " here, " + ShadowReplica.shortHash(hb.hash())
                            + " on the master); a full resync was requested and repairs it automatically.");
            ctx.writeAndFlush(new Nack(epoch(), "config hash differs at revision " + h.revision(), true,
                    h.revision(), h.hash()));
        } else if (v.hashMatch()) {
            alerts.resolve(AlertCategory.CONFIG_INCONSISTENT, "master");
        }
        inSync(v.inSync());
    }

    private void afterApply(HaMessage reply) {
        if (reply instanceof Ack a) {
            inSync(sync.onAcked(a.revision(), peer().revision()));
        }
    }

    private void inSync(Boolean changed) {
        if (changed != null) {
            role.events().accept(new FailoverEvent.SyncProgress(changed));
        }
    }

    private void heard(long peerEpoch, String peerState, long peerRevision) {
        PeerView p = peer();
        role.peer(new PeerView(p.nodeId(), p.address(), peerState, peerEpoch, Math.max(peerRevision, p.revision()),
                p.hash(), clock.nanoTime()));
    }

    private void onBye(Bye bye) {
        String why = "master " + settings.master() + " closed the HA connection: " + bye.reason() + " (" + bye.code() + ")";
        log.warn("{}", why);
        switch (bye.code() == null ? "" : bye.code()) {
            case "AUTH_FAILED", "AUTH_THROTTLED", "HOST_NOT_PERMITTED", "NOT_PAIRED" ->
                    alerts.raise(Severity.ERROR, AlertCategory.PAIRING_REJECTED, "master", why);
            case "VERSION_MISMATCH" -> alerts.raise(Severity.ERROR, AlertCategory.VERSION_MISMATCH, "master", why);
            default -> { }
        }
        if (pairResult != null) {
            pairResult.completeExceptionally(new IllegalStateException(bye.reason()));
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flushDeferred(ctx);
        ctx.fireChannelReadComplete();
    }

    /** Syncs deltas applied since the last read batch and sends one cumulative ACK. */
    private void flushDeferred(ChannelHandlerContext ctx) {
        if (!unsyncedAck) {
            return;
        }
        unsyncedAck = false;
        try {
            Head durable = replica.sync();
            Ack ack = new Ack(epoch(), durable.revision(), durable.hash());
            ctx.writeAndFlush(ack);
            afterApply(ack);
        } catch (java.io.IOException e) {
            log.error("cannot make replicated revisions durable: {}", e.getMessage());
            Head h = replica.head();
            ctx.writeAndFlush(new Nack(epoch(), "local store failure: " + e.getMessage(), false, h.revision(), h.hash()));
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (heartbeats != null) {
            heartbeats.cancel(false);
        }
        // before HELLO the handshake stage reported the failure
        if (established && current()) {
            log.info("HA connection to master {} lost", settings.master());
            role.events().accept(new FailoverEvent.ConnectionLost(Failure.CLOSED));
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("HA connection to master {}: {}", settings.master(), cause.toString());
        ctx.close();
    }
}

package dev.understudy.master;

import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.Role;
import dev.understudy.ha.failover.FailoverEvent;
import dev.understudy.ha.failover.PeerInfo;
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
import dev.understudy.master.replication.FullTransfer;
import dev.understudy.master.replication.ReplicationAction;
import dev.understudy.master.replication.ReplicationSession;
import dev.understudy.master.replication.ReplicationSource;
import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connected shadow, on the master: a thin adapter over {@link ReplicationSession}, which decides what to push,
 * when a push failed, when the shadow is in sync; this class feeds it the shadow's messages, the store's commits and
 * the heartbeat ticks, and carries out its actions on the channel (frames written, alerts, failover events, the
 * {@link AckRegistry}'s writers completed).
 */
final class ShadowSession {

    private static final Logger log = LoggerFactory.getLogger(ShadowSession.class);

    /**
     * What every session of one master role shares.
     *
     * @param peerViews receives what the master now knows of its shadow (for status)
     * @param peerName  how alerts name the shadow
     * @param pushes    counts deltas and full transfers sent (metrics)
     * @param transfers numbers the full transfers
     */
    record Context(ReplicationSource source, ReplicationSession.Settings replication, Clock clock, LongSupplier epoch,
                   Supplier<String> state, Consumer<FailoverEvent> events, AlertStore alerts, PushAlerts pushAlerts,
                   AckRegistry acks, Consumer<PeerView> peerViews, Supplier<String> peerName, AtomicLong pushes,
                   AtomicLong transfers) {}

    final Channel channel;
    final String nodeId;
    final String address;
    final long connectedAtMillis;
    final String remoteHost;
    private final Context cx;
    private final ReplicationSession core;
    private PeerView peer;
    private ScheduledFuture<?> ticker;

    /** A session for the shadow that sent {@code h} on {@code channel}; {@code address} is where its HA port is. */
    ShadowSession(Context cx, Channel channel, Hello h, String address) {
        this.cx = cx;
        this.channel = channel;
        this.nodeId = h.nodeId();
        this.address = address;
        this.connectedAtMillis = cx.clock().currentTimeMillis();
        this.remoteHost = channel.remoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : null;
        this.core = new ReplicationSession(cx.source(), cx.replication(), h.nodeId(), h.revision(), h.hash());
        heard(h.epoch(), h.state(), h.revision(), h.hash(), cx.clock().nanoTime());
    }

    long acked() {
        return core.acked();
    }

    boolean active() {
        return channel.isActive();
    }

    /** Admitted: tells the failover machine, sends what the shadow lacks, and starts the heartbeat ticks. */
    void start(boolean pairingAttempt) {
        cx.events().accept(new FailoverEvent.Connected(new PeerInfo(nodeId, Role.SHADOW, peer.epoch(), false,
                peer.revision())));
        perform(core.start(pairingAttempt, cx.epoch().getAsLong(), cx.state().get(), cx.clock().nanoTime()));
        long every = cx.replication().heartbeatNanos();
        ticker = channel.eventLoop().scheduleAtFixedRate(this::tick, every, every, TimeUnit.NANOSECONDS);
    }

    void stop() {
        if (ticker != null) {
            ticker.cancel(false);
        }
    }

    void tick() {
        perform(core.tick(cx.epoch().getAsLong(), cx.state().get(), cx.clock().nanoTime()));
    }

    /** The store committed a revision: push it (on the channel's event loop). */
    void pump() {
        if (channel.isActive()) {
            perform(core.committed(cx.epoch().getAsLong(), cx.clock().nanoTime()));
        }
    }

    void onMessage(HaMessage msg) {
        long now = cx.clock().nanoTime();
        if (msg instanceof Ack a) {
            heard(a.epoch(), peer.state(), a.revision(), a.hash(), now);
        } else if (msg instanceof Nack n) {
            heard(n.epoch(), peer.state(), n.revision(), n.hash(), now);
        } else if (msg instanceof Heartbeat hb) {
            heard(hb.epoch(), hb.state(), hb.revision(), hb.hash(), now);
            cx.events().accept(new FailoverEvent.PeerHeard(new PeerInfo(nodeId, Role.SHADOW, hb.epoch(),
                    PeerView.isActive(hb.state()), hb.revision())));
        } else if (msg instanceof Demote d) {
            cx.events().accept(new FailoverEvent.DemoteReceived(d.epoch(), nodeId));
            return;
        } else if (msg instanceof Bye bye) {
            log.info("shadow {} closes the HA connection: {} ({})", nodeId, bye.reason(), bye.code());
            channel.close();
            return;
        } else if (msg instanceof Hello) {
            log.warn("closing HA connection from shadow {}: a second HELLO", nodeId);
            channel.close();
            return;
        }
        perform(core.received(msg, cx.epoch().getAsLong(), now));
    }

    private void perform(List<ReplicationAction> actions) {
        boolean written = false;
        for (ReplicationAction a : actions) {
            if (a instanceof ReplicationAction.Send x) {
                channel.write(x.message());
                written = true;
                if (x.message() instanceof Delta) {
                    cx.pushes().incrementAndGet();
                }
            } else if (a instanceof ReplicationAction.SendFullSync x) {
                long id = cx.transfers().incrementAndGet();
                List<FullSync> chunks = FullTransfer.chunks(cx.epoch().getAsLong(), id, x.snapshot(), x.reason(),
                        FullTransfer.CHUNK_BYTES);
                log.info("full transfer {} to shadow {}: revision {}, {} bytes in {} chunks ({})", id, nodeId,
                        x.snapshot().revision(), chunks.get(0).totalBytes(), chunks.size(), x.reason());
                chunks.forEach(channel::write);
                written = true;
                cx.pushes().incrementAndGet();
            } else if (a instanceof ReplicationAction.PushFailed x) {
                cx.pushAlerts().failed(cx.peerName().get(), x.what());
                cx.events().accept(new FailoverEvent.PushFailed(x.what()));
            } else if (a instanceof ReplicationAction.CaughtUp x) {
                cx.pushAlerts().caughtUp(cx.peerName().get(), x.revision());
            } else if (a instanceof ReplicationAction.InSyncChanged x) {
                if (x.inSync()) {
                    log.info("shadow {} is in sync at revision {}", nodeId, core.acked());
                }
                cx.events().accept(new FailoverEvent.SyncProgress(x.inSync()));
            } else if (a instanceof ReplicationAction.AckedUpTo x) {
                cx.acks().ackedUpTo(x.revision(), cx.clock().currentTimeMillis());
            } else if (a instanceof ReplicationAction.RaiseAlert x) {
                cx.alerts().raise(x.severity(), x.category(), x.key(), x.message());
            } else if (a instanceof ReplicationAction.ResolveAlert x) {
                cx.alerts().resolve(x.category(), x.key());
            }
        }
        if (written) {
            channel.flush();
        }
    }

    private void heard(long e, String st, long rev, String hash, long now) {
        peer = new PeerView(nodeId, address, st, e, rev, hash, now);
        cx.peerViews().accept(peer);
    }
}

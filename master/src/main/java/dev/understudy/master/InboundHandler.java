package dev.understudy.master;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.home.Role;
import dev.understudy.common.store.Head;
import dev.understudy.ha.failover.FailoverEvent;
import dev.understudy.ha.failover.PeerInfo;
import dev.understudy.ha.handshake.HaServerInitializer;
import dev.understudy.ha.handshake.PeerView;
import dev.understudy.ha.handshake.VersionPolicy;
import dev.understudy.ha.handshake.Versions;
import dev.understudy.ha.message.Bye;
import dev.understudy.ha.message.Demote;
import dev.understudy.ha.message.HaMessage;
import dev.understudy.ha.message.Heartbeat;
import dev.understudy.ha.message.Hello;
import dev.understudy.ha.tls.HaTls;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One inbound connection. Admission before meaning: until the peer is authenticated — by the TLS
 * handshake when this master has a pinned peer certificate, else by a correct pairing password —
 * nothing it sends reaches the failover machine, the epoch, the alerts or state.json, and it is told
 * nothing but a BYE with the reason. Once authenticated, HELLO decides whether it is the shadow or
 * a peer master checking on us.
 */
final class InboundHandler extends SimpleChannelInboundHandler<HaMessage> {

    private static final Logger log = LoggerFactory.getLogger(InboundHandler.class);

    private final MasterRole m;
    private final MasterRole.Settings settings;
    private final AlertStore alerts;
    private final PairingAuthority pairing;
    private final String source;
    /** The TLS trust of this connection accepts only the pinned peer: a completed handshake authenticates. */
    private final boolean pinnedTrust;
    private boolean authenticated;
    private boolean holdsSlot = true;
    private boolean pairingInFlight;
    private ShadowSession shadow;
    private ScheduledFuture<?> helloTimeout;
    private String peerNode;

    InboundHandler(MasterRole m, String source, boolean pinnedTrust) {
        this.m = m;
        this.settings = m.settings;
        this.alerts = m.alerts;
        this.pairing = m.pairing;
        this.source = source;
        this.pinnedTrust = pinnedTrust;
    }

    private void authenticate(ChannelHandlerContext ctx) {
        authenticated = true;
        releaseSlot();
        HaServerInitializer.authenticated(ctx.pipeline());
    }

    private void releaseSlot() {
        if (holdsSlot) {
            holdsSlot = false;
            m.admission.release(source);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        helloTimeout = ctx.executor().schedule(() -> {
            log.warn("closing HA connection from {}: no HELLO within {} ms", ctx.channel().remoteAddress(),
                    settings.request().toMillis());
            ctx.close();
        }, settings.request().toMillis() + settings.takeover().toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HaMessage msg) throws Exception {
        if (shadow != null) {
            shadow.onMessage(msg);
            return;
        }
        if (pairingInFlight) {
            return; // nothing counts until the password check answered
        }
        if (!authenticated && !(msg instanceof Hello)) {
            refuse(ctx, "NOT_PAIRED", msg.type() + " from a peer that has not authenticated; pair first with"
                    + " `understudy attach` on the shadow");
            return;
        }
        if (!(msg instanceof Hello h)) {
            if (msg instanceof Demote d && peerNode != null) {
                m.events.accept(new FailoverEvent.DemoteReceived(d.epoch(), peerNode));
            } else if (!(msg instanceof Bye) && !(msg instanceof Heartbeat)) {
                log.warn("closing HA connection from {}: {} before HELLO", ctx.channel().remoteAddress(), msg.type());
                ctx.close();
            }
            return;
        }
        helloTimeout.cancel(false);
        onHello(ctx, h);
    }

    private void onHello(ChannelHandlerContext ctx, Hello h) throws Exception {
        String remoteHost = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress().getHostAddress();
        VersionPolicy.Decision versions = VersionPolicy.check(h.softwareVersion(), h.protocolVersion());
        if (!versions.accepted()) {
            String why = versions.reason();
            if (authenticated) {
                alerts.raise(Severity.ERROR, AlertCategory.VERSION_MISMATCH, "shadow", why);
            }
            refuse(ctx, "VERSION_MISMATCH", why);
            return;
        }
        if (authenticated) {
            alerts.resolve(AlertCategory.VERSION_MISMATCH, "shadow");
        }
        Head head = m.store.head();
        Hello mine = new Hello(settings.nodeId(), Role.MASTER.wireName(), m.state.get(), m.epoch.getAsLong(),
                head.revision(), head.hash(), Versions.SOFTWARE, Versions.PROTOCOL, null, null, null,
                m.adminPort() > 0 ? m.adminPort() : null);
        if (Role.MASTER.wireName().equals(h.role())) {
            if (!authenticated) {
                // a stranger claiming to be a master must not make this one step down (or learn its epoch)
                refuse(ctx, "NOT_PAIRED", "this master is not paired with that node; pair with `understudy attach`");
                return;
            }
            // a peer master checking on us (restart check, or a healed partition)
            peerNode = h.nodeId();
            ctx.writeAndFlush(mine);
            m.events.accept(new FailoverEvent.PeerHeard(new PeerInfo(h.nodeId(), Role.MASTER, h.epoch(),
                    PeerView.isActive(h.state()), h.revision())));
            return;
        }
        X509Certificate cert = HaTls.peerCertificate(ctx.channel()).orElseThrow();
        if (h.password() != null) {
            if (!m.pairingPermitted((InetSocketAddress) ctx.channel().remoteAddress())) {
                pairingRefused(ctx, "HOST_NOT_PERMITTED", "shadow " + h.nodeId() + " connects from " + remoteHost
                        + " but this master only permits " + settings.permittedShadowHost()
                        + " (change permittedShadowHost in the master's node.json if the shadow moved)");
                return;
            }
            // the password hash is deliberately slow: verify off the event loop, then continue on it
            pairingInFlight = true;
            char[] pw = h.password().toCharArray();
            CompletableFuture.supplyAsync(() -> {
                try {
                    return h.user() == null ? PairingAuthority.Verdict.DENIED : pairing.verify(h.user(), pw, remoteHost);
                } finally {
                    Arrays.fill(pw, '\0');
                }
            }).whenComplete((verdict, err) -> ctx.executor().execute(() -> {
                pairingInFlight = false;
                if (err == null && verdict.throttled()) {
                    // the login guard logged it and keeps AUTH_FAILURES open; no alert per refusal
                    refuse(ctx, "AUTH_THROTTLED", "shadow " + h.nodeId() + " from " + remoteHost
                            + " was refused without checking its password: too many failed logins from that address"
                            + " (wait " + verdict.retryAfterSeconds() + " s, then run `understudy attach` again with"
                            + " the master's admin credentials)");
                    return;
                }
                if (err != null || !verdict.accepted()) {
                    pairingRefused(ctx, "AUTH_FAILED", "shadow " + h.nodeId() + " from " + remoteHost
                            + " gave a wrong admin user or password (use the master's admin credentials with"
                            + " `understudy attach --user U --password-file F`)");
                    return;
                }
                authenticate(ctx);
                try {
                    String haAddress = advertised(remoteHost, h.haAddress());
                    pairing.pin(cert, h.nodeId(), haAddress);
                    alerts.resolve(AlertCategory.PAIRING_REJECTED, null);
                    log.info("paired with shadow {} at {}; its certificate is pinned", h.nodeId(), haAddress);
                    admit(ctx, h, mine, remoteHost, true);
                } catch (Exception e) {
                    log.error("cannot record the pairing with shadow {}: {}", h.nodeId(), e.getMessage());
                    refuse(ctx, "PAIRING_FAILED", "the master could not record the pairing: " + e.getMessage());
                }
            }));
            return;
        }
        if (!authenticated) {
            refuse(ctx, "NOT_PAIRED", "this master is not paired with a shadow; run `understudy attach` on the shadow");
            return;
        }
        admit(ctx, h, mine, remoteHost, false);
    }

    private void admit(ChannelHandlerContext ctx, Hello h, Hello mine, String remoteHost, boolean pairingAttempt) {
        ShadowSession old = m.session();
        if (old != null && old.channel != ctx.channel()) {
            old.channel.writeAndFlush(new Bye(m.epoch.getAsLong(), "REPLACED", "a newer connection from the shadow replaced this one"))
                    .addListener(x -> old.channel.close());
        }
        if (!ctx.channel().isActive()) {
            return;
        }
        ctx.writeAndFlush(mine);
        shadow = new ShadowSession(m.sessionContext(), ctx.channel(), h, advertised(remoteHost, h.haAddress()));
        m.session(shadow);
        shadow.start(pairingAttempt);
    }

    private void pairingRefused(ChannelHandlerContext ctx, String code, String why) {
        alerts.raise(Severity.ERROR, AlertCategory.PAIRING_REJECTED, code, "Pairing refused: " + why);
        refuse(ctx, code, why);
    }

    private void refuse(ChannelHandlerContext ctx, String code, String why) {
        log.warn("refusing HA connection from {}: {}", ctx.channel().remoteAddress(), why);
        // an unauthenticated peer is told the reason, not this node's epoch
        ctx.writeAndFlush(new Bye(authenticated ? m.epoch.getAsLong() : 0, code, why)).addListener(x -> ctx.close());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent hs) {
            if (!hs.isSuccess()) {
                // e.g. no client certificate at all: the JDK refuses before any trust manager is asked
                log.warn("refused HA connection from {}: TLS handshake failed: {}", ctx.channel().remoteAddress(),
                        hs.cause() == null ? "unknown" : hs.cause().getMessage());
            } else if (pinnedTrust) {
                authenticate(ctx); // the trust manager accepted exactly the pinned peer certificate
            }
            return;
        }
        // silence counts once a session is admitted; before that (TLS handshake, HELLO, the deliberately slow
        // password check of a pairing) the hello timeout bounds the wait, which a slow start must not undercut
        if (evt instanceof IdleStateEvent && (shadow != null || peerNode != null)) {
            log.warn("closing HA connection from {}: silent for {} ms", ctx.channel().remoteAddress(),
                    settings.takeover().toMillis());
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseSlot();
        if (helloTimeout != null) {
            helloTimeout.cancel(false);
        }
        if (shadow != null) {
            shadow.stop();
            m.sessionEnded(shadow);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("HA connection from {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    /** Where the shadow's HA port is reached: its advertised address, a wildcard host replaced by where it connects from. */
    static String advertised(String remoteHost, String haAddress) {
        if (haAddress == null) {
            return null;
        }
        int i = haAddress.lastIndexOf(':');
        String host = haAddress.substring(0, i);
        // a wildcard bind address is not reachable: use the address the shadow connected from
        if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") || host.isBlank()) {
            host = remoteHost.indexOf(':') >= 0 ? "[" + remoteHost + "]" : remoteHost;
        }
        return host + haAddress.substring(i);
    }
}

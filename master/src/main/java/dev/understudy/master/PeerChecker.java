package dev.understudy.master;

import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.HostPort;
import dev.understudy.common.home.Role;
import dev.understudy.common.store.Head;
import dev.understudy.ha.failover.FailoverEvent;
import dev.understudy.ha.failover.FailoverEvent.Failure;
import dev.understudy.ha.failover.PeerInfo;
import dev.understudy.ha.handshake.HaClientHandshake;
import dev.understudy.ha.handshake.HaClientInitializer;
import dev.understudy.ha.handshake.HaConnections;
import dev.understudy.ha.handshake.PeerView;
import dev.understudy.ha.handshake.Versions;
import dev.understudy.ha.message.Bye;
import dev.understudy.ha.message.Demote;
import dev.understudy.ha.message.Hello;
import dev.understudy.ha.tls.HaTls;
import dev.understudy.ha.tls.PinnedTrustManager;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the peer over a fresh, pinned HA connection who it is now: its role, state and epoch. A
 * restarted master uses it before serving; an active master without a connected shadow uses it
 * periodically, so two masters after a healed partition find each other. Optionally tells a
 * stale peer to step down.
 */
public final class PeerChecker {

    private static final Logger log = LoggerFactory.getLogger(PeerChecker.class);

    /** What this node says of itself in the check's HELLO. */
    public record Self(String nodeId, long epoch, String state, Head head) {}

    private final EventLoopGroup group;
    private final PrivateKey key;
    private final X509Certificate cert;
    private final Clock clock;
    private final Duration timeout;
    private final Consumer<String> tlsRejections;

    public PeerChecker(EventLoopGroup group, PrivateKey key, X509Certificate cert, Clock clock, Duration timeout,
                       Consumer<String> tlsRejections) {
        this.group = group;
        this.key = key;
        this.cert = cert;
        this.clock = clock;
        this.timeout = timeout;
        this.tlsRejections = tlsRejections;
    }

    /**
     * Checks {@code peer}; completes with a {@link FailoverEvent.PeerChecked} (never exceptionally).
     * With {@code demoteEpoch > 0}, also tells the peer to step down in favour of that epoch.
     */
    public CompletableFuture<FailoverEvent.PeerChecked> check(HostPort peer, X509Certificate pinnedPeer, Self self,
                                                              long demoteEpoch) {
        CompletableFuture<FailoverEvent.PeerChecked> result = new CompletableFuture<>();
        SslContext ctx;
        try {
            ctx = HaTls.forClient(key, cert, PinnedTrustManager.pinned(pinnedPeer, clock, tlsRejections));
        } catch (SSLException e) {
            result.complete(new FailoverEvent.PeerChecked(null, Failure.ERROR));
            return result;
        }
        Head h = self.head();
        Hello mine = new Hello(self.nodeId(), Role.MASTER.wireName(), self.state(), self.epoch(), h.revision(), h.hash(),
                Versions.SOFTWARE, Versions.PROTOCOL, null, null, null);
        var handshake = new HaClientHandshake("peer " + peer, () -> mine, null, timeout, new HaClientHandshake.Listener() {
            @Override
            public void established(Channel c, Hello theirs, X509Certificate peerCert) {
                Role role = Role.of(theirs.role());
                if (demoteEpoch > 0 && PeerView.isActive(theirs.state()) && theirs.epoch() < demoteEpoch) {
                    log.warn("peer {} serves in epoch {} < {}: telling it to step down", theirs.nodeId(), theirs.epoch(),
                            demoteEpoch);
                    c.write(new Demote(demoteEpoch, "node " + self.nodeId() + " serves in epoch " + demoteEpoch));
                }
                c.writeAndFlush(new Bye(self.epoch(), "CHECKED", "peer check done")).addListener(x -> c.close());
                result.complete(new FailoverEvent.PeerChecked(new PeerInfo(theirs.nodeId(), role, theirs.epoch(),
                        PeerView.isActive(theirs.state()), theirs.revision()), null));
            }

            @Override
            public void failed(Failure kind, String why) {
                log.debug("peer check: {}", why);
                result.complete(new FailoverEvent.PeerChecked(null, kind));
            }
        });
        // after the exchange nothing more is read: the check closes the connection itself
        var rest = new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
                c.close();
            }
        };
        HaConnections.connect(group, peer, timeout, new HaClientInitializer(peer, ctx, timeout, handshake, rest))
                .addListener(f -> {
                    if (!f.isSuccess()) {
                        result.complete(new FailoverEvent.PeerChecked(null, HaConnections.classify(f.cause())));
                    }
                });
        return result;
    }
}

package dev.understudy.dist.ha;

import dev.understudy.common.auth.AdminCredentials;
import dev.understudy.common.auth.LoginGuard;
import dev.understudy.common.cert.Certificates;
import dev.understudy.common.clock.Scheduler;
import dev.understudy.common.home.HostPort;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.common.home.PasswordHasher;
import dev.understudy.common.home.Role;
import dev.understudy.ha.failover.FailoverEvent;
import dev.understudy.ha.failover.HaState;
import dev.understudy.master.PairingAuthority;
import dev.understudy.shadow.ShadowRole;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pairing (DESIGN.md §4): the shadow's side ({@code attach}, {@code detach}), run on the failover loop, and
 * the master's side, the {@link PairingAuthority} its role object asks (credentials checked with the node's
 * login throttle, the shadow's certificate pinned).
 */
final class Pairing implements PairingAuthority {

    private static final Logger log = LoggerFactory.getLogger(Pairing.class);

    private final HaFiles files;
    private final LoginGuard logins;
    private final AdminCredentials credentials;
    private final Scheduler loop;
    private HaRoles roles;
    private Supplier<HaState> state;
    private Consumer<FailoverEvent> handle;
    private Consumer<FailoverEvent> post;

    Pairing(HaFiles files, LoginGuard logins, AdminCredentials credentials, Scheduler loop) {
        this.files = files;
        this.logins = logins;
        this.credentials = credentials;
        this.loop = loop;
    }

    /** The loop this pairing acts on: its roles, its state, a step now ({@code handle}) and a step later ({@code post}). */
    void bind(HaRoles roles, Supplier<HaState> state, Consumer<FailoverEvent> handle, Consumer<FailoverEvent> post) {
        this.roles = roles;
        this.state = state;
        this.handle = handle;
        this.post = post;
    }

    @Override
    public Verdict verify(String user, char[] password, String source) {
        LoginGuard.Result r = logins.attempt(LoginGuard.Door.HA_PAIRING, source, user,
                () -> credentials.verify(user, password));
        return r.ok() ? Verdict.ACCEPTED : r.outcome() == LoginGuard.Outcome.THROTTLED
                ? new Verdict(false, Math.max(1, r.retryAfterSeconds())) : Verdict.DENIED;
    }

    @Override
    public void pin(X509Certificate shadowCert, String shadowNodeId, String shadowHaAddress) throws IOException {
        files.pin(shadowCert, shadowHaAddress, shadowNodeId);
    }

    @Override
    public X509Certificate pinned() {
        return files.pinnedPeer();
    }

    /** Attaches this shadow to a master; completes with the master's node id and certificate fingerprint. */
    CompletableFuture<String> attach(HostPort masterAddr, String user, char[] password, String fingerprint) {
        CompletableFuture<String> result = new CompletableFuture<>();
        loop.execute(() -> {
            HaState now = state.get();
            if (now != HaState.DETACHED) {
                result.completeExceptionally(new IllegalStateException("this node is " + now
                        + (now.role() == Role.MASTER ? " (a master); only a shadow attaches to a master"
                        : " and already attached to " + files.settings().peerAddress() + "; run `understudy detach` first")));
                return;
            }
            roles.replaceShadow(null);
            NodeSettings target = files.settings().withPeer(masterAddr.toString(), null);
            files.useUnsaved(target);
            ShadowRole shadow = roles.newShadow(masterAddr, null);
            roles.replaceShadow(shadow);
            String pw = new String(password);
            PasswordHasher.wipe(password);
            shadow.pair(new ShadowRole.Pairing(user, pw, fingerprint)).whenComplete((paired, err) -> {
                if (err != null) {
                    loop.execute(() -> {
                        roles.replaceShadow(null);
                        files.useUnsaved(files.settings().withPeer(null, null));
                        roles.ensure(state.get().role());
                    });
                    result.completeExceptionally(err instanceof CompletionException c ? c.getCause() : err);
                    return;
                }
                try {
                    files.pin(paired.masterCert(), masterAddr.toString(), paired.masterHello().nodeId());
                    shadow.pin(paired.masterCert());
                } catch (IOException e) {
                    result.completeExceptionally(e);
                    return;
                }
                // posted before the session reports Connected: the machine attaches, then sees the connection
                post.accept(new FailoverEvent.Attached());
                String fp = Certificates.fingerprint(paired.masterCert());
                log.info("attached to master {} at {}; its certificate {} is pinned", paired.masterHello().nodeId(),
                        masterAddr, fp);
                result.complete(paired.masterHello().nodeId() + " " + fp);
            });
        });
        return result;
    }

    /** Detaches this node from its peer: the pairing is forgotten on this side. */
    CompletableFuture<Void> detach(boolean refuseWhileConnected) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                if (refuseWhileConnected && roles.shadowConnected()) {
                    throw new IllegalStateException("a shadow is connected; run `understudy detach` first (or on the shadow)");
                }
                handle.accept(new FailoverEvent.Detached());
                files.forgetPeer();
                roles.pinMaster(null);
                result.complete(null);
            } catch (Exception e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }
}

package dev.understudy.ha.tls;

import dev.understudy.common.cert.Certificates;
import dev.understudy.common.clock.Clock;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trust for the HA channel by pinning, not by certificate authority. Used on both sides (the
 * master checks the shadow as a client, the shadow checks the master as a server), in one of two
 * modes:
 *
 * <ul>
 *   <li>{@link #pinned pinned}: accepts exactly the certificate stored at pairing (same DER bytes),
 *       and only while it is valid. A certificate signed by a CA, even by a pinned one, is not
 *       accepted: only the leaf counts.</li>
 *   <li>{@link #pairing pairing}: accepts any currently valid certificate whose key usage allows
 *       signatures (or that has no key usage), and records it, so the pairing flow can show or check
 *       its fingerprint and authenticate with a password before pinning it.</li>
 * </ul>
 *
 * Each rejection is passed as a one-line reason to the rejection listener (e.g. to raise a
 * PAIRING_REJECTED alert) and becomes the handshake's failure. Reasons contain fingerprints and
 * dates only, never key material. The certificate authorities list is empty: the peer presents its
 * own certificate whatever we trust.
 */
public final class PinnedTrustManager extends X509ExtendedTrustManager {

    private static final String REPAIR = "if the peer was rebuilt, run `understudy detach` then `understudy attach` again";

    private final X509Certificate pinned;
    private final byte[] pinnedDer;
    private final Clock clock;
    private final Consumer<String> rejections;
    private final AtomicReference<X509Certificate> presented = new AtomicReference<>();

    private PinnedTrustManager(X509Certificate pinned, Clock clock, Consumer<String> rejections) {
        this.pinned = pinned;
        this.pinnedDer = pinned == null ? null : Certificates.der(pinned);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.rejections = Objects.requireNonNull(rejections, "rejections");
    }

    /** Accepts exactly {@code expected} while it is valid; each refusal's reason goes to {@code rejections}. */
    public static PinnedTrustManager pinned(X509Certificate expected, Clock clock, Consumer<String> rejections) {
        return new PinnedTrustManager(Objects.requireNonNull(expected, "expected"), clock, rejections);
    }

    /**
     * Accepts any currently valid certificate usable for signatures and records it in
     * {@link #presentedCertificate()}; for pairing only, where a password or a fingerprint check follows.
     */
    public static PinnedTrustManager pairing(Clock clock, Consumer<String> rejections) {
        return new PinnedTrustManager(null, clock, rejections);
    }

    /** True in pairing mode. */
    public boolean isPairing() {
        return pinned == null;
    }

    /** The pinned certificate; empty in pairing mode. */
    public Optional<X509Certificate> pinnedCertificate() {
        return Optional.ofNullable(pinned);
    }

    /** The last certificate this trust manager accepted (the peer of the latest handshake). */
    public Optional<X509Certificate> presentedCertificate() {
        return Optional.ofNullable(presented.get());
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }

    private void check(X509Certificate[] chain) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw reject("peer presented no certificate (expected: its node certificate); "
                    + "check that the peer runs Understudy with its tls/node.crt");
        }
        X509Certificate peer = chain[0];
        String fp = "SHA256 " + Certificates.fingerprint(peer);
        if (pinned != null && !Arrays.equals(Certificates.der(peer), pinnedDer)) {
            throw reject("peer certificate " + fp + " is not the pinned certificate SHA256 "
                    + Certificates.fingerprint(pinned) + "; " + REPAIR);
        }
        Instant now = Instant.ofEpochMilli(clock.currentTimeMillis());
        try {
            peer.checkValidity(Date.from(now));
        } catch (CertificateExpiredException e) {
            throw reject((pinned != null ? "pinned " : "") + "peer certificate " + fp + " expired at "
                    + peer.getNotAfter().toInstant() + " (now " + now + "); make a new certificate on the peer "
                    + "and pair again: run `understudy detach` then `understudy attach`");
        } catch (CertificateNotYetValidException e) {
            throw reject("peer certificate " + fp + " is not valid before " + peer.getNotBefore().toInstant()
                    + " (now " + now + "); check the clocks of both nodes");
        }
        if (pinned == null) {
            boolean[] usage = peer.getKeyUsage();
            if (usage != null && (usage.length == 0 || !usage[0])) {
                throw reject("peer certificate " + fp + " does not allow digitalSignature key usage (expected: "
                        + "a node certificate as made by `understudy init`); replace the peer's tls/node.crt");
            }
        }
        presented.set(peer);
    }

    private CertificateException reject(String reason) {
        try {
            rejections.accept(reason);
        } catch (RuntimeException e) {
            // a failing listener must not turn a refusal into an acceptance; the handshake fails anyway
        }
        return new CertificateException(reason);
    }
}

package dev.understudy.dist.node;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.cert.Certificates;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;

/**
 * Warns well before a certificate of the pair expires: this node's own (tls/node.crt) and the
 * pinned peer's (tls/peer.crt). An expired certificate breaks the HA channel, so the alert comes
 * 30 days ahead (WARNING) and turns into an ERROR 7 days ahead; it resolves once the certificate
 * is replaced.
 */
final class CertificateWatch {

    static final Duration WARN_BEFORE = Duration.ofDays(30);
    static final Duration ERROR_BEFORE = Duration.ofDays(7);

    private CertificateWatch() {}

    /** Checks one certificate; {@code whose} is "node" or "peer". */
    static void check(AlertStore alerts, Instant now, String whose, X509Certificate cert, String file) {
        String key = whose;
        if (cert == null) {
            alerts.resolve(AlertCategory.CERT_EXPIRING, key);
            return;
        }
        Instant notAfter = cert.getNotAfter().toInstant();
        Duration left = Duration.between(now, notAfter);
        if (left.compareTo(WARN_BEFORE) > 0) {
            alerts.resolve(AlertCategory.CERT_EXPIRING, key);
            return;
        }
        String when = left.isNegative() ? "expired on " + notAfter : "expires on " + notAfter + " (in " + left.toDays() + " days)";
        String action = whose.equals("node")
                ? "renew it with `understudy renew-cert --home D` on this node (then re-pair: `understudy attach` on the shadow)"
                : "renew the peer's certificate with `understudy renew-cert` on the peer, then pair again with `understudy attach`";
        alerts.raise(left.compareTo(ERROR_BEFORE) <= 0 ? Severity.ERROR : Severity.WARNING, AlertCategory.CERT_EXPIRING, key,
                "The " + whose + " certificate " + file + " (SHA256 " + Certificates.fingerprint(cert) + ") " + when
                        + "; once expired the HA channel refuses it and replication and failover stop. " + action + ".");
    }
}

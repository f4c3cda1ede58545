package dev.understudy.common.testing;

import dev.understudy.common.cert.Certificates;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;

/**
 * Certificates made at test time (no keys are checked in): a node's self-signed certificate, one
 * signed by a CA, an expired one, one without TLS key usage. Shared fixture (common test-jar).
 */
public final class TestCertificates {

    /** A key pair with its certificate. */
    public record Identity(KeyPair keys, X509Certificate cert) {}

    private TestCertificates() {}

    public static Identity selfSigned(String cn) {
        KeyPair k = Certificates.newKeyPair();
        return new Identity(k, Certificates.selfSigned(k, Certificates.Spec.node(cn, Instant.now(), 30,
                List.of("localhost", "127.0.0.1"))));
    }

    public static Identity expired(String cn) {
        KeyPair k = Certificates.newKeyPair();
        Instant now = Instant.now();
        return new Identity(k, Certificates.selfSigned(k, new Certificates.Spec(cn, now.minusSeconds(86_400 * 10),
                now.minusSeconds(86_400), List.of("localhost", "127.0.0.1"), false, true)));
    }

    public static Identity ca(String cn) {
        KeyPair k = Certificates.newKeyPair();
        Instant now = Instant.now();
        return new Identity(k, Certificates.selfSigned(k, new Certificates.Spec(cn, now.minusSeconds(300),
                now.plusSeconds(86_400 * 30), List.of(), true, false)));
    }

    public static Identity signedBy(Identity ca, String cn) {
        KeyPair k = Certificates.newKeyPair();
        return new Identity(k, Certificates.issue(k, Certificates.Spec.node(cn, Instant.now(), 30,
                List.of("localhost", "127.0.0.1")), ca.keys(), new X500Name(ca.cert().getSubjectX500Principal().getName())));
    }

    public static Identity wrongUsage(String cn) {
        KeyPair k = Certificates.newKeyPair();
        Instant now = Instant.now();
        return new Identity(k, Certificates.selfSigned(k, new Certificates.Spec(cn, now.minusSeconds(300),
                now.plusSeconds(86_400 * 30), List.of("localhost", "127.0.0.1"), false, false)));
    }
}

package dev.understudy.common.cert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.understudy.common.testing.TestCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificatesTest {

    @TempDir
    Path tmp;

    private static final List<String> SANS = List.of("node-a.example", "localhost", "127.0.0.1", "::1");

    private static X509Certificate nodeCert(KeyPair k) {
        return Certificates.selfSigned(k, Certificates.Spec.node("understudy-a", Instant.now(), 825, SANS));
    }

    @Test
    void nodeCertificateIsUsableForMutualTls() throws Exception {
        KeyPair k = Certificates.newKeyPair();
        X509Certificate c = nodeCert(k);
        c.checkValidity();
        c.verify(k.getPublic());
        assertThat(c.getSubjectX500Principal().getName()).isEqualTo("CN=understudy-a");
        assertThat(c.getNotAfter().toInstant()).isAfter(Instant.now().plusSeconds(824L * 86_400));
        boolean[] ku = c.getKeyUsage();
        assertThat(ku).isNotNull();
        assertThat(ku[0]).as("digitalSignature").isTrue();
        assertThat(ku[5]).as("keyCertSign").isFalse();
        assertThat(c.getExtendedKeyUsage()).containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
        assertThat(c.getBasicConstraints()).as("not a CA").isEqualTo(-1);
        Collection<List<?>> alt = c.getSubjectAlternativeNames();
        List<String> ips = alt.stream().filter(l -> (Integer) l.get(0) == 7).map(l -> (String) l.get(1)).toList();
        List<String> dns = alt.stream().filter(l -> (Integer) l.get(0) == 2).map(l -> (String) l.get(1)).toList();
        assertThat(ips).containsExactlyInAnyOrder("127.0.0.1", "0:0:0:0:0:0:0:1");
        assertThat(dns).containsExactlyInAnyOrder("node-a.example", "localhost");
        assertThat(c.getSigAlgName()).isEqualTo("SHA256withECDSA");
    }

    @Test
    void defaultSansIncludeLoopback() {
        assertThat(Certificates.defaultSubjectAltNames()).contains("localhost", "127.0.0.1", "::1");
    }

    @Test
    void fixtureCertificatesDifferAsTheirNamesSay() throws Exception {
        TestCertificates.Identity ca = TestCertificates.ca("ca");
        assertThat(ca.cert().getBasicConstraints()).isGreaterThanOrEqualTo(0);
        TestCertificates.Identity leaf = TestCertificates.signedBy(ca, "leaf");
        leaf.cert().verify(ca.keys().getPublic());
        assertThatThrownBy(() -> TestCertificates.expired("old").cert().checkValidity())
                .isInstanceOf(java.security.cert.CertificateExpiredException.class);
        assertThat(TestCertificates.wrongUsage("w").cert().getKeyUsage()[0]).isFalse();
    }

    @Test
    void pemRoundTripOfCertificateAndKey() throws Exception {
        KeyPair k = Certificates.newKeyPair();
        X509Certificate c = nodeCert(k);
        Path crt = tmp.resolve("node.crt");
        Path key = tmp.resolve("node.key");
        Certificates.writeCertificate(crt, c);
        Certificates.writePrivateKey(key, k.getPrivate());
        assertThat(Files.readString(crt)).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----");
        X509Certificate c2 = Certificates.readCertificate(crt);
        assertThat(c2).isEqualTo(c);
        assertThat(Certificates.parseCertificate(Certificates.toPem(c), "inline")).isEqualTo(c);
        PrivateKey k2 = Certificates.readPrivateKey(key);
        assertThat(k2.getEncoded()).isEqualTo(k.getPrivate().getEncoded());
        // the key read back signs what the certificate's public key verifies
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(k2);
        s.update(new byte[] {1, 2, 3});
        byte[] sig = s.sign();
        Signature v = Signature.getInstance("SHA256withECDSA");
        v.initVerify(c2.getPublicKey());
        v.update(new byte[] {1, 2, 3});
        assertThat(v.verify(sig)).isTrue();
    }

    @Test
    void readingSomethingElseSaysWhichFile() throws IOException {
        Path f = tmp.resolve("notacert.crt");
        Files.writeString(f, "hello\n");
        assertThatThrownBy(() -> Certificates.readCertificate(f)).isInstanceOf(IOException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("not a PEM certificate");
        assertThatThrownBy(() -> Certificates.readPrivateKey(f)).isInstanceOf(IOException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("not a PEM private key");
        Path c = tmp.resolve("c.crt");
        Certificates.writeCertificate(c, nodeCert(Certificates.newKeyPair()));
        assertThatThrownBy(() -> Certificates.readPrivateKey(c)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a PEM private key");
    }

    @Test
    void privateKeyFileIsOwnerOnlyAndReplacingKeepsIt() throws Exception {
        Path key = tmp.resolve("node.key");
        Certificates.writePrivateKey(key, Certificates.newKeyPair().getPrivate());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        Certificates.writePrivateKey(key, Certificates.newKeyPair().getPrivate());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        assertThat(Files.list(tmp).map(p -> p.getFileName().toString()).toList()).containsExactly("node.key");
        Path crt = tmp.resolve("node.crt");
        Certificates.writeCertificate(crt, nodeCert(Certificates.newKeyPair()));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(crt))).isEqualTo("rw-r--r--");
    }

    @Test
    void fingerprintFormatAndMatching() throws Exception {
        X509Certificate c = nodeCert(Certificates.newKeyPair());
        String fp = Certificates.fingerprint(c);
        assertThat(fp).matches("([0-9A-F]{2}:){31}[0-9A-F]{2}");
        byte[] sha = java.security.MessageDigest.getInstance("SHA-256").digest(c.getEncoded());
        assertThat(fp.replace(":", "")).isEqualTo(java.util.HexFormat.of().withUpperCase().formatHex(sha));
        assertThat(Certificates.fingerprintMatches(fp, c)).isTrue();
        assertThat(Certificates.fingerprintMatches(fp.replace(":", ""), c)).isTrue();
        assertThat(Certificates.fingerprintMatches(fp.toLowerCase(Locale.ROOT), c)).isTrue();
        assertThat(Certificates.fingerprintMatches("SHA256:" + fp, c)).isTrue();
        assertThat(Certificates.fingerprintMatches("sha256:" + fp.replace(":", "").toLowerCase(Locale.ROOT), c)).isTrue();
        assertThat(Certificates.fingerprintMatches("  " + fp + "\n", c)).isTrue();
        String other = Certificates.fingerprint(nodeCert(Certificates.newKeyPair()));
        assertThat(Certificates.fingerprintMatches(other, c)).isFalse();
        assertThat(Certificates.fingerprintMatches(fp.substring(3), c)).isFalse();
        assertThat(Certificates.fingerprintMatches("", c)).isFalse();
        assertThat(Certificates.fingerprintMatches(null, c)).isFalse();
    }
}

package dev.understudy.common.cert;

import dev.understudy.common.io.AtomicFiles;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;

/** Key pairs, X.509 certificates, PEM files and fingerprints, made with Bouncy Castle. */
public final class Certificates {

    private static final SecureRandom RANDOM = new SecureRandom();

    private Certificates() {}

    /** A fresh EC P-256 key pair. */
    public static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("EC P-256 is required by every Java platform", e);
        }
    }

    /** What to put in a certificate; {@link #selfSigned} and {@link #issue} use it. */
    public record Spec(String commonName, Instant notBefore, Instant notAfter, List<String> subjectAltNames,
                       boolean ca, boolean tlsUsage) {

        /** A node certificate: TLS server and client use, valid from now for {@code days}. */
        public static Spec node(String commonName, Instant now, int days, List<String> sans) {
            return new Spec(commonName, now.minusSeconds(300), now.plusSeconds(days * 86_400L), sans, false, true);
        }
    }

    /** A self-signed certificate for {@code keys}. */
    public static X509Certificate selfSigned(KeyPair keys, Spec spec) {
        return issue(keys, spec, keys, new X500Name("CN=" + spec.commonName()));
    }

    /** A certificate for {@code subject} signed by {@code issuerKeys} under {@code issuerName}. */
    public static X509Certificate issue(KeyPair subject, Spec spec, KeyPair issuerKeys, X500Name issuerName) {
        try {
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    issuerName, new BigInteger(127, RANDOM).add(BigInteger.ONE),
                    Date.from(spec.notBefore()), Date.from(spec.notAfter()),
                    new X500Name("CN=" + spec.commonName()), subject.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subject.getPublic()));
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(spec.ca()));
            if (spec.ca()) {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
            } else if (spec.tlsUsage()) {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
                b.addExtension(Extension.extendedKeyUsage, false,
                        new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            } else {
                // deliberately unusable for TLS (tests of wrong key usage)
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyEncipherment));
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_emailProtection));
            }
            if (spec.subjectAltNames() != null && !spec.subjectAltNames().isEmpty()) {
                List<GeneralName> names = new ArrayList<>();
                for (String s : spec.subjectAltNames()) {
                    names.add(looksLikeIp(s) ? new GeneralName(GeneralName.iPAddress, s) : new GeneralName(GeneralName.dNSName, s));
                }
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
            }
            X509CertificateHolder h = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate()));
            return new JcaX509CertificateConverter().getCertificate(h);
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot create certificate for " + spec.commonName(), e);
        }
    }

    private static boolean looksLikeIp(String s) {
        return s.matches("[0-9.]+") || s.contains(":");
    }

    /** The local host's names and loopback addresses, for a node certificate's SANs. */
    public static List<String> defaultSubjectAltNames() {
        List<String> sans = new ArrayList<>(List.of("localhost", "127.0.0.1", "::1"));
        try {
            String host = InetAddress.getLocalHost().getHostName();
            if (!sans.contains(host) && host.matches("[A-Za-z0-9.-]+")) {
                sans.add(host);
            }
        } catch (IOException e) {
            // no resolvable host name: loopback names are enough, the peer pins the certificate anyway
        }
        return sans;
    }

    /** SHA-256 of the DER encoding, as colon-separated upper-case hex (as `openssl x509 -fingerprint -sha256`). */
    public static String fingerprint(X509Certificate cert) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(d);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot fingerprint certificate", e);
        }
    }

    /** Fingerprints compare equal ignoring case, colons and an optional "SHA256:" prefix. */
    public static boolean fingerprintMatches(String expected, X509Certificate cert) {
        return normalizeFingerprint(expected).equals(normalizeFingerprint(fingerprint(cert)));
    }

    public static String normalizeFingerprint(String fp) {
        String s = fp.trim().toLowerCase(Locale.ROOT);
        if (s.startsWith("sha256:")) {
            s = s.substring(7);
        }
        return s.replace(":", "");
    }

    public static String toPem(Object certOrKey) {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(w)) {
            // a private key as PKCS#8 "PRIVATE KEY": a PrivateKeyInfo object would be written as SEC1
            // "EC PRIVATE KEY" without the curve parameters, which no reader can turn back into a key
            pem.writeObject(certOrKey instanceof PrivateKey k ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(k, null) : certOrKey);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write PEM", e);
        }
        return w.toString();
    }

    public static void writeCertificate(Path file, X509Certificate cert) throws IOException {
        AtomicFiles.write(file, toPem(cert).getBytes(StandardCharsets.US_ASCII), AtomicFiles.READABLE);
    }

    /** Writes a private key in PKCS#8 PEM; the file is mode 0600 from the moment it exists. */
    public static void writePrivateKey(Path file, PrivateKey key) throws IOException {
        AtomicFiles.write(file, toPem(key).getBytes(StandardCharsets.US_ASCII), AtomicFiles.OWNER_ONLY);
    }

    public static X509Certificate readCertificate(Path file) throws IOException {
        return parseCertificate(Files.readString(file, StandardCharsets.US_ASCII), file.toString());
    }

    public static X509Certificate parseCertificate(String pem, String source) throws IOException {
        try (PEMParser p = new PEMParser(new StringReader(pem))) {
            Object o = p.readObject();
            if (!(o instanceof X509CertificateHolder h)) {
                throw new IOException(source + ": not a PEM certificate");
            }
            return new JcaX509CertificateConverter().getCertificate(h);
        } catch (CertificateException e) {
            throw new IOException(source + ": invalid certificate: " + e.getMessage(), e);
        }
    }

    public static PrivateKey readPrivateKey(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
            Object o = p.readObject();
            JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
            if (o instanceof PrivateKeyInfo info) {
                return conv.getPrivateKey(info);
            }
            if (o instanceof PEMKeyPair kp) {
                // SEC1 "EC PRIVATE KEY" as JcaPEMWriter writes it may omit the public key: use the private part only
                return conv.getPrivateKey(kp.getPrivateKeyInfo());
            }
            throw new IOException(file + ": not a PEM private key");
        }
    }

    public static byte[] der(X509Certificate cert) {
        try {
            return cert.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }
}

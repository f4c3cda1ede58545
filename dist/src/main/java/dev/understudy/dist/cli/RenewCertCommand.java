package dev.understudy.dist.cli;

import dev.understudy.common.cert.Certificates;
import dev.understudy.common.home.HomeInitializer;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.home.NodeSettings;
import dev.understudy.dist.node.RunFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code understudy renew-cert}: replaces this node's key pair and self-signed certificate (before it
 * expires, or after a key compromise). The peer pins certificates, so the pair must be re-paired.
 */
@Command(name = "renew-cert", mixinStandardHelpOptions = true,
        description = "Make a new key pair and certificate for this (stopped) node; then pair the nodes again.")
final class RenewCertCommand implements Callable<Integer> {

    private final CliContext ctx;

    @Mixin
    HomeOption home;

    RenewCertCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        NodeHome h = home.nodeHome();
        try {
            NodeSettings s = h.loadSettings();
            var run = RunFile.read(h.root());
            if (run.isPresent() && run.get().processAlive()) {
                throw CliException.failed("a node (pid " + run.get().pid() + ") runs in " + h.root()
                        + "; stop it first (the key is loaded at start)");
            }
            KeyPair keys = Certificates.newKeyPair();
            X509Certificate cert = Certificates.selfSigned(keys, Certificates.Spec.node("understudy-" + s.nodeId(),
                    Instant.now(), HomeInitializer.CERT_DAYS, Certificates.defaultSubjectAltNames()));
            // keep the old pair next to the new one until the operator has re-paired
            Files.copy(h.nodeKey(), h.tlsDir().resolve("node.key.old"), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(h.nodeCrt(), h.tlsDir().resolve("node.crt.old"), StandardCopyOption.REPLACE_EXISTING);
            Certificates.writePrivateKey(h.nodeKey(), keys.getPrivate());
            Certificates.writeCertificate(h.nodeCrt(), cert);
            ctx.out().println("new certificate SHA256:" + Certificates.fingerprint(cert) + " valid until "
                    + cert.getNotAfter().toInstant());
            ctx.out().println("The peer still pins the old certificate. Start this node, then re-pair: on the master run"
                    + " `understudy detach`, on the shadow `understudy detach` and `understudy attach ...` again.");
            return 0;
        } catch (IOException e) {
            throw CliException.failed(e.getMessage());
        }
    }
}

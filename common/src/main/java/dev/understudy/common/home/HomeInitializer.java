package dev.understudy.common.home;

import dev.understudy.common.cert.Certificates;
import dev.understudy.common.config.ChangeOp;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.config.ConfigDocument;
import dev.understudy.common.config.InvalidChangeException;
import dev.understudy.common.io.AtomicFiles;
import dev.understudy.common.json.Json;
import dev.understudy.common.store.ConfigStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.stream.Stream;

/** Creates a new node home: settings, state, key pair and certificate, admin user and token. */
public final class HomeInitializer {

    /** Node certificates are valid this long; CERT_EXPIRING alerts warn well before. */
    public static final int CERT_DAYS = 825;

    /**
     * What {@code understudy init} collected.
     *
     * @param masterAddress for a shadow, the master's HA address as given to the wizard (may be null)
     */
    public record Request(String nodeId, Role role, String adminHost, int adminPort, String haHost, int haPort,
                          String adminUser, char[] password, String masterAddress) {}

    private HomeInitializer() {}

    /** Creates the home; refuses (changing nothing) if one already exists there. */
    public static NodeHome create(Path dir, Request r, Instant now) throws IOException {
        NodeHome home = new NodeHome(dir);
        if (home.exists() || Files.exists(home.stateJson()) || nonEmpty(home.configDir())) {
            throw new IOException(dir + ": already holds a node home (expected: an empty or new directory; "
                    + "run `understudy reset` to re-pair an existing node, or choose another --home)");
        }
        if (r.password() == null || r.password().length < 8) {
            throw new IllegalArgumentException("admin password: too short (expected: at least 8 characters)");
        }
        NodeSettings settings = NodeSettings.defaults(r.nodeId(), r.role())
                .withHosts(r.adminHost(), r.haHost()).withPorts(r.adminPort(), r.haPort());
        if (r.masterAddress() != null) {
            HostPort.parse(r.masterAddress());
            settings = settings.withPeer(r.masterAddress(), null);
        }
        String hash = PasswordHasher.hash(r.password());
        // check the admin user before anything is written, so a bad name leaves no half-made home behind
        AdminUsers.check(r.adminUser(), hash);
        AtomicFiles.createPrivateDirectory(home.root());
        AtomicFiles.createPrivateDirectory(home.tlsDir());
        KeyPair keys = Certificates.newKeyPair();
        X509Certificate cert = Certificates.selfSigned(keys, Certificates.Spec.node(
                "understudy-" + r.nodeId(), now, CERT_DAYS, Certificates.defaultSubjectAltNames()));
        Certificates.writePrivateKey(home.nodeKey(), keys.getPrivate());
        Certificates.writeCertificate(home.nodeCrt(), cert);
        try (ConfigStore store = ConfigStore.open(home.configDir())) {
            AdminUsers.commit(store, r.adminUser(), hash);
        }
        home.saveState(new NodeState(r.role() == Role.MASTER ? 1 : 0, r.role(), 0));
        home.newAdminToken();
        Files.createDirectories(home.root().resolve("hooks"));
        // node.json last: its presence is what marks the home as complete
        home.saveSettings(settings);
        return home;
    }

    private static boolean nonEmpty(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isPresent();
        }
    }

    /** The admin user as one change set: checked before anything is written, then committed. */
    static final class AdminUsers {
        private AdminUsers() {}

        static void commit(ConfigStore store, String user, String hash) throws IOException {
            try {
                store.commit(change(user, hash));
            } catch (InvalidChangeException e) {
                throw new IllegalArgumentException("admin user: " + e.getMessage(), e);
            }
        }

        static void check(String user, String hash) {
            try {
                new ConfigDocument().validate(change(user, hash));
            } catch (InvalidChangeException e) {
                throw new IllegalArgumentException("admin user: " + e.getMessage(), e);
            }
        }

        private static ChangeSet change(String user, String hash) {
            return ChangeSet.of(ChangeOp.put(ConfigCollection.USERS, user, Json.object().put("passwordHash", hash)));
        }
    }
}

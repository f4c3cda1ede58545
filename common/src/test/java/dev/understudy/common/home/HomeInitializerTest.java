package dev.understudy.common.home;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.cert.Certificates;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.store.ConfigStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HomeInitializerTest {

    private static final String PASSWORD = "correct horse battery";

    @TempDir
    Path tmp;

    private static HomeInitializer.Request request(String user, String password) {
        return new HomeInitializer.Request("node-a", Role.MASTER, "127.0.0.1", 9443, "127.0.0.1", 9444, user,
                password.toCharArray(), null);
    }

    /** Every file under dir (relative path) with its bytes and permissions. */
    private static Map<String, String> contents(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        if (!Files.exists(dir)) {
            return out;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                String perms = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
                out.put(dir.relativize(p).toString(), perms + " "
                        + (Files.isRegularFile(p) ? Arrays.toString(Files.readAllBytes(p)) : "dir"));
            }
        }
        return out;
    }

    @Test
    void createsACompleteHomeWithoutThePasswordAnywhere() throws Exception {
        Path dir = tmp.resolve("home");
        NodeHome home = HomeInitializer.create(dir, request("admin", PASSWORD), Instant.now());
        assertThat(home.nodeJson()).isRegularFile();
        assertThat(home.stateJson()).isRegularFile();
        assertThat(home.nodeCrt()).isRegularFile();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.nodeKey()))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.adminToken()))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.root()))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.tlsDir()))).isEqualTo("rwx------");
        assertThat(home.readAdminToken()).matches("[A-Za-z0-9_-]{43}");

        NodeSettings settings = home.loadSettings();
        assertThat(settings.nodeId()).isEqualTo("node-a");
        assertThat(settings.role()).isEqualTo(Role.MASTER);
        assertThat(settings.adminPort()).isEqualTo(9443);
        assertThat(settings.haPort()).isEqualTo(9444);
        NodeState state = home.loadState();
        assertThat(state).isEqualTo(new NodeState(1, Role.MASTER, 0));

        // the key and certificate belong together and serve TLS
        X509Certificate cert = Certificates.readCertificate(home.nodeCrt());
        PrivateKey key = Certificates.readPrivateKey(home.nodeKey());
        cert.checkValidity();
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(key);
        s.update(new byte[] {42});
        byte[] sig = s.sign();
        s.initVerify(cert.getPublicKey());
        s.update(new byte[] {42});
        assertThat(s.verify(sig)).isTrue();
        assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=understudy-node-a");

        try (ConfigStore store = ConfigStore.open(home.configDir())) {
            assertThat(store.revision()).isEqualTo(1);
            JsonNode user = store.read(d -> d.get(ConfigCollection.USERS, "admin"));
            String hash = user.get("passwordHash").asText();
            assertThat(hash).startsWith("pbkdf2-sha256$" + PasswordHasher.ITERATIONS + "$");
            assertThat(PasswordHasher.verify(PASSWORD.toCharArray(), hash)).isTrue();
            assertThat(PasswordHasher.verify("wrong password".toCharArray(), hash)).isFalse();
        }

        byte[] secret = PASSWORD.getBytes(StandardCharsets.UTF_8);
        byte[] secret16 = PASSWORD.getBytes(StandardCharsets.UTF_16BE);
        try (Stream<Path> files = Files.walk(home.root())) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                byte[] b = Files.readAllBytes(p);
                assertThat(indexOf(b, secret)).as("password in %s", p).isEqualTo(-1);
                assertThat(indexOf(b, secret16)).as("password (UTF-16) in %s", p).isEqualTo(-1);
            }
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void initOnAnExistingHomeRefusesAndChangesNothing() throws Exception {
        Path dir = tmp.resolve("home");
        HomeInitializer.create(dir, request("admin", PASSWORD), Instant.now());
        Map<String, String> before = contents(dir);
        assertThatThrownBy(() -> HomeInitializer.create(dir, request("other", "another password"), Instant.now()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("already holds a node home")
                .hasMessageContaining("understudy reset");
        assertThat(contents(dir)).isEqualTo(before);
    }

    @Test
    void leftoverConfigWithoutNodeJsonIsAlsoRefused() throws Exception {
        Path dir = tmp.resolve("home");
        Files.createDirectories(dir.resolve("config"));
        Files.writeString(dir.resolve("config").resolve("journal-1.log"), "x");
        Map<String, String> before = contents(dir);
        assertThatThrownBy(() -> HomeInitializer.create(dir, request("admin", PASSWORD), Instant.now()))
                .isInstanceOf(IOException.class).hasMessageContaining("already holds a node home");
        assertThat(contents(dir)).isEqualTo(before);
    }

    @Test
    void shortPasswordIsRejectedBeforeAnythingIsWritten() {
        Path dir = tmp.resolve("home");
        assertThatThrownBy(() -> HomeInitializer.create(dir, request("admin", "short"), Instant.now()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("admin password: too short (expected: at least 8 characters)");
        assertThat(dir).doesNotExist();
    }

    @Test
    void badAdminUserIsRejectedBeforeAnythingIsWritten() throws Exception {
        Path dir = tmp.resolve("home");
        assertThatThrownBy(() -> HomeInitializer.create(dir, request("../root", PASSWORD), Instant.now()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("admin user: ops[0].id: ../root (expected:");
        assertThat(dir).doesNotExist();
        // and the same directory can then be initialized
        HomeInitializer.create(dir, request("admin", PASSWORD), Instant.now());
        assertThat(new NodeHome(dir).exists()).isTrue();
    }

    @Test
    void badSettingsAreRejectedBeforeAnythingIsWritten() {
        Path dir = tmp.resolve("home");
        HomeInitializer.Request bad = new HomeInitializer.Request("node a", Role.SHADOW, "0.0.0.0", 1, "0.0.0.0", 2, "admin",
                PASSWORD.toCharArray(), null);
        assertThatThrownBy(() -> HomeInitializer.create(dir, bad, Instant.now())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("nodeId: node a (expected:");
        HomeInitializer.Request badPeer = new HomeInitializer.Request("node-b", Role.SHADOW, "0.0.0.0", 1, "0.0.0.0", 2, "admin",
                PASSWORD.toCharArray(), "master-without-port");
        assertThatThrownBy(() -> HomeInitializer.create(dir, badPeer, Instant.now())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("address: master-without-port (expected: host:port)");
        assertThat(dir).doesNotExist();
    }

    @Test
    void shadowHomeStartsAtEpochZeroWithItsMasterAddress() throws Exception {
        HomeInitializer.Request r = new HomeInitializer.Request("node-b", Role.SHADOW, "0.0.0.0", 0, "0.0.0.0", 0, "admin",
                PASSWORD.toCharArray(), "10.0.0.1:8444");
        NodeHome home = HomeInitializer.create(tmp.resolve("shadow"), r, Instant.now());
        assertThat(home.loadState()).isEqualTo(new NodeState(0, Role.SHADOW, 0));
        assertThat(home.loadSettings().peerAddress()).isEqualTo("10.0.0.1:8444");
    }

    @Test
    void damagedStateSaysWhatToDo() throws Exception {
        NodeHome home = HomeInitializer.create(tmp.resolve("home"), request("admin", PASSWORD), Instant.now());
        Files.writeString(home.stateJson(), "{\"epoch\":-1,\"role\":\"master\",\"lastAckedRevision\":0}");
        assertThatThrownBy(home::loadState).isInstanceOf(IOException.class)
                .hasMessageContaining(home.stateJson().toString())
                .hasMessageContaining("epoch: -1 (expected: 0.." + Epochs.MAX + ")")
                .hasMessageContaining("the peer's epoch from `understudy status` on the peer");
        Files.writeString(home.stateJson(), "{\"epoch\":9223372036854775807,\"role\":\"master\",\"lastAckedRevision\":0}");
        assertThatThrownBy(home::loadState).isInstanceOf(IOException.class)
                .hasMessageContaining("epoch: 9223372036854775807 (expected: 0.." + Epochs.MAX + ")");
        Files.writeString(home.nodeJson(), "{\"nodeId\":\"a\",\"role\":\"master\",\"bogus\":1}");
        assertThatThrownBy(home::loadSettings).isInstanceOf(IOException.class)
                .hasMessageStartingWith(home.nodeJson() + ": bogus: unknown field");
    }
}

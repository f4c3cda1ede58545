package dev.understudy.dist.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.understudy.common.alert.Alert;
import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.config.ChangeOp;
import dev.understudy.common.config.ChangeSet;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.home.HostPort;
import dev.understudy.common.home.Role;
import dev.understudy.common.json.Json;
import dev.understudy.common.store.StoreOptions;
import dev.understudy.dist.bench.LocalPair;
import dev.understudy.ha.failover.HaState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HaPairTest {

    @TempDir
    Path dir;
    final List<LocalPair.Node> nodes = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (LocalPair.Node n : nodes) {
            n.close();
        }
    }

    static final char[] PASSWORD = "correct horse battery".toCharArray();

    LocalPair.Node node(String id, Role role, StoreOptions options) throws Exception {
        LocalPair.Node n = LocalPair.Node.init(dir.resolve(id), id, role, PASSWORD, options, Duration.ofMillis(100),
                Duration.ofSeconds(1)).start();
        nodes.add(n);
        return n;
    }

    void attach(LocalPair.Node shadow, LocalPair.Node master) {
        shadow.ha().attach(HostPort.parse(master.haAddress()), "admin", PASSWORD.clone(), null).join();
        awaitPaired(shadow, master);
    }

    static void awaitPaired(LocalPair.Node shadow, LocalPair.Node master) {
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(shadow.ha().state()).isEqualTo(HaState.STANDBY);
            assertThat(master.ha().state()).isEqualTo(HaState.ACTIVE_PAIRED);
            assertThat(shadow.store().head()).isEqualTo(master.store().head());
        });
    }

    static ChangeSet randomChange(Random rnd, int i) {
        List<ChangeOp> ops = new ArrayList<>();
        int n = 1 + rnd.nextInt(3);
        for (int k = 0; k < n; k++) {
            if (rnd.nextInt(4) == 0) {
                ops.add(ChangeOp.put(ConfigCollection.SETTINGS, "s" + rnd.nextInt(50), Json.mapper().valueToTree(rnd.nextLong())));
            } else {
                int id = rnd.nextInt(200);
                ObjectNode m = Json.object().put("listenHost", "127.0.0.1").put("listenPort", 20000 + id)
                        .put("backendHost", "10.0.0." + rnd.nextInt(250)).put("backendPort", 1 + rnd.nextInt(65535));
                ops.add(ChangeOp.put(ConfigCollection.MAPPINGS, "m" + id + "-" + i + "-" + k, m.put("listenPort", 20000 + i * 3 + k)));
            }
        }
        return new ChangeSet(ops);
    }

    @Test
    void pairsAndReplicatesAThousandRandomChangeSets() throws Exception {
        LocalPair.Node master = node("m", Role.MASTER, StoreOptions.defaults());
        LocalPair.Node shadow = node("s", Role.SHADOW, StoreOptions.defaults());
        attach(shadow, master);
        assertThat(Files.exists(shadow.home.peerCrt())).isTrue();
        assertThat(Files.exists(master.home.peerCrt())).isTrue();
        // the password is never stored on the shadow
        for (Path p : Files.walk(shadow.home.root()).filter(Files::isRegularFile).toList()) {
            assertThat(new String(Files.readAllBytes(p), java.nio.charset.StandardCharsets.ISO_8859_1))
                    .as(p.toString()).doesNotContain(new String(PASSWORD));
        }
        Random rnd = new Random(42);
        int replicated = 0;
        for (int i = 0; i < 1000; i++) {
            long rev = master.store().commit(randomChange(rnd, i)).revision();
            if (master.ha().replicated(rev).get(5, TimeUnit.SECONDS)) {
                replicated++;
            }
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(shadow.store().head()).isEqualTo(master.store().head()));
        assertThat(shadow.store().revision()).isEqualTo(master.store().revision()).isGreaterThanOrEqualTo(1001);
        assertThat(replicated).as("writes acknowledged by the in-sync shadow").isGreaterThan(900);
    }

    @Test
    void shadowDownCatchesUpByDeltasAndPushFailureAlertTurnsIntoWarning() throws Exception {
        LocalPair.Node master = node("m", Role.MASTER, StoreOptions.defaults());
        LocalPair.Node shadow = node("s", Role.SHADOW, StoreOptions.defaults());
        attach(shadow, master);
        shadow.close();
        nodes.remove(shadow);
        await().atMost(Duration.ofSeconds(10)).until(() -> master.ha().state() == HaState.ACTIVE_ALONE);
        Random rnd = new Random(7);
        for (int i = 0; i < 50; i++) {
            master.store().commit(randomChange(rnd, i));
        }
        List<Alert> open = master.alerts().list(false);
        assertThat(open).anyMatch(a -> a.category() == AlertCategory.PUSH_FAILED && a.severity() == Severity.ERROR
                && a.count() >= 50 && a.message().contains("not connected"));
        LocalPair.Node back = shadow.reopen().start();
        nodes.add(back);
        awaitPaired(back, master);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(master.alerts().list(false)).noneMatch(a -> a.category() == AlertCategory.PUSH_FAILED
                    && a.severity() == Severity.ERROR);
            assertThat(master.alerts().list(false)).anyMatch(a -> a.category() == AlertCategory.PUSH_FAILED
                    && a.severity() == Severity.WARNING && a.message().contains("caught up"));
        });
    }

    @Test
    void shadowBehindTheJournalsRetentionGetsAFullTransfer() throws Exception {
        StoreOptions small = new StoreOptions(20, 1 << 20, 50, 1 << 20);
        LocalPair.Node master = node("m", Role.MASTER, small);
        LocalPair.Node shadow = node("s", Role.SHADOW, small);
        attach(shadow, master);
        shadow.close();
        nodes.remove(shadow);
        Random rnd = new Random(9);
        for (int i = 0; i < 120; i++) {
            master.store().commit(randomChange(rnd, i));
        }
        LocalPair.Node back = shadow.reopen().start();
        nodes.add(back);
        awaitPaired(back, master);
        assertThat(back.ha().syncProgress()).isNotNull();
        assertThat(back.ha().syncProgress().reason()).contains("no longer holds");
    }

    @Test
    void withoutCoordinationASecondShadowIsRefusedAndTheFirstStaysPaired() throws Exception {
        LocalPair.Node master = node("m", Role.MASTER, StoreOptions.defaults());
        LocalPair.Node first = node("s1", Role.SHADOW, StoreOptions.defaults());
        LocalPair.Node second = node("s2", Role.SHADOW, StoreOptions.defaults());
        attach(first, master);
        assertThatThrownBy(() -> second.ha().attach(HostPort.parse(master.haAddress()), "admin", PASSWORD.clone(), null).join())
                .isInstanceOf(CompletionException.class); // the pinned certificate refuses it at TLS
        assertThat(master.alerts().list(false)).as("the master's operator is told why, and what to set")
                .anyMatch(a -> a.category() == AlertCategory.PAIRING_REJECTED
                        && a.message().contains("without `coordination` in node.json a group is a pair"));
        assertThat(second.ha().state()).isEqualTo(HaState.DETACHED);
        assertThat(Files.exists(second.home.peerCrt())).isFalse();
        long rev = master.store().commit(randomChange(new Random(1), 1)).revision();
        assertThat(master.ha().replicated(rev).get(10, TimeUnit.SECONDS)).as("the first shadow still acks").isTrue();
        awaitPaired(first, master);
    }

    @Test
    void wrongPasswordIsRefusedWithAClearErrorAndAnAlert() throws Exception {
        LocalPair.Node master = node("m", Role.MASTER, StoreOptions.defaults());
        LocalPair.Node shadow = node("s", Role.SHADOW, StoreOptions.defaults());
        assertThatThrownBy(() -> shadow.ha().attach(HostPort.parse(master.haAddress()), "admin",
                "wrong password".toCharArray(), null).join())
                .isInstanceOf(CompletionException.class).hasMessageContaining("wrong admin user or password");
        assertThat(master.alerts().list(false)).anyMatch(a -> a.category() == AlertCategory.PAIRING_REJECTED);
        assertThat(Files.exists(shadow.home.peerCrt())).isFalse();
        assertThat(shadow.ha().state()).isEqualTo(HaState.DETACHED);
        assertThat(shadow.alerts().list(false)).as("the shadow tells its operator too")
                .anyMatch(a -> a.category() == AlertCategory.PAIRING_REJECTED);
        // and the right password still works afterwards, which ends the refusal on both sides
        attach(shadow, master);
        assertThat(shadow.alerts().list(false)).noneMatch(a -> a.category() == AlertCategory.PAIRING_REJECTED);
        assertThat(master.alerts().list(false)).noneMatch(a -> a.category() == AlertCategory.PAIRING_REJECTED);
    }

    @Test
    void aShadowPointsRefusedSwitchesToItsMastersAdminUrl() throws Exception {
        LocalPair.Node master = node("m", Role.MASTER, StoreOptions.defaults());
        LocalPair.Node shadow = node("s", Role.SHADOW, StoreOptions.defaults());
        master.ha().advertiseAdminPort(18443);
        attach(shadow, master);
        assertThat(shadow.ha().masterAdminUrl()).isEqualTo("https://127.0.0.1:18443/");
        assertThatThrownBy(() -> shadow.ha().switchRoles(false).join()).hasMessageContaining("this node is the shadow")
                .hasMessageContaining("admin https://127.0.0.1:18443/").hasMessageContaining("--force");
    }

    @Test
    void pairingAfterFiveWrongPasswordsIsRefusedUncheckedUntilTheLockoutEnds() throws Exception {
        LocalPair.Node master = node("m", Role.MASTER, StoreOptions.defaults());
        LocalPair.Node shadow = node("s", Role.SHADOW, StoreOptions.defaults());
        for (int i = 0; i < 5; i++) {
            String user = i % 2 == 0 ? "admin" : "nobody"; // an unknown user counts like a wrong password
            assertThatThrownBy(() -> shadow.ha().attach(HostPort.parse(master.haAddress()), user,
                    "guess".toCharArray(), null).join()).hasMessageContaining("wrong admin user or password");
        }
        // the right password, but from an address locked out for 2 s: refused without a check, and told so
        assertThatThrownBy(() -> shadow.ha().attach(HostPort.parse(master.haAddress()), "admin", PASSWORD.clone(), null)
                .join()).hasMessageContaining("refused without checking its password: too many failed logins");
        assertThat(Files.exists(shadow.home.peerCrt())).isFalse();
        assertThat(Files.exists(master.home.peerCrt())).as("the master pinned nothing").isFalse();
        // once the lockout is over the right password pairs
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).until(() -> {
            try {
                shadow.ha().attach(HostPort.parse(master.haAddress()), "admin", PASSWORD.clone(), null).join();
                return true;
            } catch (CompletionException e) {
                return false;
            }
        });
        awaitPaired(shadow, master);
    }

    @Test
    void wrongFingerprintIsRefused() throws Exception {
        LocalPair.Node master = node("m", Role.MASTER, StoreOptions.defaults());
        LocalPair.Node shadow = node("s", Role.SHADOW, StoreOptions.defaults());
        assertThatThrownBy(() -> shadow.ha().attach(HostPort.parse(master.haAddress()), "admin", PASSWORD.clone(),
                "AB:CD").join()).hasMessageContaining("does not match --master-fingerprint")
                .hasMessageContaining("no password was sent");
        // the credentials never reached the master: it saw no pairing attempt at all
        assertThat(master.alerts().list(true)).isEmpty();
        assertThat(Files.exists(master.home.peerCrt())).isFalse();
    }

    @Test
    void crashedMasterIsReplacedAndRestartedMasterRejoinsAsShadowWithNothingLost() throws Exception {
        LocalPair.Node master = node("m", Role.MASTER, StoreOptions.defaults());
        LocalPair.Node shadow = node("s", Role.SHADOW, StoreOptions.defaults());
        attach(shadow, master);
        Random rnd = new Random(3);
        long last = 0;
        for (int i = 0; i < 20; i++) {
            last = master.store().commit(randomChange(rnd, i)).revision();
            assertThat(master.ha().replicated(last).get(5, TimeUnit.SECONDS)).isTrue();
        }
        long crashAt = System.nanoTime();
        master.crash();
        nodes.remove(master);
        await().atMost(Duration.ofSeconds(10)).until(() -> shadow.ha().state() == HaState.ACTIVE_ALONE);
        long tookMs = (System.nanoTime() - crashAt) / 1_000_000;
        assertThat(shadow.serving()).isTrue();
        assertThat(shadow.ha().epoch()).isEqualTo(2);
        assertThat(shadow.store().revision()).isGreaterThanOrEqualTo(last);
        assertThat(shadow.alerts().list(false)).anyMatch(a -> a.category() == AlertCategory.FAILOVER);
        assertThat(Files.readString(shadow.home.eventsLog())).contains("\"to\":\"master\"").contains("\"epoch\":2");
        System.out.println("crash -> promoted in " + tookMs + " ms");
        // the old master comes back: it checks its peer, sees epoch 2, and rejoins as shadow
        LocalPair.Node again = master.reopen().start();
        nodes.add(again);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(again.ha().state()).isEqualTo(HaState.STANDBY);
            assertThat(again.ha().epoch()).isEqualTo(2);
            assertThat(shadow.ha().state()).isEqualTo(HaState.ACTIVE_PAIRED);
        });
        assertThat(again.servedEpochs()).doesNotContain(1L);
        long next = shadow.store().commit(randomChange(rnd, 99)).revision();
        assertThat(shadow.ha().replicated(next).get(5, TimeUnit.SECONDS)).isTrue();
        // handing back: the "took over" alert of the former shadow ends with its tenure
        assertThat(shadow.ha().switchRoles(false).get(10, TimeUnit.SECONDS)).contains("handed over");
        awaitPaired(shadow, again);
        assertThat(shadow.alerts().list(false)).as("alerts of the node that is shadow again")
                .noneMatch(a -> a.category() == AlertCategory.FAILOVER && a.key().equals("takeover"));
    }

    @Test
    void plannedSwitchRolesTwiceLosesNothing() throws Exception {
        LocalPair.Node a = node("a", Role.MASTER, StoreOptions.defaults());
        LocalPair.Node b = node("b", Role.SHADOW, StoreOptions.defaults());
        attach(b, a);
        Random rnd = new Random(5);
        for (int round = 0; round < 2; round++) {
            LocalPair.Node m = round == 0 ? a : b;
            LocalPair.Node s = round == 0 ? b : a;
            for (int i = 0; i < 10; i++) {
                m.store().commit(randomChange(rnd, round * 100 + i));
            }
            String msg = m.ha().switchRoles(false).get(10, TimeUnit.SECONDS);
            assertThat(msg).contains("handed over");
            awaitPaired(m, s);
            assertThat(s.serving()).isTrue();
            assertThat(m.serving()).isFalse();
            assertThat(s.ha().epoch()).isEqualTo(m.ha().epoch()).isEqualTo(2 + round);
        }
        assertThat(a.store().head()).isEqualTo(b.store().head());
    }
}

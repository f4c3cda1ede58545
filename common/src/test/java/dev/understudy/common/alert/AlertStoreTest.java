package dev.understudy.common.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.understudy.common.json.Json;
import dev.understudy.common.testing.FakeClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlertStoreTest {

    @TempDir
    Path tmp;

    private final FakeClock clock = new FakeClock();

    private Path file() {
        return tmp.resolve("alerts.json");
    }

    private String now() {
        return Instant.ofEpochMilli(clock.currentTimeMillis()).toString();
    }

    @Test
    void raiseDeduplicatesByCategoryAndKeyAndBumpsCountAndLastSeen() throws Exception {
        AlertStore s = AlertStore.open(file(), clock);
        List<Alert> heard = new ArrayList<>();
        s.addListener(heard::add);
        String first = now();
        Alert a = s.raise(Severity.ERROR, AlertCategory.PUSH_FAILED, "shadow-1", "push failed; check the shadow");
        clock.advanceMillis(1500);
        Alert b = s.raise(Severity.ERROR, AlertCategory.PUSH_FAILED, "shadow-1", "push failed again; check the shadow");
        assertThat(b.id()).isEqualTo(a.id());
        assertThat(b.count()).isEqualTo(2);
        assertThat(b.firstSeen()).isEqualTo(first);
        assertThat(b.lastSeen()).isEqualTo(now()).isNotEqualTo(first);
        assertThat(b.message()).isEqualTo("push failed again; check the shadow");
        Alert other = s.raise(Severity.ERROR, AlertCategory.PUSH_FAILED, "shadow-2", "x");
        Alert otherCategory = s.raise(Severity.WARNING, AlertCategory.PEER_UNREACHABLE, "shadow-1", "y");
        assertThat(other.id()).isNotEqualTo(a.id());
        assertThat(otherCategory.id()).isNotIn(a.id(), other.id());
        assertThat(s.list(false)).hasSize(3);
        assertThat(heard).hasSize(4);
        assertThat(s.open(AlertCategory.PUSH_FAILED, "shadow-1")).contains(b);
    }

    @Test
    void resolveClosesOnlyTheMatchingAlertsAndANewRaiseStartsAgain() throws Exception {
        AlertStore s = AlertStore.open(file(), clock);
        Alert a = s.raise(Severity.ERROR, AlertCategory.PUSH_FAILED, "k1", "m");
        s.raise(Severity.ERROR, AlertCategory.PUSH_FAILED, "k2", "m");
        Alert p = s.raise(Severity.WARNING, AlertCategory.PEER_UNREACHABLE, "k1", "m");
        assertThat(s.resolve(AlertCategory.PUSH_FAILED, "k1")).extracting(Alert::id).containsExactly(a.id());
        assertThat(s.list(false)).hasSize(2);
        assertThat(s.resolve(AlertCategory.PUSH_FAILED, null)).hasSize(1);
        assertThat(s.resolve(AlertCategory.PUSH_FAILED, null)).isEmpty();
        assertThat(s.list(false)).extracting(Alert::id).containsExactly(p.id());
        assertThat(s.list(true)).hasSize(3).filteredOn(Alert::resolved).hasSize(2);
        Alert again = s.raise(Severity.ERROR, AlertCategory.PUSH_FAILED, "k1", "m");
        assertThat(again.id()).isNotEqualTo(a.id());
        assertThat(again.count()).isEqualTo(1);
    }

    @Test
    void acknowledgeMarksTheAlertAndAnUnknownIdSaysWhatToDo() throws Exception {
        AlertStore s = AlertStore.open(file(), clock);
        Alert a = s.raise(Severity.WARNING, AlertCategory.CERT_EXPIRING, null, "renew");
        assertThat(s.acknowledge(a.id()).acknowledged()).isTrue();
        assertThat(s.list(false)).as("an acknowledged alert leaves the default list and the active count").isEmpty();
        assertThat(s.list(true)).singleElement().extracting(Alert::acknowledged).isEqualTo(true);
        assertThatThrownBy(() -> s.acknowledge("999")).isInstanceOf(NoSuchElementException.class)
                .hasMessage("alert: 999 (expected: the id of an alert; see `understudy alerts --all`)");
    }

    @Test
    void persistedAndReloaded() throws Exception {
        AlertStore s = AlertStore.open(file(), clock);
        Alert a = s.raise(Severity.ERROR, AlertCategory.FAILOVER, "e2", "promoted");
        Alert b = s.raise(Severity.INFO, AlertCategory.VERSION_MISMATCH, "v", "upgrade");
        s.acknowledge(b.id());
        s.resolve(AlertCategory.FAILOVER, null);
        AlertStore t = AlertStore.open(file(), clock);
        assertThat(t.list(true)).containsExactlyInAnyOrderElementsOf(s.list(true));
        // ids keep counting after a reload; they are never reused
        Alert c = t.raise(Severity.ERROR, AlertCategory.FAILOVER, "e2", "promoted again");
        assertThat(Long.parseLong(c.id())).isGreaterThan(Math.max(Long.parseLong(a.id()), Long.parseLong(b.id())));
        // the file carries the documented fields
        var json = Json.tree(Files.readAllBytes(file()));
        assertThat(json.get("alerts").get(0).has("firstSeen")).isTrue();
    }

    @Test
    void damagedFileIsMovedAsideAndTheStoreStartsEmpty() throws Exception {
        for (String damaged : new String[] {"{\"nextId\":3,\"alerts\":[{\"id\":", "", "null", "[]",
                "{\"nextId\":1,\"alerts\":[{\"id\":\"1\",\"severity\":\"LOUD\"}]}"}) {
            Files.writeString(file(), damaged);
            AlertStore s = AlertStore.open(file(), clock);
            assertThat(s.list(true)).as(damaged).isEmpty();
            assertThat(Files.readString(tmp.resolve("alerts.json.damaged"))).isEqualTo(damaged);
            assertThat(file()).doesNotExist();
            s.raise(Severity.ERROR, AlertCategory.CONFIG_INCONSISTENT, null, "x");
            assertThat(AlertStore.open(file(), clock).list(false)).hasSize(1);
            Files.delete(file());
        }
    }

    @Test
    void listIsNewestActivityFirstEvenWithinOneSecond() throws Exception {
        AlertStore s = AlertStore.open(file(), clock); // the fake clock starts on a whole second
        Alert older = s.raise(Severity.ERROR, AlertCategory.PUSH_FAILED, "a", "m");
        clock.advanceMillis(500);
        Alert newer = s.raise(Severity.ERROR, AlertCategory.PEER_UNREACHABLE, "b", "m");
        clock.advanceMillis(1000);
        Alert newest = s.raise(Severity.ERROR, AlertCategory.FAILOVER, "c", "m");
        assertThat(s.list(false)).extracting(Alert::id).containsExactly(newest.id(), newer.id(), older.id());
        clock.advanceMillis(10);
        s.raise(Severity.ERROR, AlertCategory.PUSH_FAILED, "a", "m"); // bumped: now the newest activity
        assertThat(s.list(false)).extracting(Alert::id).containsExactly(older.id(), newest.id(), newer.id());
    }

    @Test
    void resolvedHistoryIsTrimmedButOpenAlertsStay() throws Exception {
        AlertStore s = AlertStore.open(file(), clock);
        Alert open = s.raise(Severity.ERROR, AlertCategory.CONFIG_INCONSISTENT, "keep", "m");
        for (int i = 0; i < AlertStore.MAX_RESOLVED + 25; i++) {
            clock.advanceMillis(1);
            s.raise(Severity.ERROR, AlertCategory.PUSH_FAILED, "k" + i, "m");
            s.resolve(AlertCategory.PUSH_FAILED, "k" + i);
        }
        List<Alert> all = s.list(true);
        assertThat(all.stream().filter(Alert::resolved).count()).isEqualTo(AlertStore.MAX_RESOLVED);
        assertThat(all).contains(open);
        // the oldest resolved ones went first
        assertThat(all).extracting(Alert::key).doesNotContain("k0", "k24").contains("k25", "k224");
        assertThat(AlertStore.open(file(), clock).list(true)).hasSize(AlertStore.MAX_RESOLVED + 1);
    }
}

package dev.understudy.master;

import static org.assertj.core.api.Assertions.assertThat;

import dev.understudy.common.alert.Alert;
import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.testing.FakeClock;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PushAlertsTest {

    @TempDir
    Path dir;

    @Test
    void failedPushesAreOneErrorThatTurnsIntoOneWarningOnceTheShadowCaughtUp() throws Exception {
        FakeClock clock = new FakeClock();
        AlertStore alerts = AlertStore.open(dir.resolve("alerts.json"), clock);
        PushAlerts push = new PushAlerts(alerts, clock);
        push.caughtUp("s1", 3);
        assertThat(alerts.list(true)).as("no trouble, no warning").isEmpty();

        push.failed("s1", "revision 4 not acknowledged within 2000 ms");
        clock.advanceMillis(500);
        push.failed("s1", "revision 5 not acknowledged within 2000 ms");
        assertThat(alerts.list(false)).singleElement().satisfies(a -> {
            assertThat(a.severity()).isEqualTo(Severity.ERROR);
            assertThat(a.category()).isEqualTo(AlertCategory.PUSH_FAILED);
            assertThat(a.count()).isEqualTo(2);
            assertThat(a.message()).contains("revision 5").contains("check that the shadow is running");
        });

        push.caughtUp("s1", 5);
        assertThat(alerts.list(false)).singleElement().satisfies(a -> {
            assertThat(a.severity()).isEqualTo(Severity.WARNING);
            assertThat(a.message()).contains("had failed 2 time(s)").contains("caught up at revision 5");
        });
        assertThat(alerts.list(true)).filteredOn(Alert::resolved).singleElement()
                .satisfies(a -> assertThat(a.severity()).isEqualTo(Severity.ERROR));
    }

    @Test
    void anOpenPushErrorSurvivesARestartOfTheMaster() throws Exception {
        FakeClock clock = new FakeClock();
        AlertStore alerts = AlertStore.open(dir.resolve("alerts.json"), clock);
        new PushAlerts(alerts, clock).failed("s1", "not connected");
        AlertStore reopened = AlertStore.open(dir.resolve("alerts.json"), clock);
        PushAlerts afterRestart = new PushAlerts(reopened, clock);
        assertThat(afterRestart.failing()).isTrue();
        afterRestart.caughtUp("s1", 9);
        assertThat(reopened.list(false)).singleElement()
                .satisfies(a -> assertThat(a.severity()).isEqualTo(Severity.WARNING));
    }

    @Test
    void theRevisionsBehindAreNamedAsARange() {
        assertThat(PushAlerts.behind(4, 5)).isEqualTo("revision 5");
        assertThat(PushAlerts.behind(-1, 9)).as("nothing known of the shadow").isEqualTo("revision 9");
        assertThat(PushAlerts.behind(4, 7)).isEqualTo("revisions 5..7 (3 revisions)");
    }
}

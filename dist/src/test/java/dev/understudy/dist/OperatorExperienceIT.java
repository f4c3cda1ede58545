package dev.understudy.dist;

import static dev.understudy.dist.testing.NodeProcess.cli;
import static dev.understudy.dist.testing.NodeProcess.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.testing.ProcessPauser;
import dev.understudy.dist.testing.NodeProcess;
import dev.understudy.dist.testing.PairedNodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What an operator sees, driven through the real CLI against real node processes: every state is told
 * truly and every mistake gets a message that says what to do (issue 10).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class OperatorExperienceIT {

    private static final Pattern COMMITTED = Pattern.compile("committed revision (\\d+) \\(replicated: (true|false)\\)");
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final NodeProcess.Fleet fleet = new NodeProcess.Fleet();
    private long pausedPid;

    @AfterEach
    void tearDown() throws InterruptedException {
        try {
            if (pausedPid != 0) {
                ProcessPauser.resume(pausedPid);
            }
        } finally {
            fleet.close();
        }
    }

    static long revisionOf(NodeProcess.CliResult r) {
        Matcher m = COMMITTED.matcher(r.out());
        assertThat(m.find()).as("a committed revision in: %s", r).isTrue();
        return Long.parseLong(m.group(1));
    }

    static List<JsonNode> alerts(String home, boolean all) throws Exception {
        JsonNode arr = all ? ok("alerts", "--home", home, "--json", "--all").json() : ok("alerts", "--home", home, "--json").json();
        List<JsonNode> out = new ArrayList<>();
        arr.forEach(out::add);
        return out;
    }

    static List<JsonNode> open(String home, String category, String severity) throws Exception {
        return alerts(home, false).stream().filter(a -> a.path("category").asText().equals(category)
                && a.path("severity").asText().equals(severity) && !a.path("resolved").asBoolean()).toList();
    }

    /** Item 1: a change committed while the shadow is frozen is a failed push, resolved once the shadow acks it. */
    @Test
    void aChangeTheFrozenShadowNeverAcknowledgedRaisesPushFailedUntilItCatchesUp() throws Exception {
        PairedNodes pair = PairedNodes.start(fleet, "ux-push");
        pausedPid = pair.shadow().pid();
        ProcessPauser.pause(pausedPid);
        long rev = revisionOf(ok("config", "put", "--home", pair.masterHome(), "settings", "motd", "\"frozen\""));
        await("the master drops the frozen shadow").atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .until(() -> ok("status", "--home", pair.masterHome(), "--json").json().path("state").asText()
                        .equals("ACTIVE_ALONE"));
        await("a PUSH_FAILED error names the revision").atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(open(pair.masterHome(), "PUSH_FAILED", "ERROR")).singleElement()
                        .satisfies(a -> assertThat(a.path("message").asText()).contains("revision " + rev)));
        long alone = revisionOf(ok("config", "put", "--home", pair.masterHome(), "settings", "motd", "\"alone\""));
        assertThat(open(pair.masterHome(), "PUSH_FAILED", "ERROR")).as("still one error, now naming both revisions")
                .singleElement().satisfies(a -> assertThat(a.path("message").asText())
                        .contains("revisions " + rev + ".." + alone).contains("serves alone"));

        ProcessPauser.resume(pausedPid);
        pausedPid = 0;
        await("the shadow catches up and the error turns into a warning").atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> {
                    assertThat(open(pair.masterHome(), "PUSH_FAILED", "ERROR")).isEmpty();
                    assertThat(open(pair.masterHome(), "PUSH_FAILED", "WARNING")).singleElement()
                            .satisfies(a -> assertThat(a.path("message").asText()).contains("had failed")
                                    .contains("caught up at revision " + alone));
                });
    }
}

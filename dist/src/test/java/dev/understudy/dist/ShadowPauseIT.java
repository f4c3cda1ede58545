package dev.understudy.dist;

import static dev.understudy.dist.testing.NodeProcess.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.testing.ProcessPauser;
import dev.understudy.dist.testing.NodeProcess;
import dev.understudy.dist.testing.PairedNodes;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A shadow that was itself frozen (SIGSTOP: a long GC pause, a suspended VM) for longer than
 * takeoverDelay must not take over from a master that ran all along: the silence it measured is
 * its own. Two active nodes is the one outcome the pair exists to prevent.
 */
class ShadowPauseIT {

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

    private static String state(String home) throws Exception {
        return ok("status", "--home", home, "--json").json().path("state").asText();
    }

    @Test
    void aShadowResumingFromAPauseLongerThanTakeoverDelayRejoinsInsteadOfPromoting() throws Exception {
        PairedNodes pair = PairedNodes.start(fleet, "pause");
        pausedPid = pair.shadow().pid();
        ProcessPauser.pause(pausedPid);
        // the master drops a shadow silent for takeoverDelay (2 s): the pause is then longer than that
        await("the master notices the frozen shadow").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> ok("status", "--home", pair.masterHome(), "--json").json().path("state").asText()
                        .equals("ACTIVE_ALONE"));
        ProcessPauser.resume(pausedPid);
        pausedPid = 0;

        // the pair is whole again (whichever node then serves)...
        await("the pair is paired again").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> state(pair.masterHome()).equals("ACTIVE_PAIRED") || state(pair.shadowHome()).equals("ACTIVE_PAIRED"));
        // ...and it is still the master that had been running all along, in the same epoch
        JsonNode shadow = ok("status", "--home", pair.shadowHome(), "--json").json();
        assertThat(shadow.path("role").asText()).as("shadow after the pause: %s", shadow).isEqualTo("shadow");
        assertThat(shadow.path("epoch").asLong()).isEqualTo(1);
        JsonNode master = ok("status", "--home", pair.masterHome(), "--json").json();
        assertThat(master.path("role").asText()).isEqualTo("master");
        assertThat(master.path("epoch").asLong()).isEqualTo(1);
    }
}

package dev.understudy.dist;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.json.Json;
import dev.understudy.dist.bench.FailoverBenchmark;
import dev.understudy.dist.bench.Percentiles;
import dev.understudy.dist.testing.NodeProcess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The failover benchmark on real processes, small (3 crashes, 1 pause): the figures exist and are
 * consistent. No speed target is asserted (the machine is shared); one correctness bound is: a silent
 * master is never replaced before takeoverDelay minus one heartbeat.
 */
class FailoverBenchmarkIT {

    @Test
    void smallRunReportsSaneFigures() throws Exception {
        Path work = NodeProcess.newWorkDir("bench-failover");
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        FailoverBenchmark.Result r;
        try (PrintStream out = new PrintStream(progress, true, StandardCharsets.UTF_8)) {
            r = FailoverBenchmark.run(new FailoverBenchmark.Options(NodeProcess.launcher(), work, 3, 1, null, null), out);
        }
        String shown = progress.toString(StandardCharsets.UTF_8);
        assertThat(shown).contains("kill 1/3", "kill 3/3", "pause 1/1");
        assertThat(r.heartbeatInterval()).isEqualTo(Duration.ofMillis(200));
        assertThat(r.takeoverDelay()).isEqualTo(Duration.ofSeconds(2));
        sane(r.killToActive(), 3);
        sane(r.killToTraffic(), 3);
        sane(r.pauseToPromotion(), 1);
        assertThat(r.pauseToPromotion().p50()).as("no promotion before takeoverDelay - heartbeat")
                .isGreaterThanOrEqualTo(2000 - 200);

        JsonNode json = Json.tree(r.toJson());
        assertThat(json.path("killToActive").path("n").asInt()).isEqualTo(3);
        assertThat(json.path("killToTraffic").path("p99").asDouble()).isEqualTo(r.killToTraffic().p99());
        assertThat(json.path("pauseToPromotion").path("p50").asDouble()).isEqualTo(r.pauseToPromotion().p50());
        assertThat(json.path("takeoverDelayMillis").asLong()).isEqualTo(2000);
        assertThat(r.toText()).contains("kill -9 master -> shadow active", "kill -9 master -> traffic", "SIGSTOP master");
        System.out.println(r.toText());
    }

    private static void sane(Percentiles p, int n) {
        assertThat(p).isNotNull();
        assertThat(p.n()).isEqualTo(n);
        assertThat(p.p50()).isPositive().isLessThan(60_000);
        assertThat(p.p99()).isGreaterThanOrEqualTo(p.p50());
        assertThat(p.max()).isGreaterThanOrEqualTo(p.p99());
    }
}

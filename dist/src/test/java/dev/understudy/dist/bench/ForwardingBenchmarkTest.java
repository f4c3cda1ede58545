package dev.understudy.dist.bench;

import dev.understudy.dist.connector.DataPlaneTransport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.understudy.common.json.Json;
import org.junit.jupiter.api.Test;

/** The benchmark's plumbing on a tiny run; the figures themselves are not judged here. */
class ForwardingBenchmarkTest {

    @Test
    void tinyRunMeasuresBothPathsAndReportsEveryFigure() throws Exception {
        ForwardingBenchmark.Figures f = ForwardingBenchmark.run(new ForwardingBenchmark.Options(1, 2, 20));

        assertThat(f.directThroughputMBps()).isPositive();
        assertThat(f.mappedThroughputMBps()).isPositive();
        assertThat(f.directConnectionsPerSecond()).isPositive();
        assertThat(f.mappedConnectionsPerSecond()).isPositive();
        assertThat(f.throughputRatio()).isEqualTo(f.mappedThroughputMBps() / f.directThroughputMBps());
        assertThat(f.mappedConnectionP99Micros()).isGreaterThanOrEqualTo(f.mappedConnectionP50Micros());
        JsonNode json = Json.mapper().readTree(f.toJson());
        assertThat(json.path("mappedThroughputMBps").asDouble()).isEqualTo(f.mappedThroughputMBps());
        assertThat(json.path("connectionsPerRepetition").asInt()).isEqualTo(20);
        assertThat(f.toText()).contains("throughput median MB/s", "connections/s median");
        // the same run measures HAProxy (installed with the project's tools) and names the connector's transport
        assertThat(f.transport()).isEqualTo(DataPlaneTransport.describe());
        assertThat(f.haproxyMeasured()).as("haproxy on PATH").isTrue();
        assertThat(f.haproxyThroughputMBps()).isPositive();
        assertThat(f.haproxyConnectionsPerSecond()).isPositive();
        assertThat(f.throughputVsHaproxy()).isEqualTo(f.mappedThroughputMBps() / f.haproxyThroughputMBps());
        assertThat(f.toText()).contains("HAProxy (tcp mode, 1 thread, same run): throughput median");
    }

    @Test
    void optionsAreChecked() {
        assertThatThrownBy(() -> new ForwardingBenchmark.Options(0, 1, 1))
                .hasMessage("repetitions: 0 (expected: >= 1)");
    }
}

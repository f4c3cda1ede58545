package dev.understudy.dist.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A small run of the benchmarks: they complete and report sane figures (no timing assertions). */
class PushBenchmarkTest {

    @TempDir
    Path dir;

    @Test
    void pushBenchmarkMeasuresEveryChangeUntilDurableOnTheShadow() throws Exception {
        PushBenchmark.Result r = PushBenchmark.push(dir.resolve("push"), 50, 2000, 32);
        System.out.println("push: " + r);
        assertThat(r.latency().n()).isEqualTo(50);
        assertThat(r.latency().p50()).isPositive();
        assertThat(r.latency().p99()).isGreaterThanOrEqualTo(r.latency().p50());
        assertThat(r.changesPerSecond()).isPositive();
    }

    @Test
    void fullSyncBenchmarkTransfersEveryMapping() throws Exception {
        PushBenchmark.FullSyncResult r = PushBenchmark.fullSync(dir.resolve("full"), 3000, 2);
        System.out.println("fullsync: " + r);
        assertThat(r.transfer().n()).isEqualTo(2);
        assertThat(r.transfer().p50()).isPositive().isLessThanOrEqualTo(r.attach().p50());
        assertThat(r.documentBytes()).isGreaterThan(3000L * 50);
    }
}

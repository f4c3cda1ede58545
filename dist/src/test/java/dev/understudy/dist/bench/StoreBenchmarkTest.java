package dev.understudy.dist.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.understudy.common.clock.Clock;
import dev.understudy.common.config.ConfigCollection;
import dev.understudy.common.store.ConfigStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark measures real stores: small runs must leave exactly what they claim to have committed. */
class StoreBenchmarkTest {

    @TempDir
    Path tmp;

    @Test
    void commitRunCommitsEveryChangeDurablyFromEveryThread() throws Exception {
        StoreBenchmark.CommitResult r = StoreBenchmark.commits(tmp.resolve("c"), 40, 4, Clock.system());
        assertThat(r.changes()).isEqualTo(40);
        assertThat(r.threads()).isEqualTo(4);
        assertThat(r.changesPerSecond()).isPositive();
        assertThat(r.medianMillis()).isPositive().isLessThanOrEqualTo(r.p99Millis());
        assertThat(r.p99Millis()).isLessThanOrEqualTo(r.maxMillis());
        assertThat(r.toString()).contains("40 changes", "changes/s", "p99");
        try (ConfigStore s = ConfigStore.open(tmp.resolve("c"))) {
            assertThat(s.revision()).isEqualTo(40);
            assertThat(s.<Integer>read(d -> d.entries(ConfigCollection.SETTINGS).size())).isEqualTo(40);
        }
    }

    @Test
    void openRunBuildsTheStoreItTimes() throws Exception {
        StoreBenchmark.OpenResult r = StoreBenchmark.open(tmp.resolve("o"), 2_500, 1_000, 2, Clock.system());
        assertThat(r.openMillis()).hasSize(2);
        assertThat(r.maxMillis()).isGreaterThanOrEqualTo(r.medianMillis());
        assertThat(r.diskBytes()).isPositive();
        try (ConfigStore s = ConfigStore.open(tmp.resolve("o"))) {
            assertThat(s.revision()).isEqualTo(3);
            assertThat(s.<Integer>read(d -> d.mappings().size())).isEqualTo(2_500);
        }
    }

    @Test
    void refusesADirectoryThatIsNotEmpty() throws IOException {
        Files.writeString(tmp.resolve("x"), "keep me");
        assertThatThrownBy(() -> StoreBenchmark.commits(tmp, 10, 1)).isInstanceOf(IOException.class)
                .hasMessageContaining("not empty");
        assertThat(tmp.resolve("x")).hasContent("keep me");
    }
}

package dev.understudy.dist.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.understudy.common.alert.Alert;
import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.testing.FakeClock;
import dev.understudy.common.testing.TestCertificates;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateWatchTest {

    @TempDir
    Path dir;

    @Test
    void warnsThirtyDaysAheadEscalatesSevenDaysAheadAndResolvesWhenRenewed() throws Exception {
        AlertStore alerts = AlertStore.open(dir.resolve("alerts.json"), new FakeClock());
        var cert = TestCertificates.selfSigned("n").cert(); // valid for 30 days from now
        Instant notAfter = cert.getNotAfter().toInstant();

        CertificateWatch.check(alerts, notAfter.minus(Duration.ofDays(60)), "node", cert, "tls/node.crt");
        assertThat(alerts.list(false)).isEmpty();

        CertificateWatch.check(alerts, notAfter.minus(Duration.ofDays(20)), "node", cert, "tls/node.crt");
        List<Alert> open = alerts.list(false);
        assertThat(open).singleElement().satisfies(a -> {
            assertThat(a.category()).isEqualTo(AlertCategory.CERT_EXPIRING);
            assertThat(a.severity()).isEqualTo(Severity.WARNING);
            assertThat(a.message()).contains("in 20 days").contains("renew-cert");
        });

        CertificateWatch.check(alerts, notAfter.plus(Duration.ofDays(1)), "node", cert, "tls/node.crt");
        assertThat(alerts.list(false)).singleElement().satisfies(a -> {
            assertThat(a.severity()).isEqualTo(Severity.ERROR);
            assertThat(a.message()).contains("expired on");
        });

        var renewed = TestCertificates.selfSigned("n2").cert();
        CertificateWatch.check(alerts, renewed.getNotAfter().toInstant().minus(Duration.ofDays(60)), "node", renewed, "tls/node.crt");
        assertThat(alerts.list(false)).isEmpty();
    }
}

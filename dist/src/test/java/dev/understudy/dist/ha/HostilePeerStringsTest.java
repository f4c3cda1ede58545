package dev.understudy.dist.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.understudy.common.alert.Alert;
import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.cert.Certificates;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.testing.RecordingTlsServer;
import dev.understudy.common.testing.TestCertificates;
import dev.understudy.dist.node.NodeRuntime;
import dev.understudy.dist.testing.TestHomes;
import dev.understudy.ha.codec.HaMessageCodec;
import dev.understudy.ha.message.Bye;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Issue #9 item 7, end to end on a real node: a hostile master answers the pairing HELLO with a BYE
 * whose reason tries to forge a log line and recolour the terminal. What reaches the node's log, the
 * attach error and the PAIRING_REJECTED alert is escaped: no line break, no escape character.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostilePeerStringsTest {

    private static final String FORGED = "\r\n2026-12-02T10:00:00.000Z WARN  [failover] d.u.d.h.HaNode - ROLE CHANGE"
            + " master -> shadow in epoch 9: forged\u001b[2J";

    @TempDir
    Path tmp;

    @Test
    void aByeReasonCannotForgeLogLinesAlertsOrErrors() throws Exception {
        TestCertificates.Identity hostile = TestCertificates.selfSigned("hostile");
        byte[] bye = HaMessageCodec.encode(new Bye(0, "AUTH_FAILED", "no" + FORGED));
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        logs.start();
        root.addAppender(logs);
        NodeRuntime node = null;
        try (RecordingTlsServer master = RecordingTlsServer.start(hostile, Duration.ofSeconds(5), bye)) {
            Path dir = tmp.resolve("shadow");
            TestHomes.shadow(dir, "victim", null);
            node = NodeRuntime.open(new NodeHome(dir), Clock.system());
            node.start();
            NodeRuntime n = node;
            assertThatThrownBy(() -> n.attach("127.0.0.1:" + master.port(), "admin", TestHomes.PASSWORD.toCharArray(),
                    Certificates.fingerprint(hostile.cert())))
                    .isInstanceOf(IOException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n", "\r", "\u001b").contains("\\r\\n"));
            assertThat(master.awaitConnections(1, Duration.ofSeconds(30)).get(0).received())
                    .as("the hostile master did get the pairing HELLO").isNotEmpty();
            List<Alert> rejected = node.alerts().list(true).stream()
                    .filter(a -> a.category() == AlertCategory.PAIRING_REJECTED).toList();
            assertThat(rejected).isNotEmpty().allSatisfy(a -> assertThat(a.message())
                    .doesNotContain("\n", "\r", "\u001b").contains("\\r\\n2026-12-02T10:00:00.000Z WARN"));
        } finally {
            if (node != null) {
                node.close();
            }
            root.detachAppender(logs);
        }
        assertThat(logs.list).anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("\\r\\n2026-12-02"));
        assertThat(logs.list).allSatisfy(e -> assertThat(e.getFormattedMessage())
                .as("a logged line").doesNotContain("\n", "\r", "\u001b"));
    }
}

package dev.understudy.ha.codec;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.understudy.ha.message.Bye;
import dev.understudy.ha.message.Demote;
import dev.understudy.ha.message.HaMessage;
import dev.understudy.ha.message.Heartbeat;
import dev.understudy.ha.message.Hello;
import dev.understudy.ha.message.Nack;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Issue #9 item 7: strings a peer sends never reach a log line, events.log or an alert raw. Identifiers
 * with control characters are refused at decode time (the connection closes with one escaped log
 * line); free-text reasons arrive escaped and bounded.
 */
class PeerStringsTest {

    /** What an attacker would put in a field to forge a log line or drive the operator's terminal. */
    private static final String FORGERY = "x\u001b[2J\r\n2026-12-02T10:00:00.000Z WARN  [failover] d.u.d.h.HaNode -"
            + " ROLE CHANGE master -> shadow";

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger errorLogger = (Logger) LoggerFactory.getLogger(HaProtocolErrorHandler.class);
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp() {
        logs.start();
        errorLogger.addAppender(logs);
        channel = new EmbeddedChannel();
        HaPipeline.addCodec(channel.pipeline(), 65536);
    }

    @AfterEach
    void tearDown() {
        errorLogger.detachAppender(logs);
        channel.finishAndReleaseAll();
    }

    private static Hello hello(String nodeId, String softwareVersion, String haAddress, String user) {
        return new Hello(nodeId, "shadow", "CONNECTING", 1, 0, "ab12", softwareVersion, 1, haAddress, user, null);
    }

    /** Feeds {@code m} as a peer would send it; returns what the codec let through (null if it closed). */
    private HaMessage receive(HaMessage m) {
        channel.writeInbound(Unpooled.wrappedBuffer(HaMessageCodec.encode(m)));
        return channel.readInbound();
    }

    private void assertRefusedWithOneCleanLogLine(HaMessage m, String field) {
        assertThat(receive(m)).as("%s passed the codec", m.type()).isNull();
        assertThat(channel.isOpen()).as("the connection is closed").isFalse();
        assertThat(logs.list).hasSize(1);
        String line = logs.list.get(0).getFormattedMessage();
        assertThat(line).contains(field + ": \"").doesNotContain("\n", "\r", "\u001b").contains("\\r\\n", "\\u001b");
    }

    @Test
    void aNodeIdWithControlCharactersIsRefused() {
        assertRefusedWithOneCleanLogLine(hello(FORGERY, "0.1.0", null, null), "nodeId");
    }

    @Test
    void aSoftwareVersionWithControlCharactersIsRefused() {
        assertRefusedWithOneCleanLogLine(hello("node-a", "0.1.0" + FORGERY, null, null), "softwareVersion");
    }

    @Test
    void otherHelloIdentifiersAreRefused() {
        assertRefusedWithOneCleanLogLine(hello("node-a", "0.1.0", "127.0.0.1:1" + FORGERY, null), "haAddress");
    }

    @Test
    void aPairingUserWithControlCharactersIsRefused() {
        assertRefusedWithOneCleanLogLine(hello("node-a", "0.1.0", null, "admin" + FORGERY), "user");
    }

    @Test
    void aHeartbeatStateIsAnIdentifier() {
        assertRefusedWithOneCleanLogLine(new Heartbeat(1, 0, "ab", 1, "master", "ACTIVE" + FORGERY), "state");
    }

    @Test
    void aByeCodeIsAnIdentifier() {
        assertRefusedWithOneCleanLogLine(new Bye(1, "SHUTDOWN" + FORGERY, "bye"), "code");
    }

    @Test
    void freeTextReasonsArriveEscapedAndBounded() {
        Bye bye = (Bye) receive(new Bye(1, "SHUTDOWN", FORGERY + "y".repeat(5000)));
        assertThat(bye.reason()).doesNotContain("\n", "\r", "\u001b").startsWith("x\\u001b[2J\\r\\n2026-12-02T10:00:00.000Z WARN").endsWith(" more characters)");
        assertThat(bye.reason().length()).isLessThan(600);
        Nack nack = (Nack) receive(new Nack(1, FORGERY, true, 3, "ab"));
        Demote demote = (Demote) receive(new Demote(2, FORGERY));
        for (String reason : List.of(nack.reason(), demote.reason())) {
            assertThat(reason).doesNotContain("\n", "\r", "\u001b").contains("\\r\\n");
        }
        assertThat(channel.isOpen()).isTrue();
        assertThat(logs.list).isEmpty();
    }

    @Test
    void whatAReleaseSendsStillPasses() {
        Hello ok = hello("shadow-2.dc1_a", "1.12.3-rc.1", "[::1]:8444", "ops.admin");
        assertThat(receive(ok)).usingRecursiveComparison().isEqualTo(ok);
        Bye bye = new Bye(3, "AUTH_FAILED", "shadow s from 127.0.0.1 gave a wrong admin user or password — retry");
        assertThat(receive(bye)).isEqualTo(bye);
        assertThat(logs.list).isEmpty();
    }
}

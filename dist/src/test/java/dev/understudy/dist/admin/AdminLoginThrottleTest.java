package dev.understudy.dist.admin;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.auth.LoginGuard;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.home.NodeHome;
import dev.understudy.common.json.Json;
import dev.understudy.dist.node.NodeRuntime;
import dev.understudy.dist.testing.TestHomes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Failed logins over real HTTPS: each test has its own node, so its throttle starts empty. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class AdminLoginThrottleTest {

    @TempDir
    Path dir;
    NodeRuntime node;
    HttpClient client;

    @BeforeEach
    void start() throws Exception {
        TestHomes.master(dir.resolve("m"), "throttled");
        node = NodeRuntime.open(new NodeHome(dir.resolve("m")), Clock.system());
        node.start();
        client = HttpClient.newBuilder().sslContext(AdminServerTest.trusting(node.home().nodeCrt()))
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
    }

    private HttpResponse<String> status(String user, String password, boolean console) throws Exception {
        String basic = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + node.adminPort() + "/api/v1/status"))
                .header("Authorization", "Basic " + basic).timeout(Duration.ofSeconds(30));
        if (console) {
            b.header("X-Requested-With", "XMLHttpRequest");
        }
        return client.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theSixthWrongPasswordWithinAMinuteIsRefusedEvenIfRightButTheTokenStillWorks() throws Exception {
        for (int i = 1; i <= 5; i++) {
            // unknown user and wrong password count alike
            HttpResponse<String> r = status(i % 2 == 0 ? "nobody" : "admin", "wrong-" + i, i > 3);
            assertThat(r.statusCode()).as("attempt %d", i).isEqualTo(401);
        }
        HttpResponse<String> sixth = status("admin", TestHomes.PASSWORD, false);
        assertThat(sixth.statusCode()).as("the right password, but from a locked-out address").isEqualTo(429);
        assertThat(sixth.headers().firstValue("Retry-After")).hasValueSatisfying(v ->
                assertThat(Long.parseLong(v)).isBetween(1L, 2L));
        assertThat(Json.tree(sixth.body()).path("error").asText())
                .startsWith("authorization: too many failed logins from 127.0.0.1 (expected: wait ");
        assertThat(sixth.headers().firstValue("WWW-Authenticate")).isEmpty();

        // the local CLI's token is not throttled: a guesser on the same host cannot lock the operator out
        HttpResponse<String> token = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + node.adminPort()
                + "/api/v1/status")).header("Authorization", "Bearer " + node.adminToken()).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(token.statusCode()).isEqualTo(200);
        assertThat(node.alerts().open(AlertCategory.AUTH_FAILURES, "")).as("6 attempts are no burst").isEmpty();
    }

    @Test
    void aBurstRaisesAuthFailuresNamingTheSourceButNotThePassword() throws Exception {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger guardLog = (Logger) LoggerFactory.getLogger(LoginGuard.class);
        logs.start();
        guardLog.addAppender(logs);
        try {
            for (int i = 0; i < 10; i++) {
                int code = status("admin", "secret-guess-" + i, true).statusCode();
                assertThat(code).isIn(401, 429);
            }
        } finally {
            guardLog.detachAppender(logs);
        }
        // every checked failure at WARN with the source, then one line for the lockout's first refusal
        List<ILoggingEvent> warnings = logs.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
        assertThat(warnings).filteredOn(e -> e.getFormattedMessage().startsWith("failed login on the web console from 127.0.0.1"))
                .hasSizeBetween(5, 6);
        assertThat(warnings).filteredOn(e -> e.getFormattedMessage().contains("refused without checking")).hasSize(1);
        assertThat(logs.list).noneMatch(e -> e.getFormattedMessage().contains("secret-guess"));
        var alert = node.alerts().open(AlertCategory.AUTH_FAILURES, "").orElseThrow();
        assertThat(alert.message()).startsWith("10 failed or refused logins within 60 s, the latest on the web console from 127.0.0.1")
                .doesNotContain("secret-guess");
        assertThat(alert.severity().name()).isEqualTo("WARNING");
    }
}

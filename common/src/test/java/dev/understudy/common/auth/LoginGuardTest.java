package dev.understudy.common.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.understudy.common.alert.Alert;
import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.testing.FakeClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoginGuardTest {

    @TempDir
    Path dir;

    @Test
    void aLockedOutSourceRunsNoCheckAndABurstRaisesOneAlertThatResolvesAfterIt() throws Exception {
        FakeClock clock = new FakeClock();
        AlertStore alerts = AlertStore.open(dir.resolve("alerts.json"), clock);
        LoginGuard guard = LoginGuard.standard(clock, alerts);
        AtomicInteger hashes = new AtomicInteger();
        for (int i = 0; i < 5; i++) {
            LoginGuard.Result r = guard.attempt(LoginGuard.Door.ADMIN_API, "192.0.2.7", "admin", () -> {
                hashes.incrementAndGet();
                return false;
            });
            assertThat(r.outcome()).isEqualTo(LoginGuard.Outcome.DENIED);
        }
        LoginGuard.Result locked = guard.attempt(LoginGuard.Door.ADMIN_API, "192.0.2.7", "admin", () -> {
            hashes.incrementAndGet();
            return true; // even the right password is not looked at
        });
        assertThat(locked.outcome()).isEqualTo(LoginGuard.Outcome.THROTTLED);
        assertThat(locked.retryAfterSeconds()).isEqualTo(2);
        assertThat(hashes).as("the refused attempt ran no hash").hasValue(5);
        assertThat(alerts.open(AlertCategory.AUTH_FAILURES, "")).as("6 attempts are no burst yet").isEmpty();

        for (int i = 0; i < 4; i++) {
            guard.attempt(LoginGuard.Door.HA_PAIRING, "192.0.2.7", "admin\u001b[2J", () -> false);
        }
        Alert a = alerts.open(AlertCategory.AUTH_FAILURES, "").orElseThrow();
        assertThat(a.severity()).isEqualTo(Severity.WARNING);
        assertThat(a.message()).startsWith("10 failed or refused logins within 60 s, the latest on the HA pairing from 192.0.2.7")
                .contains("user 'admin?[2J'").doesNotContain("\u001b");

        guard.tick();
        assertThat(alerts.open(AlertCategory.AUTH_FAILURES, "")).as("still within the burst").isPresent();
        clock.advance(Duration.ofSeconds(61));
        guard.tick();
        assertThat(alerts.open(AlertCategory.AUTH_FAILURES, "")).as("the burst is over").isEmpty();
        assertThat(alerts.list(true)).filteredOn(x -> x.category() == AlertCategory.AUTH_FAILURES)
                .singleElement().satisfies(x -> assertThat(x.resolved()).isTrue());

        // the lockout (2 s, long over) let the source try again; a right password then clears it
        assertThat(guard.attempt(LoginGuard.Door.CONSOLE, "192.0.2.7", "admin", () -> true).ok()).isTrue();
        assertThat(guard.throttle().check("192.0.2.7", clock.nanoTime()).failures()).isZero();
    }

    /** Guessers on many connections at once get no more checks than one guesser: the lockout holds under concurrency. */
    @Test
    void concurrentGuessesFromOneSourceGetOnlyTheFreeChecks() throws Exception {
        FakeClock clock = new FakeClock(); // time stands still: the first lockout never ends
        AlertStore alerts = AlertStore.open(dir.resolve("alerts.json"), clock);
        LoginGuard guard = LoginGuard.standard(clock, alerts);
        AtomicInteger hashes = new AtomicInteger();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        java.util.List<java.util.concurrent.Future<?>> all = new java.util.ArrayList<>();
        for (int t = 0; t < 8; t++) {
            all.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < 4; i++) {
                    guard.attempt(LoginGuard.Door.ADMIN_API, "192.0.2.9", "admin", () -> {
                        hashes.incrementAndGet();
                        java.util.concurrent.locks.LockSupport.parkNanos(5_000_000); // a slow hash
                        return false;
                    });
                }
                return null;
            }));
        }
        start.countDown();
        for (var f : all) {
            f.get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(hashes).as("checks of 32 concurrent guesses").hasValue(LoginThrottle.Policy.DEFAULT.freeFailures());
    }
}

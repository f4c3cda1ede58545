package dev.understudy.common.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The throttle alone, driven by a fake monotonic time (plain nanosecond values). */
class LoginThrottleTest {

    private static final long S = 1_000_000_000L;
    private final LoginThrottle t = new LoginThrottle(LoginThrottle.Policy.DEFAULT);
    private long now = 1_000 * S;

    private void fail(String source, int times) {
        for (int i = 0; i < times; i++) {
            assertThat(t.check(source, now).allowed()).as("attempt %d", i + 1).isTrue();
            t.failed(source, now);
        }
    }

    @Test
    void theSixthWrongPasswordWithinAMinuteIsRefusedUnchecked() {
        fail("10.0.0.1", 4);
        assertThat(t.check("10.0.0.1", now).allowed()).as("4 failures: still free").isTrue();
        LoginThrottle.Failure fifth = t.failed("10.0.0.1", now);
        assertThat(fifth.failures()).isEqualTo(5);
        assertThat(fifth.lockedForNanos()).isEqualTo(2 * S);
        LoginThrottle.Verdict sixth = t.check("10.0.0.1", now + S);
        assertThat(sixth.allowed()).isFalse();
        assertThat(sixth.retryAfterSeconds()).isEqualTo(1);
        assertThat(sixth.firstRefusal()).isTrue();
        assertThat(t.check("10.0.0.1", now + S).firstRefusal()).as("only the first refusal is logged").isFalse();
        assertThat(t.check("10.0.0.2", now + S).allowed()).as("another address is not affected").isTrue();
    }

    @Test
    void eachFurtherFailureDoublesTheLockoutUpToTheCap() {
        fail("a", 5);
        long expected = 2 * S;
        for (int i = 0; i < 12; i++) {
            now += expected; // wait out the lockout exactly
            assertThat(t.check("a", now).allowed()).as("after waiting %d s", expected / S).isTrue();
            LoginThrottle.Failure f = t.failed("a", now);
            expected = Math.min(expected * 2, Duration.ofMinutes(5).toNanos());
            assertThat(f.lockedForNanos()).as("failure %d", f.failures()).isEqualTo(expected);
        }
        assertThat(t.check("a", now + expected - 1).allowed()).isFalse();
        assertThat(t.check("a", now + expected).allowed()).isTrue();
    }

    @Test
    void aSuccessOrAQuietWindowForgetsTheSource() {
        fail("a", 4);
        t.succeeded("a");
        fail("a", 4);
        assertThat(t.check("a", now).failures()).as("counted again from zero").isEqualTo(4);
        now += 61 * S;
        assertThat(t.check("a", now).failures()).as("quiet for more than the window").isZero();
        fail("a", 5);
        now += 3 * S; // lockout over, but within the window: the count stays, the next failure locks longer
        assertThat(t.failed("a", now).lockedForNanos()).isEqualTo(4 * S);
    }

    @Test
    void memoryIsBoundedAndNewSourcesShareTheOverflowEntry() {
        LoginThrottle small = new LoginThrottle(new LoginThrottle.Policy(2, Duration.ofSeconds(60), Duration.ofSeconds(2),
                Duration.ofMinutes(5), 3, 10));
        for (int i = 0; i < 3; i++) {
            small.failed("10.0.0." + i, now);
        }
        assertThat(small.trackedSources()).isEqualTo(3);
        // a table full of live sources: every further address counts as one
        small.failed("10.1.0.1", now);
        small.failed("10.1.0.2", now);
        assertThat(small.overflowing()).isTrue();
        assertThat(small.trackedSources()).isEqualTo(4);
        assertThat(small.check("10.1.0.3", now).allowed()).as("a new address from the locked overflow").isFalse();
        assertThat(small.check("10.0.0.0", now).allowed()).as("a tracked address keeps its own entry").isTrue();
        for (int i = 0; i < 1000; i++) {
            small.failed("172.16." + (i / 256) + "." + (i % 256), now);
        }
        assertThat(small.trackedSources()).isEqualTo(4);
        // once the entries expire, room is made for individual addresses again
        now += 10 * 60 * S;
        small.failed("10.2.0.1", now);
        assertThat(small.check("10.2.0.1", now).failures()).isEqualTo(1);
        assertThat(small.trackedSources()).isEqualTo(1);
    }

    @Test
    void aBurstIsTenFailedOrRefusedAttemptsWithinTheWindowAndEndsAfterIt() {
        fail("a", 5);
        assertThat(t.burst(now)).isFalse();
        for (int i = 0; i < 4; i++) {
            assertThat(t.check("a", now).allowed()).isFalse(); // refusals count
        }
        assertThat(t.burst(now)).isFalse();
        LoginThrottle.Failure f = t.failed("b", now);
        assertThat(f.burstStarted()).isTrue();
        assertThat(t.burst(now)).isTrue();
        assertThat(t.failed("c", now).burstStarted()).as("started once").isFalse();
        assertThat(t.recentAttempts(now)).isEqualTo(10);
        assertThat(t.burst(now + 60 * S)).isTrue();
        assertThat(t.burst(now + 61 * S)).isFalse();
    }
}

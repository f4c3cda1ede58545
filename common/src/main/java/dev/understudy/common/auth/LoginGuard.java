package dev.understudy.common.auth;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.clock.Clock;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place every login door of a node goes through: asks the {@link LoginThrottle} before the
 * password is checked (a refused attempt runs no hash), logs every failure at WARN with its source
 * (never the password), and keeps the AUTH_FAILURES alert open exactly while a burst goes on.
 * {@link #tick()} is called every few seconds to resolve the alert once the burst is over.
 */
public final class LoginGuard {

    private static final Logger log = LoggerFactory.getLogger(LoginGuard.class);

    /** Where a login came in; shown in logs and the alert. */
    public enum Door {
        ADMIN_API("admin API"), CONSOLE("web console"), HA_PAIRING("HA pairing");

        private final String shown;

        Door(String shown) {
            this.shown = shown;
        }

        @Override
        public String toString() {
            return shown;
        }
    }

    /** The answer of an attempt. */
    public enum Outcome { OK, DENIED, THROTTLED }

    /** An outcome and, when throttled, the seconds to wait. */
    public record Result(Outcome outcome, long retryAfterSeconds) {
        static final Result OK = new Result(Outcome.OK, 0);
        static final Result DENIED = new Result(Outcome.DENIED, 0);

        public boolean ok() {
            return outcome == Outcome.OK;
        }
    }

    private final Object[] stripes = new Object[64];
    private final LoginThrottle throttle;
    private final Clock clock;
    private final AlertStore alerts;

    public LoginGuard(LoginThrottle throttle, Clock clock, AlertStore alerts) {
        this.throttle = throttle;
        this.clock = clock;
        this.alerts = alerts;
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new Object();
        }
    }

    /** A guard with the default policy. */
    public static LoginGuard standard(Clock clock, AlertStore alerts) {
        return new LoginGuard(new LoginThrottle(LoginThrottle.Policy.DEFAULT), clock, alerts);
    }

    public LoginThrottle throttle() {
        return throttle;
    }

    /**
     * Runs {@code check} (the password hash) for {@code user} from {@code source} unless the source is
     * locked out; records the outcome.
     */
    public Result attempt(Door door, String source, String user, BooleanSupplier check) {
        // one attempt of a source at a time: otherwise concurrent guesses all pass the check while the first
        // failures are still hashing, and a guesser with N connections gets N - 1 extra checks per lockout
        synchronized (stripes[Math.floorMod(source.hashCode(), stripes.length)]) {
            return attemptAlone(door, source, user, check);
        }
    }

    private Result attemptAlone(Door door, String source, String user, BooleanSupplier check) {
        LoginThrottle.Verdict v = throttle.check(source, clock.nanoTime());
        if (!v.allowed()) {
            if (v.firstRefusal()) {
                log.warn("login on the {} from {} refused without checking: {} failed logins from that address; "
                        + "it may try again in {} s", door, source, v.failures(), v.retryAfterSeconds());
            }
            raiseOnBurstStart(door, source, user);
            return new Result(Outcome.THROTTLED, v.retryAfterSeconds());
        }
        if (check.getAsBoolean()) {
            throttle.succeeded(source);
            return Result.OK;
        }
        failed(door, source, "user '" + printable(user) + "'");
        return Result.DENIED;
    }

    /**
     * Records a failure that needed no slow check (e.g. a wrong admin token: the token is long and
     * random, so it is always compared, even for a locked-out source).
     */
    public void failedWithoutCheck(Door door, String source, String what) {
        failed(door, source, what);
    }

    /** Resolves the AUTH_FAILURES alert once no burst goes on; forgets sources that are quiet again. */
    public void tick() {
        long now = clock.nanoTime();
        throttle.purge(now);
        if (!throttle.burst(now) && alerts.open(AlertCategory.AUTH_FAILURES, "").isPresent()) {
            alerts.resolve(AlertCategory.AUTH_FAILURES, null);
        }
    }

    private void failed(Door door, String source, String what) {
        long now = clock.nanoTime();
        LoginThrottle.Failure f = throttle.failed(source, now);
        if (f.lockedForNanos() > 0) {
            log.warn("failed login on the {} from {} for {}: wrong user or password ({} failed logins from that address; "
                    + "it is locked out for {} s)", door, source, what, f.failures(), (f.lockedForNanos() + 999_999_999L) / 1_000_000_000L);
        } else {
            log.warn("failed login on the {} from {} for {}: wrong user or password ({} failed logins from that address)",
                    door, source, what, f.failures());
        }
        if (throttle.burst(now)) {
            raise(door, source, what, now);
        }
    }

    private void raiseOnBurstStart(Door door, String source, String user) {
        long now = clock.nanoTime();
        // refusals are cheap and may come fast: only the one that starts a burst writes the alert
        if (throttle.burst(now) && alerts.open(AlertCategory.AUTH_FAILURES, "").isEmpty()) {
            raise(door, source, "user '" + printable(user) + "'", now);
        }
    }

    private void raise(Door door, String source, String what, long now) {
        LoginThrottle.Policy p = throttle.policy();
        alerts.raise(Severity.WARNING, AlertCategory.AUTH_FAILURES, "", throttle.recentAttempts(now)
                + " failed or refused logins within " + p.window().toSeconds() + " s, the latest on the " + door + " from "
                + source + " for " + what + ". If they are not yours, block that address and change the admin password if it"
                + " may be known; an address is locked out after " + p.freeFailures() + " failures (for up to "
                + p.maxLockout().toMinutes() + " min). This alert resolves once the attempts stop.");
    }

    /** A user name as it may appear in a log line: printable ASCII only, at most 64 characters. */
    static String printable(String user) {
        if (user == null) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < user.length() && b.length() < 64; i++) {
            char c = user.charAt(i);
            b.append(c >= 0x20 && c < 0x7f && c != '\'' ? c : '?');
        }
        return user.length() > 64 ? b + "..." : b.toString();
    }
}

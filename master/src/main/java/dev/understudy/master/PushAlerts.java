package dev.understudy.master;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.alert.AlertStore;
import dev.understudy.common.alert.Severity;
import dev.understudy.common.clock.Clock;
import java.time.Instant;

/**
 * Push alerts as operators know them: every failed or unacknowledged push raises (or bumps) one
 * PUSH_FAILED error with the recommended action; when the shadow has caught up again, the errors
 * are resolved and replaced by one WARNING that there had been trouble before.
 */
final class PushAlerts {

    static final String ERROR_KEY = "shadow";
    static final String RECOVERED_KEY = "recovered";

    private final AlertStore alerts;
    private final Clock clock;
    private long failures;
    private long firstFailureMillis = -1;

    PushAlerts(AlertStore alerts, Clock clock) {
        this.alerts = alerts;
        this.clock = clock;
        // a restart must not forget an open push error: it is still unresolved on disk
        alerts.open(AlertCategory.PUSH_FAILED, ERROR_KEY).ifPresent(a -> {
            failures = a.count();
            firstFailureMillis = Instant.parse(a.firstSeen()).toEpochMilli();
        });
    }

    synchronized void failed(String shadow, String what) {
        failures++;
        if (firstFailureMillis < 0) {
            firstFailureMillis = clock.currentTimeMillis();
        }
        alerts.raise(Severity.ERROR, AlertCategory.PUSH_FAILED, ERROR_KEY,
                "Configuration push to shadow " + shadow + " failed: " + what + ". The master retries with backoff;"
                        + " check that the shadow is running and reachable (`understudy status` on both nodes)."
                        + " Until it catches up, a failover would lose the changes it lacks.");
    }

    /** The shadow acknowledged the master's head: resolve open errors and leave one warning. */
    synchronized void caughtUp(String shadow, long revision) {
        if (failures == 0) {
            return;
        }
        alerts.resolve(AlertCategory.PUSH_FAILED, ERROR_KEY);
        alerts.raise(Severity.WARNING, AlertCategory.PUSH_FAILED, RECOVERED_KEY,
                "Pushes to shadow " + shadow + " had failed " + failures + " time(s) since "
                        + Instant.ofEpochMilli(firstFailureMillis) + "; the shadow has caught up at revision " + revision
                        + ". No action needed unless it recurs; acknowledge this alert once reviewed.");
        failures = 0;
        firstFailureMillis = -1;
    }

    /** Names the revisions after {@code acked} up to {@code head} ({@code acked < 0}: unknown, only the head). */
    static String behind(long acked, long head) {
        if (acked < 0 || acked >= head - 1) {
            return "revision " + head;
        }
        return "revisions " + (acked + 1) + ".." + head + " (" + (head - acked) + " revisions)";
    }

    synchronized boolean failing() {
        return failures > 0;
    }

    synchronized long failures() {
        return failures;
    }
}

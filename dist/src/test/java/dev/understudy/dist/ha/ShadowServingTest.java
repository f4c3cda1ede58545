package dev.understudy.dist.ha;

import static org.assertj.core.api.Assertions.assertThat;

import dev.understudy.common.config.DataPlaneMode;
import dev.understudy.common.testing.FakeClock;
import dev.understudy.ha.failover.FailoverTimings;
import dev.understudy.ha.failover.HaState;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The active-active shadow's serving decision on a fake clock. */
class ShadowServingTest {

    private static final FailoverTimings T = FailoverTimings.of(Duration.ofMillis(200), Duration.ofSeconds(2), Duration.ofSeconds(2));
    private static final DataPlaneMode AA = DataPlaneMode.ACTIVE_ACTIVE;
    private static final long BEAT = 200_000_000L;

    private final FakeClock clock = new FakeClock();
    private ShadowServing s = ShadowServing.initial();

    private ShadowServing step(HaState state, boolean heard, long gap) {
        s = s.step(AA, state, heard, gap, clock.nanoTime(), T);
        return s;
    }

    @Test
    void activeStandbyNeverServesOnTheShadow() {
        s = s.step(DataPlaneMode.ACTIVE_STANDBY, HaState.STANDBY, true, BEAT, clock.nanoTime(), T);
        assertThat(s.serving()).isFalse();
        assertThat(s.reason()).contains("active-standby");
    }

    @Test
    void servesOnlyOnceInSyncAndNotWhileSyncing() {
        assertThat(step(HaState.CONNECTING, false, BEAT).serving()).isFalse();
        assertThat(step(HaState.SYNCING, true, BEAT).serving()).isFalse();
        assertThat(s.reason()).contains("out of sync").contains("SYNCING");
        assertThat(step(HaState.STANDBY, true, BEAT).serving()).isTrue();
    }

    @Test
    void aShortLagKeepsServingAndALongOneStopsUntilBackInSync() {
        step(HaState.STANDBY, true, BEAT);
        assertThat(step(HaState.LAGGING, true, BEAT).serving()).isTrue();
        clock.advance(Duration.ofMillis(1999));
        assertThat(step(HaState.LAGGING, true, BEAT).serving()).isTrue();
        clock.advance(Duration.ofMillis(1));
        assertThat(step(HaState.LAGGING, false, BEAT).serving()).isFalse();
        assertThat(s.reason()).contains("for 2000 ms").contains("not serving until back in sync");
        clock.advance(Duration.ofSeconds(10));
        assertThat(step(HaState.SYNCING, true, BEAT).serving()).isFalse();
        assertThat(step(HaState.STANDBY, true, BEAT).serving()).isTrue();
        // back in sync resets the clock: a new lag gets a whole takeoverDelay again
        clock.advance(Duration.ofMillis(500));
        step(HaState.LAGGING, true, BEAT);
        clock.advance(Duration.ofMillis(1500));
        assertThat(step(HaState.LAGGING, true, BEAT).serving()).isTrue();
    }

    @Test
    void anOwnStallStopsAtOnceAndWaitsForTheMasterToBeHeardAgain() {
        step(HaState.STANDBY, true, BEAT);
        clock.advance(Duration.ofSeconds(3));
        // the first event after the pause: still STANDBY in the machine, but nothing from the master yet
        assertThat(step(HaState.STANDBY, false, T.takeover() + 1).serving()).isFalse();
        assertThat(s.reason()).contains("paused");
        assertThat(step(HaState.STANDBY, false, BEAT).serving()).isFalse();
        assertThat(step(HaState.STANDBY, true, BEAT).serving()).isTrue();
    }

    @Test
    void aStallShorterThanTakeoverDelayDoesNotStop() {
        step(HaState.STANDBY, true, BEAT);
        assertThat(step(HaState.STANDBY, false, T.takeover() - 1).serving()).isTrue();
    }

    @Test
    void aPromotedShadowHandsServingToTheMasterSide() {
        step(HaState.STANDBY, true, BEAT);
        assertThat(step(HaState.SUSPECT, false, BEAT).serving()).isTrue();
        assertThat(step(HaState.PROMOTING, false, BEAT).serving()).isTrue();
        assertThat(step(HaState.ACTIVE_ALONE, false, BEAT).serving()).isFalse();
        assertThat(s.reason()).startsWith("master");
    }
}

package dev.understudy.ha.failover;

import static dev.understudy.ha.failover.HaState.ACTIVE_ALONE;
import static dev.understudy.ha.failover.HaState.ACTIVE_PAIRED;
import static dev.understudy.ha.failover.HaState.CONNECTING;
import static dev.understudy.ha.failover.HaState.DEMOTING;
import static dev.understudy.ha.failover.HaState.STANDBY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.understudy.common.home.Role;
import dev.understudy.ha.failover.FailoverMachine.Transition;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The stall hold in the pure core: time is the {@code now} each step is given, nothing else. */
class StallHoldTest {

    static final FailoverTimings T = FailoverTimings.of(Duration.ofMillis(200), Duration.ofSeconds(2), Duration.ofSeconds(2));
    static final long MS = 1_000_000L;
    static final long T0 = 1_000_000 * MS;

    /** A paired master serving alone whose loop last ran at T0. */
    static FailoverState pairedMaster(HaState st) {
        return new FailoverState(st, 5, "n", true, st == ACTIVE_PAIRED, st == ACTIVE_PAIRED, T0, FailoverState.NEVER,
                T0 + 10_000 * MS, 0, 0, false, "test").ran(T0);
    }

    static Transition step(FailoverState s, FailoverEvent e, long now) {
        return FailoverMachine.step(s, e, T, now);
    }

    @Test
    void aShortGapHoldsNothingAndOnlyMovesTheLastRun() {
        Transition t = step(pairedMaster(ACTIVE_ALONE), new FailoverEvent.LoopRan(), T0 + 50 * MS);
        assertThat(t.actions()).isEmpty();
        assertThat(t.next().held()).isFalse();
        assertThat(t.next().lastRun()).isEqualTo(T0 + 50 * MS);
        assertThat(t.next().serving()).isTrue();
        assertThat(t.next().acceptsWrites()).isTrue();
    }

    @Test
    void aGapOfTakeoverDelayStopsServingAndChecksThePeerThenACleanCheckServesAgain() {
        Transition held = step(pairedMaster(ACTIVE_ALONE), new FailoverEvent.LoopRan(), T0 + 2_500 * MS);
        assertThat(held.actions()).hasSize(2);
        assertThat(held.actions().get(0)).isInstanceOf(FailoverAction.StopServing.class);
        assertThat(((FailoverAction.StopServing) held.actions().get(0)).reason()).contains("paused for 2500 ms");
        assertThat(held.actions().get(1)).isInstanceOf(FailoverAction.CheckPeer.class);
        FailoverState h = held.next();
        assertThat(h.state()).isEqualTo(ACTIVE_ALONE);
        assertThat(h.held()).isTrue();
        assertThat(h.serving()).isFalse();
        assertThat(h.acceptsWrites()).isFalse();

        // other events meanwhile keep the hold: only the peer check ends it
        Transition tick = step(h, new FailoverEvent.Tick(), T0 + 2_510 * MS);
        assertThat(tick.next().held()).isTrue();
        assertThat(tick.actions()).noneMatch(a -> a instanceof FailoverAction.StartServing);

        Transition checked = step(tick.next(), new FailoverEvent.PeerChecked(
                new PeerInfo("p", Role.SHADOW, 5, false, 10), null), T0 + 2_520 * MS);
        assertThat(checked.next().held()).isFalse();
        assertThat(checked.next().serving()).isTrue();
        assertThat(checked.actions()).containsExactly(new FailoverAction.StartServing(5));
    }

    @Test
    void aPeerServingInAHigherEpochEndsTheHoldWithAStepDownThatStopsNothingTwice() {
        FailoverState h = step(pairedMaster(ACTIVE_ALONE), new FailoverEvent.LoopRan(), T0 + 3_000 * MS).next();
        Transition t = step(h, new FailoverEvent.PeerChecked(new PeerInfo("p", Role.MASTER, 6, true, 12), null),
                T0 + 3_010 * MS);
        assertThat(t.next().state()).isEqualTo(CONNECTING);
        assertThat(t.next().epoch()).isEqualTo(6);
        assertThat(t.next().held()).isFalse();
        assertThat(t.next().serving()).isFalse();
        // the data plane stopped when the hold began
        assertThat(t.actions()).noneMatch(a -> a instanceof FailoverAction.StopServing)
                .noneMatch(a -> a instanceof FailoverAction.StartServing)
                .contains(new FailoverAction.PersistState(6, Role.SHADOW));
    }

    @Test
    void anUnpairedMasterOrANonServingNodeIsNeverHeld() {
        FailoverState alone = pairedMaster(ACTIVE_ALONE).paired(false);
        assertThat(step(alone, new FailoverEvent.LoopRan(), T0 + 9_000 * MS).next().held()).isFalse();
        FailoverState standby = new FailoverState(STANDBY, 5, "n", true, true, true, T0, T0 + 2_000 * MS,
                FailoverState.NEVER, 0, 0, false, "test").ran(T0);
        Transition t = step(standby, new FailoverEvent.LoopRan(), T0 + 9_000 * MS);
        assertThat(t.next().held()).isFalse();
        assertThat(t.actions()).isEmpty();
        // the shadow's own stall is discounted: the master gets a fresh takeoverDelay from now
        assertThat(t.next().takeoverAt()).isEqualTo(T0 + 11_000 * MS);
        assertThat(t.next().lastHeard()).isEqualTo(T0 + 9_000 * MS);
    }

    @Test
    void aHandoverInProgressIsNotResumedByAPeerCheck() {
        FailoverState h = step(pairedMaster(ACTIVE_PAIRED), new FailoverEvent.LoopRan(), T0 + 2_000 * MS).next();
        FailoverState demoting = step(h, new FailoverEvent.SwitchRolesRequested(false), T0 + 2_001 * MS).next();
        assertThat(demoting.state()).isEqualTo(DEMOTING);
        Transition t = step(demoting, new FailoverEvent.PeerChecked(null, FailoverEvent.Failure.REFUSED), T0 + 2_002 * MS);
        assertThat(t.next().held()).isTrue();
        assertThat(t.actions()).noneMatch(a -> a instanceof FailoverAction.StartServing);
    }

    @Test
    void stalledAtIsAFunctionOfTheLastRunAndNow() {
        FailoverState s = pairedMaster(ACTIVE_ALONE);
        assertThat(StallHold.stalledAt(s, T, T0 + 1_999 * MS)).isFalse();
        assertThat(StallHold.stalledAt(s, T, T0 + 2_000 * MS)).isTrue();
        assertThat(StallHold.stalledAt(s.paired(false), T, T0 + 9_000 * MS)).isFalse();
        FailoverState neverRan = new FailoverState(ACTIVE_ALONE, 5, "n", true, false, false, T0, FailoverState.NEVER,
                FailoverState.NEVER, 0, 0, false, "test");
        assertThat(StallHold.stalledAt(neverRan, T, T0 + 9_000 * MS)).isFalse();
    }

    @Test
    void initialStateHasRunAtItsStart() {
        Transition t = FailoverMachine.initial("n", Role.MASTER, 3, true, T, T0);
        assertThat(t.next().lastRun()).isEqualTo(T0);
        assertThat(t.next().held()).isFalse();
    }
}

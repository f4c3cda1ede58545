package dev.understudy.ha.failover;

import static dev.understudy.ha.failover.HaState.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.home.Role;
import dev.understudy.ha.failover.FailoverEvent.Failure;
import dev.understudy.ha.failover.FailoverMachine.Transition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FailoverMachineTest {

    static final FailoverTimings T = FailoverTimings.of(Duration.ofMillis(200), Duration.ofSeconds(2), Duration.ofSeconds(2));
    static final long MS = 1_000_000L;

    static PeerInfo master(long epoch, boolean active) {
        return new PeerInfo("m", Role.MASTER, epoch, active, 10);
    }

    static PeerInfo shadow(long epoch) {
        return new PeerInfo("s", Role.SHADOW, epoch, false, 10);
    }

    static List<FailoverEvent> allEvents() {
        return List.of(new FailoverEvent.Tick(), new FailoverEvent.Attached(), new FailoverEvent.Detached(),
                new FailoverEvent.ConnectFailed(Failure.REFUSED), new FailoverEvent.ConnectFailed(Failure.TIMEOUT),
                new FailoverEvent.Connected(master(5, true)), new FailoverEvent.Connected(shadow(5)),
                new FailoverEvent.Connected(master(9, true)),
                new FailoverEvent.ConnectionLost(Failure.CLOSED), new FailoverEvent.PeerHeard(master(5, true)),
                new FailoverEvent.PeerHeard(master(9, true)), new FailoverEvent.PeerHeard(master(2, true)),
                new FailoverEvent.PeerHeard(shadow(5)), new FailoverEvent.SyncProgress(true),
                new FailoverEvent.SyncProgress(false), new FailoverEvent.PushFailed("x"),
                new FailoverEvent.PeerChecked(null, Failure.REFUSED), new FailoverEvent.PeerChecked(master(9, true), null),
                new FailoverEvent.PeerChecked(shadow(5), null), new FailoverEvent.Persisted(6, Role.MASTER),
                new FailoverEvent.Persisted(6, Role.SHADOW), new FailoverEvent.PromoteReceived(6),
                new FailoverEvent.ForcePromote(), new FailoverEvent.SwitchRolesRequested(false),
                new FailoverEvent.SwitchRolesRequested(true), new FailoverEvent.HandoverAcked(10),
                new FailoverEvent.DemoteReceived(9, "p"), new FailoverEvent.DemoteReceived(1, "p"),
                new FailoverEvent.Stalled(5_000 * MS), new FailoverEvent.LoopRan());
    }

    /**
     * The transitions the machine is expected to make, written from its specification (DESIGN.md section 5 and the
     * behaviour the tests below pin down), not copied from {@link FailoverMachine#LEGAL}: the production table is
     * compared with it, and every edge here must also be reached by some (state, event) step.
     */
    static final Map<HaState, Set<HaState>> EXPECTED = expected();

    private static Map<HaState, Set<HaState>> expected() {
        Map<HaState, Set<HaState>> m = new EnumMap<>(HaState.class);
        m.put(DETACHED, EnumSet.of(CONNECTING /* attached */, PROMOTING /* forced */));
        m.put(CONNECTING, EnumSet.of(SYNCING /* connected */, PROMOTING /* unreachable, forced */, DETACHED));
        // a shadow in SYNCING stays there until in sync; LAGGING means "was in sync, fell behind"
        m.put(SYNCING, EnumSet.of(STANDBY, SUSPECT /* silence, lost */, PROMOTING /* PROMOTE, forced */, DETACHED));
        m.put(STANDBY, EnumSet.of(LAGGING, SUSPECT, PROMOTING, DETACHED));
        m.put(LAGGING, EnumSet.of(STANDBY, SUSPECT, PROMOTING, DETACHED));
        m.put(SUSPECT, EnumSet.of(SYNCING /* reconnected */, STANDBY, LAGGING /* heard again */, PROMOTING, DETACHED));
        m.put(PROMOTING, EnumSet.of(ACTIVE_ALONE /* persisted */, CONNECTING /* told to step down */));
        m.put(STARTING, EnumSet.of(ACTIVE_ALONE /* peer silent or not serving */, ACTIVE_DEGRADED /* shadow back */,
                CONNECTING /* peer serves a higher epoch */));
        // a shadow that connects is behind until it says it is in sync: ALONE never jumps to PAIRED
        m.put(ACTIVE_ALONE, EnumSet.of(ACTIVE_DEGRADED, CONNECTING));
        m.put(ACTIVE_PAIRED, EnumSet.of(ACTIVE_ALONE, ACTIVE_DEGRADED, DEMOTING, CONNECTING));
        m.put(ACTIVE_DEGRADED, EnumSet.of(ACTIVE_ALONE, ACTIVE_PAIRED, DEMOTING /* forced */, CONNECTING));
        m.put(DEMOTING, EnumSet.of(ACTIVE_ALONE /* shadow lost */, ACTIVE_PAIRED, ACTIVE_DEGRADED /* timed out */,
                CONNECTING /* handed over */));
        return m;
    }

    /** A representative state for each HaState, epoch 5, paired, deadlines already due. */
    static FailoverState in(HaState st, boolean connected, boolean inSync, long now) {
        return new FailoverState(st, 5, "n", true, connected, inSync, now - 10_000 * MS, now - 1, now - 1, 0,
                st == PROMOTING || st == DEMOTING ? 6 : 0, false, "test");
    }

    static FailoverState in(HaState st, boolean connected, long now) {
        return in(st, connected, false, now);
    }

    @Test
    void productionTableIsTheExpectedTable() {
        for (HaState st : HaState.values()) {
            assertThat(FailoverMachine.LEGAL.get(st)).as("FailoverMachine.LEGAL for %s", st)
                    .containsExactlyInAnyOrderElementsOf(EXPECTED.get(st));
        }
        assertThat(FailoverMachine.LEGAL.keySet()).containsExactlyInAnyOrder(HaState.values());
    }

    @Test
    void everyStateEventPairStaysInsideTheExpectedTableAndReachesEveryEdge() {
        long now = 100_000 * MS;
        int pairs = 0;
        Map<HaState, Set<HaState>> reached = new EnumMap<>(HaState.class);
        for (HaState st : HaState.values()) {
            reached.put(st, EnumSet.noneOf(HaState.class));
            for (boolean connected : new boolean[] {false, true}) {
                for (boolean inSync : new boolean[] {false, true}) {
                    for (FailoverEvent e : allEvents()) {
                        FailoverState s = in(st, connected, inSync, now);
                        Transition tr = FailoverMachine.step(s, e, T, now);
                        pairs++;
                        HaState to = tr.next().state();
                        if (to != st) {
                            assertThat(EXPECTED.get(st)).as("%s --%s--> %s", st, e, to).contains(to);
                            reached.get(st).add(to);
                        }
                        assertThat(tr.next().epoch()).as("epoch on %s in %s", e, st).isGreaterThanOrEqualTo(s.epoch());
                        // persist-before-serve: StartServing(e) with a new epoch only after Persisted
                        for (FailoverAction a : tr.actions()) {
                            if (a instanceof FailoverAction.StartServing ss && ss.epoch() > s.epoch()) {
                                assertThat(e).as("serving a new epoch needs Persisted first")
                                        .isInstanceOf(FailoverEvent.Persisted.class);
                            }
                        }
                        // a node that stops being a serving state must stop serving in the same step
                        if (st.serving() && !to.serving()) {
                            assertThat(tr.actions()).as("%s --%s--> %s", st, e, to)
                                    .anyMatch(a -> a instanceof FailoverAction.StopServing);
                        }
                    }
                }
            }
        }
        assertThat(pairs).isEqualTo(HaState.values().length * 4 * allEvents().size());
        // an edge the table allows but no step takes is a table that says more than the machine does
        assertThat(reached).as("transitions taken by some (state, event) step").isEqualTo(EXPECTED);
    }

    @Test
    void everyIllegalStepThrowsWithItsName() {
        long now = 100_000 * MS;
        FailoverEvent e = new FailoverEvent.Tick();
        int illegal = 0;
        for (HaState from : HaState.values()) {
            for (HaState to : HaState.values()) {
                FailoverState s = in(from, true, now);
                FailoverState next = s.with(to, "forced by the test");
                if (from == to || EXPECTED.get(from).contains(to)) {
                    assertThat(FailoverMachine.checked(s, next, e)).as("%s -> %s", from, to).isSameAs(next);
                    continue;
                }
                illegal++;
                assertThatThrownBy(() -> FailoverMachine.checked(s, next, e)).as("%s -> %s", from, to)
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageStartingWith("ILLEGAL TRANSITION: " + from + " -> " + to + " on ");
            }
        }
        int n = HaState.values().length;
        int legal = EXPECTED.values().stream().mapToInt(Set::size).sum();
        assertThat(illegal).isEqualTo(n * n - n - legal).isPositive();
        // the step that motivated the check: a master serving alone does not jump to ACTIVE_PAIRED
        assertThatThrownBy(() -> FailoverMachine.checked(in(ACTIVE_ALONE, true, now),
                in(ACTIVE_ALONE, true, now).with(ACTIVE_PAIRED, "x"), e))
                .hasMessageStartingWith("ILLEGAL TRANSITION: ACTIVE_ALONE -> ACTIVE_PAIRED");
        // and the epoch guard of the same check
        assertThatThrownBy(() -> FailoverMachine.checked(in(STANDBY, true, now), in(STANDBY, true, now).epoch(4), e))
                .hasMessageStartingWith("epoch went backwards: 5 -> 4");
    }

    /** Drives a machine with a fake ticker. */
    static final class Driver {
        FailoverState s;
        long now = 1_000 * MS;
        final List<FailoverAction> actions = new ArrayList<>();

        Driver(Transition initial) {
            s = initial.next();
            actions.addAll(initial.actions());
        }

        Driver on(FailoverEvent e) {
            Transition t = FailoverMachine.step(s, e, T, now);
            s = t.next();
            actions.addAll(t.actions());
            return this;
        }

        Driver after(long ms) {
            now += ms * MS;
            return on(new FailoverEvent.Tick());
        }

        <A extends FailoverAction> List<A> all(Class<A> type) {
            return actions.stream().filter(type::isInstance).map(type::cast).toList();
        }
    }

    static Driver standbyShadow() {
        Driver d = new Driver(FailoverMachine.initial("s", Role.SHADOW, 5, true, T, 1_000 * MS));
        d.on(new FailoverEvent.Connected(master(5, true))).on(new FailoverEvent.SyncProgress(true));
        assertThat(d.s.state()).isEqualTo(STANDBY);
        return d;
    }

    @Test
    void silenceShorterThanTakeoverDelayDoesNotPromote() {
        Driver d = standbyShadow();
        d.after(700);
        assertThat(d.s.state()).isEqualTo(SUSPECT);
        d.after(1200); // 1.9 s of silence
        assertThat(d.s.state()).isEqualTo(SUSPECT);
        d.on(new FailoverEvent.PeerHeard(master(5, true)));
        assertThat(d.s.state()).isEqualTo(STANDBY);
        d.after(1900);
        assertThat(d.s.state()).isNotEqualTo(PROMOTING);
        assertThat(d.all(FailoverAction.PersistState.class)).isEmpty();
    }

    @Test
    void silenceOfTakeoverDelayPromotesAndPersistsBeforeServing() {
        Driver d = standbyShadow();
        d.after(700).after(1300);
        assertThat(d.s.state()).isEqualTo(PROMOTING);
        assertThat(d.all(FailoverAction.PersistState.class)).containsExactly(new FailoverAction.PersistState(6, Role.MASTER));
        assertThat(d.all(FailoverAction.StartServing.class)).isEmpty();
        d.on(new FailoverEvent.Persisted(6, Role.MASTER));
        assertThat(d.s.state()).isEqualTo(ACTIVE_ALONE);
        assertThat(d.s.epoch()).isEqualTo(6);
        assertThat(d.all(FailoverAction.StartServing.class)).containsExactly(new FailoverAction.StartServing(6));
        assertThat(d.all(FailoverAction.RaiseAlert.class)).anyMatch(a -> a.category() == AlertCategory.FAILOVER);
        assertThat(d.all(FailoverAction.RecordRoleChange.class)).hasSize(1);
    }

    @Test
    void shadowThatWasItselfPausedGivesTheMasterAFreshTakeoverDelay() {
        Driver d = standbyShadow();
        // this node stalls for 5 s: the first event after it is the stall report, then ticks
        d.now += 5_000 * MS;
        d.on(new FailoverEvent.Stalled(5_000 * MS)).on(new FailoverEvent.Tick());
        assertThat(d.s.state()).isEqualTo(STANDBY);
        assertThat(d.all(FailoverAction.PersistState.class)).isEmpty();
        d.on(new FailoverEvent.PeerHeard(master(5, true))).after(1000);
        assertThat(d.s.state()).isNotEqualTo(PROMOTING);
        // a master that really is gone is still replaced, one takeoverDelay after the stall
        Driver gone = standbyShadow();
        gone.now += 5_000 * MS;
        gone.on(new FailoverEvent.Stalled(5_000 * MS)).after(700).after(1400);
        assertThat(gone.s.state()).isEqualTo(PROMOTING);
    }

    @Test
    void crashedMasterIsConfirmedByOneRefusedReconnectAndPromotesAtOnce() {
        Driver d = standbyShadow();
        d.on(new FailoverEvent.ConnectionLost(Failure.CLOSED));
        assertThat(d.s.state()).isEqualTo(SUSPECT);
        assertThat(d.actions.get(d.actions.size() - 1)).isInstanceOf(FailoverAction.Connect.class);
        d.on(new FailoverEvent.ConnectFailed(Failure.REFUSED));
        assertThat(d.s.state()).isEqualTo(PROMOTING);
        assertThat(d.s.reason()).contains("refused the reconnect");
        assertThat(d.all(FailoverAction.PersistState.class)).singleElement()
                .satisfies(p -> assertThat(p.role()).isEqualTo(Role.MASTER));
    }

    @Test
    void aReconnectThatTimesOutOrFailsOtherwiseIsNoProofOfACrash() {
        for (Failure f : new Failure[] {Failure.TIMEOUT, Failure.CLOSED, Failure.ERROR}) {
            Driver d = standbyShadow();
            d.on(new FailoverEvent.ConnectionLost(Failure.CLOSED));
            d.on(new FailoverEvent.ConnectFailed(f));
            assertThat(d.s.state()).as("after a %s reconnect", f).isEqualTo(SUSPECT);
            assertThat(d.all(FailoverAction.PersistState.class)).as("after a %s reconnect", f).isEmpty();
        }
    }

    @Test
    void aRefusalWithoutALostConnectionFirstDoesNotPromote() {
        // a shadow that never had its master (still CONNECTING) is refused: that proves nothing about a crash
        Driver fresh = new Driver(FailoverMachine.initial("s", Role.SHADOW, 3, true, T, 0));
        fresh.on(new FailoverEvent.ConnectFailed(Failure.REFUSED)).after(100);
        assertThat(fresh.s.state()).isNotEqualTo(PROMOTING);
    }

    @Test
    void pausedMasterWhoseSocketStillAcceptsIsNotMistakenForAlive() {
        Driver d = standbyShadow();
        d.on(new FailoverEvent.ConnectionLost(Failure.CLOSED));
        // the paused master's kernel still accepts TCP, but no HELLO ever comes: connects time out
        d.on(new FailoverEvent.ConnectFailed(Failure.TIMEOUT)).after(1000);
        d.on(new FailoverEvent.ConnectFailed(Failure.TIMEOUT)).after(1000);
        assertThat(d.s.state()).isEqualTo(PROMOTING);
    }

    @Test
    void activeNodeSeeingHigherEpochStopsServingFirstAndRejoinsAsShadow() {
        Driver d = new Driver(FailoverMachine.initial("m", Role.MASTER, 5, false, T, 0));
        assertThat(d.s.state()).isEqualTo(ACTIVE_ALONE);
        d.actions.clear();
        d.on(new FailoverEvent.PeerChecked(new PeerInfo("s", Role.MASTER, 6, true, 3), null));
        assertThat(d.s.state()).isEqualTo(CONNECTING);
        assertThat(d.s.epoch()).isEqualTo(6);
        assertThat(d.actions.get(0)).isInstanceOf(FailoverAction.StopServing.class);
        assertThat(d.all(FailoverAction.PersistState.class)).containsExactly(new FailoverAction.PersistState(6, Role.SHADOW));
    }

    @Test
    void aSteppedDownNodeIsNotToldOfOrphansItMayNotHave() {
        Driver d = new Driver(FailoverMachine.initial("m", Role.MASTER, 5, false, T, 0));
        d.on(new FailoverEvent.PeerChecked(new PeerInfo("s", Role.MASTER, 6, true, 3), null));
        assertThat(d.all(FailoverAction.RaiseAlert.class)).filteredOn(a -> a.category() == AlertCategory.FAILOVER)
                .singleElement().satisfies(a -> assertThat(a.message()).contains("rejoins as shadow")
                        .doesNotContain("ORPHANED").doesNotContain("orphan"));
    }

    @Test
    void detachingAMasterResolvesWhatItSaidAboutItsShadow() {
        Driver d = new Driver(FailoverMachine.initial("m", Role.MASTER, 5, false, T, 0));
        d.on(new FailoverEvent.Connected(shadow(5))).on(new FailoverEvent.SyncProgress(true));
        d.on(new FailoverEvent.ConnectionLost(Failure.CLOSED));
        d.actions.clear();
        d.on(new FailoverEvent.Detached());
        assertThat(d.all(FailoverAction.ResolveAlert.class)).extracting(FailoverAction.ResolveAlert::category)
                .contains(AlertCategory.PEER_UNREACHABLE, AlertCategory.PUSH_FAILED);
    }

    @Test
    void activeNodeSeeingLowerEpochTellsItToStepDown() {
        Driver d = new Driver(FailoverMachine.initial("m", Role.MASTER, 7, false, T, 0));
        d.on(new FailoverEvent.PeerChecked(new PeerInfo("s", Role.MASTER, 6, true, 3), null));
        assertThat(d.s.state()).isEqualTo(ACTIVE_ALONE);
        assertThat(d.all(FailoverAction.SendDemote.class)).containsExactly(new FailoverAction.SendDemote(7));
    }

    @Test
    void restartedMasterChecksPeerBeforeServing() {
        Driver d = new Driver(FailoverMachine.initial("m", Role.MASTER, 5, true, T, 0));
        assertThat(d.s.state()).isEqualTo(STARTING);
        assertThat(d.all(FailoverAction.StartServing.class)).isEmpty();
        assertThat(d.all(FailoverAction.CheckPeer.class)).hasSize(1);
        d.on(new FailoverEvent.PeerChecked(new PeerInfo("s", Role.MASTER, 6, true, 9), null));
        assertThat(d.s.state()).isEqualTo(CONNECTING);
        assertThat(d.all(FailoverAction.StartServing.class)).isEmpty();
    }

    @Test
    void restartedMasterServesWhenPeerStaysSilentForTakeoverDelay() {
        Driver d = new Driver(FailoverMachine.initial("m", Role.MASTER, 5, true, T, 0));
        d.now = 0;
        d.on(new FailoverEvent.PeerChecked(null, Failure.TIMEOUT)).after(1000);
        assertThat(d.s.state()).isEqualTo(STARTING);
        d.after(1000);
        assertThat(d.s.state()).isEqualTo(ACTIVE_ALONE);
        assertThat(d.all(FailoverAction.StartServing.class)).containsExactly(new FailoverAction.StartServing(5));
    }

    @Test
    void plannedSwitchStopsWritesFlushesThenStopsServingBeforePromotingPeer() {
        Driver d = new Driver(FailoverMachine.initial("m", Role.MASTER, 5, false, T, 0));
        d.on(new FailoverEvent.Connected(shadow(5))).on(new FailoverEvent.SyncProgress(true));
        assertThat(d.s.state()).isEqualTo(ACTIVE_PAIRED);
        d.actions.clear();
        d.on(new FailoverEvent.SwitchRolesRequested(false));
        assertThat(d.s.state()).isEqualTo(DEMOTING);
        assertThat(d.actions).containsExactly(new FailoverAction.StopWrites(), new FailoverAction.FlushToPeer());
        d.actions.clear();
        d.on(new FailoverEvent.HandoverAcked(10));
        assertThat(d.s.state()).isEqualTo(CONNECTING);
        assertThat(d.s.epoch()).isEqualTo(6);
        assertThat(d.actions.get(0)).isInstanceOf(FailoverAction.StopServing.class);
        assertThat(d.actions.get(1)).isEqualTo(new FailoverAction.SendPromote(6));
    }

    @Test
    void switchRefusedWhenShadowNotInSyncUnlessForced() {
        Driver d = new Driver(FailoverMachine.initial("m", Role.MASTER, 5, false, T, 0));
        d.on(new FailoverEvent.Connected(shadow(5)));
        assertThat(d.s.state()).isEqualTo(ACTIVE_DEGRADED);
        d.on(new FailoverEvent.SwitchRolesRequested(false));
        assertThat(d.s.state()).isEqualTo(ACTIVE_DEGRADED);
        assertThat(d.all(FailoverAction.RaiseAlert.class)).anyMatch(a -> a.message().contains("not in sync"));
        d.on(new FailoverEvent.SwitchRolesRequested(true));
        assertThat(d.s.state()).isEqualTo(DEMOTING);
        d.after(2100); // no ack, forced: hand over anyway
        assertThat(d.s.state()).isEqualTo(CONNECTING);
    }

    @Test
    void unforcedSwitchWithoutAckIsAbortedAndWritesResume() {
        Driver d = new Driver(FailoverMachine.initial("m", Role.MASTER, 5, false, T, 0));
        d.on(new FailoverEvent.Connected(shadow(5))).on(new FailoverEvent.SyncProgress(true))
                .on(new FailoverEvent.SwitchRolesRequested(false)).after(2100);
        assertThat(d.s.state()).isEqualTo(ACTIVE_PAIRED);
        assertThat(d.all(FailoverAction.ResumeWrites.class)).hasSize(1);
        assertThat(d.s.epoch()).isEqualTo(5);
    }

    @Test
    void shadowPromotesOnPlannedHandoverInTheGivenEpoch() {
        Driver d = standbyShadow();
        d.on(new FailoverEvent.PromoteReceived(6));
        assertThat(d.s.state()).isEqualTo(PROMOTING);
        d.on(new FailoverEvent.Persisted(6, Role.MASTER));
        assertThat(d.s.state()).isEqualTo(ACTIVE_ALONE);
        assertThat(d.all(FailoverAction.RaiseAlert.class)).noneMatch(a -> a.category() == AlertCategory.FAILOVER);
    }

    @Test
    void shadowAdoptsHigherEpochDurably() {
        Driver d = standbyShadow();
        d.on(new FailoverEvent.PeerHeard(master(8, true)));
        assertThat(d.s.epoch()).isEqualTo(8);
        assertThat(d.s.state()).isEqualTo(STANDBY);
        assertThat(d.all(FailoverAction.PersistState.class)).containsExactly(new FailoverAction.PersistState(8, Role.SHADOW));
    }

    @Test
    void freshlyAttachedShadowNeverPromotesBeforeFirstContact() {
        Driver d = new Driver(FailoverMachine.initial("s", Role.SHADOW, 0, false, T, 0));
        assertThat(d.s.state()).isEqualTo(DETACHED);
        d.on(new FailoverEvent.Attached());
        d.on(new FailoverEvent.ConnectFailed(Failure.REFUSED)).after(5000).after(5000);
        assertThat(d.s.state()).isEqualTo(CONNECTING);
    }

    @Test
    void masterLosingShadowServesAloneAndChecksPeerPeriodically() {
        Driver d = new Driver(FailoverMachine.initial("m", Role.MASTER, 5, false, T, 0));
        d.on(new FailoverEvent.Connected(shadow(5))).on(new FailoverEvent.SyncProgress(true));
        d.on(new FailoverEvent.ConnectionLost(Failure.CLOSED));
        assertThat(d.s.state()).isEqualTo(ACTIVE_ALONE);
        assertThat(d.all(FailoverAction.RaiseAlert.class)).anyMatch(a -> a.category() == AlertCategory.PEER_UNREACHABLE);
        d.after(1000);
        assertThat(d.all(FailoverAction.CheckPeer.class)).hasSize(1);
    }

    @Test
    void aConnectionStillBeingSetUpDoesNotPromoteAfterStepDown() {
        long now = 1_000 * MS;
        // a master told of a higher epoch steps down and connects to the new master (attempt in flight)
        FailoverState active = new FailoverState(ACTIVE_ALONE, 5, "n", true, false, false, now, FailoverState.NEVER,
                FailoverState.NEVER, 0, 0, false, "test");
        Transition down = FailoverMachine.step(active, new FailoverEvent.PeerChecked(master(6, true), null), T, now);
        assertThat(down.next().state()).isEqualTo(CONNECTING);
        // takeoverDelay passes while the (slow) TLS connection is still being set up: no promotion
        long late = now + T.takeover() + 100 * MS;
        Transition t = FailoverMachine.step(down.next(), new FailoverEvent.Tick(), T, late);
        assertThat(t.next().state()).isEqualTo(CONNECTING);
        // the attempt completes: it becomes the new master's shadow
        assertThat(FailoverMachine.step(t.next(), new FailoverEvent.Connected(master(6, true)), T, late).next().state())
                .isEqualTo(SYNCING);
        // a failed attempt within the step-down grace does not promote (the new master may be slow to listen)...
        FailoverState failed = FailoverMachine.step(t.next(), new FailoverEvent.ConnectFailed(Failure.REFUSED), T, late).next();
        assertThat(FailoverMachine.step(failed, new FailoverEvent.Tick(), T, late + MS).next().state()).isEqualTo(CONNECTING);
        // ...but once the grace has passed with the new master still unreachable, this node takes over again
        long afterGrace = now + FailoverMachine.STEPPED_DOWN_GRACE * T.takeover() + 100 * MS;
        FailoverState stillFailing = FailoverMachine.step(failed, new FailoverEvent.ConnectFailed(Failure.REFUSED), T,
                afterGrace).next();
        assertThat(FailoverMachine.step(stillFailing, new FailoverEvent.Tick(), T, afterGrace + MS).next().state())
                .isEqualTo(PROMOTING);
    }

    @Test
    void aPromotingNodeIgnoresTheLastHeartbeatOfTheMasterThatHandedOver() {
        long now = 1_000 * MS;
        // node "a" (lower id than the master "m") is told to promote to epoch 6
        FailoverState standby = new FailoverState(STANDBY, 5, "a", true, true, true, now, now + T.takeover(),
                FailoverState.NEVER, 0, 0, false, "test");
        Transition p = FailoverMachine.step(standby, new FailoverEvent.PromoteReceived(6), T, now);
        assertThat(p.next().state()).isEqualTo(PROMOTING);
        // a heartbeat sent by the master just before it handed over still says "active in epoch 5"
        Transition t = FailoverMachine.step(p.next(), new FailoverEvent.PeerHeard(master(5, true)), T, now + MS);
        assertThat(t.next().state()).as("not aborted by the id tie-break of equal epochs").isEqualTo(PROMOTING);
        assertThat(FailoverMachine.step(t.next(), new FailoverEvent.Persisted(6, Role.MASTER), T, now + 2 * MS).next()
                .state()).isEqualTo(ACTIVE_ALONE);
    }
}

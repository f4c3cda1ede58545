package dev.understudy.ha.group;

import static dev.understudy.ha.group.GroupLeadership.Action.ADVANCE_EPOCH;
import static dev.understudy.ha.group.GroupLeadership.Action.CAMPAIGN;
import static dev.understudy.ha.group.GroupLeadership.Action.RAISE_COORDINATION_LOST;
import static dev.understudy.ha.group.GroupLeadership.Action.RESOLVE_COORDINATION_LOST;
import static dev.understudy.ha.group.GroupLeadership.Action.START_SERVING;
import static dev.understudy.ha.group.GroupLeadership.Action.START_WRITES;
import static dev.understudy.ha.group.GroupLeadership.Action.STOP_SERVING;
import static dev.understudy.ha.group.GroupLeadership.Action.STOP_WRITES;
import static dev.understudy.ha.group.GroupLeadership.Action.WITHDRAW;
import static org.assertj.core.api.Assertions.assertThat;

import dev.understudy.ha.group.GroupLeadership.Action;
import dev.understudy.ha.group.GroupLeadership.Event;
import dev.understudy.ha.group.GroupLeadership.Phase;
import dev.understudy.ha.group.GroupLeadership.State;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The leadership core, stepped with a fake clock (nanoseconds as plain longs). */
class GroupLeadershipTest {

    static final long MS = 1_000_000L;
    static final long WINDOW = 600 * MS;
    static final long WAIT = 1_000 * MS;
    final GroupLeadership core = new GroupLeadership(new GroupLeadership.Settings(WINDOW, WAIT));

    State state = GroupLeadership.initial(10);
    long now = 1_000 * MS;
    List<Action> last = List.of();

    List<Action> on(Event e) {
        GroupLeadership.Result r = core.handle(state, e, now);
        state = r.state();
        last = r.actions();
        return last;
    }

    /** Drives a fresh node to LEADER of {@code epoch} with members b and c confirmed now. */
    void lead(long epoch) {
        on(new Event.SessionConnected());
        on(new Event.Members(Set.of("b", "c")));
        on(new Event.MasterGone());
        on(new Event.LeaseAcquired());
        assertThat(on(new Event.EpochAdvanced(epoch))).containsExactly(START_SERVING, START_WRITES);
        on(new Event.MemberConfirmed("b", now));
        on(new Event.MemberConfirmed("c", now));
    }

    @Test
    void aShadowCampaignsOnlyWhenItsMasterIsGoneAndItHasASession() {
        assertThat(on(new Event.MasterGone())).as("no session yet: no campaign").isEmpty();
        assertThat(state.phase()).isEqualTo(Phase.FOLLOWER);
        assertThat(on(new Event.SessionConnected())).containsExactly(CAMPAIGN);
        assertThat(on(new Event.MasterBack())).as("its master is heard again").containsExactly(WITHDRAW);
        assertThat(state.phase()).isEqualTo(Phase.FOLLOWER);
        assertThat(on(new Event.Tick())).isEmpty();
    }

    @Test
    void aCandidateBehindAnotherWaitsForItBoundedly() {
        on(new Event.SessionConnected());
        on(new Event.CandidateRevision("b", 12)); // b acknowledged more than our 10
        on(new Event.CandidateRevision("c", 9));
        assertThat(on(new Event.MasterGone())).isEmpty();
        assertThat(state.phase()).isEqualTo(Phase.WAITING);
        now += WAIT - 1;
        assertThat(on(new Event.Tick())).isEmpty();
        now += 1;
        assertThat(on(new Event.Tick())).as("b did not take the lease within the wait").containsExactly(CAMPAIGN);
    }

    @Test
    void aCandidateCampaignsAsSoonAsTheOneAheadIsGoneOrItCatchesUp() {
        on(new Event.SessionConnected());
        on(new Event.CandidateRevision("b", 12));
        on(new Event.MasterGone());
        assertThat(on(new Event.CandidateRevision("b", -1))).as("b's znode went away").containsExactly(CAMPAIGN);
        state = GroupLeadership.initial(10);
        on(new Event.SessionConnected());
        on(new Event.CandidateRevision("b", 12));
        on(new Event.MasterGone());
        assertThat(on(new Event.OwnRevision(12))).as("equal revisions: either may lead").containsExactly(CAMPAIGN);
    }

    @Test
    void noWritesBetweenTakingTheLeaseAndHavingTheNewEpoch() {
        on(new Event.SessionConnected());
        on(new Event.MasterGone());
        assertThat(on(new Event.LeaseAcquired())).containsExactly(ADVANCE_EPOCH);
        assertThat(state.takingWrites()).isFalse();
        assertThat(on(new Event.EpochAdvanced(7))).containsExactly(START_SERVING, START_WRITES);
        assertThat(state.epoch()).isEqualTo(7);
        assertThat(state.takingWrites()).isTrue();
    }

    @Test
    void aLeaseNotAskedForIsGivenBack() {
        on(new Event.SessionConnected());
        assertThat(on(new Event.LeaseAcquired())).containsExactly(WITHDRAW);
        assertThat(state.phase()).isEqualTo(Phase.FOLLOWER);
    }

    @Test
    void aMasterWhoseSessionExpiresStopsWritesFirstThenServing() {
        lead(3);
        assertThat(on(new Event.SessionExpired())).containsExactly(STOP_WRITES, WITHDRAW, STOP_SERVING);
        assertThat(state.takingWrites()).isFalse();
        assertThat(state.serving()).isFalse();
        assertThat(state.phase()).isEqualTo(Phase.FOLLOWER);
    }

    @Test
    void aMasterThatLosesTheLeaseStopsAtOnce() {
        lead(3);
        assertThat(on(new Event.LeaseLost())).containsExactly(STOP_WRITES, WITHDRAW, STOP_SERVING);
    }

    @Test
    void zooKeeperUnreachableAMasterConfirmedByAllKeepsServingWithCoordinationLost() {
        lead(3);
        assertThat(on(new Event.SessionSuspended())).containsExactly(RAISE_COORDINATION_LOST);
        assertThat(state.takingWrites()).isTrue();
        assertThat(on(new Event.SessionLost())).as("still confirmed: the failsafe holds").isEmpty();
        now += 200 * MS;
        on(new Event.MemberConfirmed("b", now));
        on(new Event.MemberConfirmed("c", now));
        now += WINDOW - 1;
        assertThat(on(new Event.Tick())).isEmpty();
        assertThat(state.coordinationLost()).isTrue();
        assertThat(on(new Event.SessionConnected())).containsExactly(RESOLVE_COORDINATION_LOST);
        assertThat(state.takingWrites()).isTrue();
    }

    @Test
    void theMomentOneMemberIsStaleTheMasterStopsWritesAndLateConfirmationsDoNotRestartThem() {
        lead(3);
        on(new Event.SessionSuspended());
        now += 300 * MS;
        on(new Event.MemberConfirmed("b", now)); // c stays silent since lead()
        now += WINDOW - 300 * MS - 1;
        assertThat(on(new Event.Tick())).isEmpty();
        now += 1;
        assertThat(on(new Event.Tick())).as("c's confirmation is one window old").containsExactly(STOP_WRITES);
        assertThat(state.serving()).as("it still serves (no writes)").isTrue();
        on(new Event.MemberConfirmed("c", now));
        assertThat(state.takingWrites()).as("c may be counting down to a takeover").isFalse();
        assertThat(on(new Event.SessionConnected())).containsExactly(RESOLVE_COORDINATION_LOST, START_WRITES);
    }

    @Test
    void aMemberThatNeverConfirmedStopsWritesAsSoonAsZooKeeperIsGone() {
        lead(3);
        on(new Event.Members(Set.of("b", "c", "d")));
        assertThat(state.takingWrites()).as("with ZooKeeper the lease decides").isTrue();
        assertThat(on(new Event.SessionSuspended())).containsExactly(RAISE_COORDINATION_LOST, STOP_WRITES);
    }

    @Test
    void confirmationsFromAnOlderHeartbeatDoNotCountAgainstANewerOne() {
        lead(3);
        on(new Event.SessionSuspended());
        long fresh = now;
        on(new Event.MemberConfirmed("b", fresh - 500 * MS)); // a delayed echo of an older heartbeat
        assertThat(state.confirmed().get("b")).isEqualTo(fresh);
        on(new Event.MemberConfirmed("x", now)); // not a member: ignored
        assertThat(state.confirmed()).doesNotContainKey("x");
    }

    /** Every event after every sequence of up to four: only a leader writes, a stop comes first, the alert is true. */
    @Test
    void tableOfEventsAgainstEveryPhaseKeepsTheWriteRule() {
        List<Event> events = List.of(new Event.SessionConnected(), new Event.SessionSuspended(), new Event.SessionLost(),
                new Event.SessionExpired(), new Event.LeaseAcquired(), new Event.LeaseLost(), new Event.EpochAdvanced(9),
                new Event.MasterGone(), new Event.MasterBack(), new Event.Members(Set.of("b")),
                new Event.MemberConfirmed("b", 0), new Event.CandidateRevision("b", 99), new Event.OwnRevision(5),
                new Event.Tick());
        List<State> reachable = new ArrayList<>();
        reachable.add(GroupLeadership.initial(10));
        boolean sawWrites = false;
        for (int depth = 0; depth < 5; depth++) { // 14^5 steps: deep enough for a leader to meet every event
            List<State> next = new ArrayList<>();
            for (State s : reachable) {
                for (Event e : events) {
                    GroupLeadership.Result r = core.handle(s, e, now);
                    State t = r.state();
                    if (t.takingWrites()) {
                        assertThat(t.phase()).as(s.phase() + " + " + e).isEqualTo(Phase.LEADER);
                    }
                    if (r.actions().contains(STOP_WRITES)) {
                        assertThat(r.actions().get(0)).as("stopping writes comes first: " + s.phase() + " + " + e)
                                .isEqualTo(STOP_WRITES);
                    }
                    assertThat(t.coordinationLost()).as(s.phase() + " + " + e)
                            .isEqualTo(t.phase() == Phase.LEADER && t.session() != GroupLeadership.Session.CONNECTED);
                    sawWrites |= t.takingWrites();
                    if (depth < 4) {
                        next.add(t);
                    }
                }
            }
            reachable = next;
        }
        assertThat(sawWrites).as("the walk reaches a leader taking writes").isTrue();
    }
}

package dev.understudy.ha.group;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The leadership decisions of one node of a ZooKeeper group, pure: {@code (state, event, now) -> (state', actions)}.
 *
 * <pre>
 *            MasterGone, no candidate ahead          LeaseAcquired            EpochAdvanced
 *  FOLLOWER ------------------------------> CAMPAIGNING --------> ADVANCING --------------> LEADER
 *     ^   \__ MasterGone, a candidate ahead: WAITING (until it leads, or candidateWait ends) __/ |
 *     |                                                                                           |
 *     +---- LeaseLost / SessionExpired: stop writes and serving at once ---- FENCED <------------+
 * </pre>
 *
 * <p>A LEADER takes writes while its session is connected. With the session suspended or lost (ZooKeeper
 * unreachable) it keeps taking writes only while every member's newest confirmation is younger than
 * {@code confirmationWindow} (the failsafe), raising COORDINATION_LOST; the first tick or event at which one is
 * older stops writes. A confirmation's time is when the master <i>sent</i> the heartbeat the member echoes, so a
 * member's own silence clock (which a takeover waits on) started no earlier. The settings' timing rule
 * ({@code sessionTimeout + confirmationWindow < takeoverDelay}, {@code common.home.Coordination}) makes that
 * stop come before any shadow can promote.
 */
public final class GroupLeadership {

    /** Where this node stands in the group. */
    public enum Phase {
        /** Not master, not campaigning: its master is alive (or it has none yet). */
        FOLLOWER,
        /** Its master is gone, but a candidate at a higher acknowledged revision is alive: give it the lease first. */
        WAITING,
        /** In the lease election. */
        CAMPAIGNING,
        /** Holds the lease and is advancing the epoch by compare-and-set; no writes until it has the new epoch. */
        ADVANCING,
        /** Master of the epoch it advanced to. */
        LEADER,
        /** Was leader; lost the lease or its session expired: no writes, no serving, until it rejoins. */
        FENCED
    }

    /** The ZooKeeper session as Curator's connection-state listener reports it. */
    public enum Session { CONNECTED, SUSPENDED, LOST }

    /** What happens to this node: ZooKeeper, its failover machine, the HA channel, time. */
    public sealed interface Event {
        record SessionConnected() implements Event {}
        record SessionSuspended() implements Event {}
        record SessionLost() implements Event {}
        /** ZooKeeper said the session is gone (reachable again, ephemeral znodes deleted). */
        record SessionExpired() implements Event {}
        record LeaseAcquired() implements Event {}
        record LeaseLost() implements Event {}
        record EpochAdvanced(long epoch) implements Event {}
        /** The failover machine says the master is gone (silence for takeoverDelay, or a confirmed crash). */
        record MasterGone() implements Event {}
        /** The failover machine hears a master again. */
        record MasterBack() implements Event {}
        /** The set of members a leader must hear from (from the replicated {@code members}, without itself). */
        record Members(Set<String> nodeIds) implements Event {}
        /** A member echoed the master heartbeat sent at {@code sentAtNanos}. */
        record MemberConfirmed(String nodeId, long sentAtNanos) implements Event {}
        /** A candidate's published acknowledged revision ({@code -1}: its znode went away). */
        record CandidateRevision(String nodeId, long revision) implements Event {}
        /** This node's own acknowledged revision changed. */
        record OwnRevision(long revision) implements Event {}
        record Tick() implements Event {}
    }

    /** What the adapter must do, in order. */
    public enum Action {
        CAMPAIGN, WITHDRAW, ADVANCE_EPOCH, START_WRITES, STOP_WRITES, START_SERVING, STOP_SERVING,
        RAISE_COORDINATION_LOST, RESOLVE_COORDINATION_LOST
    }

    /** Timings: how old a member's confirmation may be, and how long a candidate waits for one ahead of it. */
    public record Settings(long confirmationWindowNanos, long candidateWaitNanos) {
        public Settings {
            if (confirmationWindowNanos <= 0 || candidateWaitNanos < 0) {
                throw new IllegalArgumentException("confirmationWindowNanos: " + confirmationWindowNanos
                        + ", candidateWaitNanos: " + candidateWaitNanos + " (expected: > 0 and >= 0)");
            }
        }
    }

    /** An immutable snapshot of the core; operators see {@link #takingWrites()} and {@link #coordinationLost()}. */
    public record State(Phase phase, Session session, boolean masterGone, long ownRevision,
                        Map<String, Long> candidates, Set<String> members, Map<String, Long> confirmed,
                        long waitUntilNanos, long epoch, boolean takingWrites, boolean serving,
                        boolean coordinationLost, boolean failsafeSpent) {
        public State {
            candidates = Map.copyOf(candidates);
            members = Set.copyOf(members);
            confirmed = Map.copyOf(confirmed);
        }
    }

    public record Result(State state, List<Action> actions) {}

    private final Settings settings;

    public GroupLeadership(Settings settings) {
        this.settings = settings;
    }

    /** A node that starts as a follower with its session not yet connected. */
    public static State initial(long ownRevision) {
        return new State(Phase.FOLLOWER, Session.SUSPENDED, false, ownRevision, Map.of(), Set.of(), Map.of(),
                0, 0, false, false, false, false);
    }

    public Result handle(State s, Event e, long now) {
        M m = new M(s);
        if (e instanceof Event.SessionConnected) {
            m.session = Session.CONNECTED;
            m.failsafeSpent = false;
            if (m.coordinationLost) {
                m.coordinationLost = false;
                m.actions.add(Action.RESOLVE_COORDINATION_LOST);
            }
        } else if (e instanceof Event.SessionSuspended) {
            m.session = Session.SUSPENDED;
        } else if (e instanceof Event.SessionLost) {
            m.session = Session.LOST;
        } else if (e instanceof Event.SessionExpired) {
            m.session = Session.SUSPENDED; // Curator builds a new session; the old lease is gone
            m.fenceIfLeading();
        } else if (e instanceof Event.LeaseAcquired) {
            if (m.phase == Phase.CAMPAIGNING && m.session == Session.CONNECTED) {
                m.phase = Phase.ADVANCING;
                m.actions.add(Action.ADVANCE_EPOCH);
            } else if (m.phase != Phase.LEADER && m.phase != Phase.ADVANCING) {
                m.actions.add(Action.WITHDRAW); // not ours to hold (the master came back, or no session)
            }
        } else if (e instanceof Event.LeaseLost) {
            m.fenceIfLeading();
            if (m.phase == Phase.ADVANCING) {
                m.phase = Phase.FOLLOWER;
            }
        } else if (e instanceof Event.EpochAdvanced a) {
            if (m.phase == Phase.ADVANCING) {
                m.epoch = a.epoch();
                m.phase = Phase.LEADER;
                // members confirm the new master from now on: no credit for what they told an older one
                m.confirmed = new TreeMap<>();
            }
        } else if (e instanceof Event.MasterGone) {
            m.masterGone = true;
        } else if (e instanceof Event.MasterBack) {
            m.masterGone = false;
        } else if (e instanceof Event.Members ms) {
            m.members = new java.util.TreeSet<>(ms.nodeIds());
            m.confirmed.keySet().retainAll(m.members); // a new member counts once it has confirmed
        } else if (e instanceof Event.MemberConfirmed mc) {
            if (m.members.contains(mc.nodeId())) {
                m.confirmed.merge(mc.nodeId(), mc.sentAtNanos(), Math::max);
            }
        } else if (e instanceof Event.CandidateRevision cr) {
            if (cr.revision() < 0) {
                m.candidates.remove(cr.nodeId());
            } else {
                m.candidates.put(cr.nodeId(), cr.revision());
            }
        } else if (e instanceof Event.OwnRevision r) {
            m.ownRevision = r.revision();
        } else if (e instanceof Event.Tick) {
            // time passing is enough: settle() re-checks every deadline
        }
        m.settle(now);
        return new Result(m.toState(), List.copyOf(m.actions));
    }

    /** The mutable working copy of one step. */
    private final class M {
        Phase phase;
        Session session;
        boolean masterGone;
        long ownRevision;
        final Map<String, Long> candidates;
        Set<String> members;
        Map<String, Long> confirmed;
        long waitUntil;
        long epoch;
        boolean writes;
        boolean serving;
        boolean coordinationLost;
        /** Writes stopped once in this outage: they resume only with the session, not with late confirmations. */
        boolean failsafeSpent;
        final List<Action> actions = new ArrayList<>();

        M(State s) {
            phase = s.phase();
            session = s.session();
            masterGone = s.masterGone();
            ownRevision = s.ownRevision();
            candidates = new TreeMap<>(s.candidates());
            members = s.members();
            confirmed = new TreeMap<>(s.confirmed());
            waitUntil = s.waitUntilNanos();
            epoch = s.epoch();
            writes = s.takingWrites();
            serving = s.serving();
            coordinationLost = s.coordinationLost();
            failsafeSpent = s.failsafeSpent();
        }

        void fenceIfLeading() {
            if (phase == Phase.LEADER || phase == Phase.ADVANCING) {
                phase = Phase.FENCED;
            }
        }

        boolean aheadOfMe() {
            return candidates.values().stream().anyMatch(r -> r > ownRevision);
        }

        boolean allConfirmed(long now) {
            for (String id : members) {
                Long at = confirmed.get(id);
                if (at == null || now - at >= settings.confirmationWindowNanos()) {
                    return false;
                }
            }
            return true;
        }

        /** Applies the rules to the updated facts; emits the actions that bring the outputs in line. */
        void settle(long now) {
            // a follower's election: only when its master is gone, and after any candidate ahead of it had its chance
            if (phase == Phase.FOLLOWER && masterGone && session == Session.CONNECTED) {
                if (aheadOfMe()) {
                    phase = Phase.WAITING;
                    waitUntil = now + settings.candidateWaitNanos();
                } else {
                    phase = Phase.CAMPAIGNING;
                    actions.add(Action.CAMPAIGN);
                }
            }
            if (phase == Phase.WAITING) {
                if (!masterGone) {
                    phase = Phase.FOLLOWER;
                } else if (session == Session.CONNECTED && (!aheadOfMe() || now - waitUntil >= 0)) {
                    phase = Phase.CAMPAIGNING;
                    actions.add(Action.CAMPAIGN);
                }
            }
            if (phase == Phase.CAMPAIGNING && (!masterGone || session != Session.CONNECTED)) {
                // the master is back, or no session to hold a lease with: leave the election
                phase = Phase.FOLLOWER;
                actions.add(Action.WITHDRAW);
            }
            if (phase == Phase.FENCED) {
                actions.add(Action.WITHDRAW);
                phase = Phase.FOLLOWER;
                masterGone = false; // it rejoins as a shadow: its failover machine watches the new master
                fencedOutputs();
                return;
            }
            boolean leader = phase == Phase.LEADER;
            boolean zkUnreachable = session != Session.CONNECTED;
            boolean failsafe = leader && zkUnreachable;
            if (failsafe && !coordinationLost) {
                coordinationLost = true;
                actions.add(Action.RAISE_COORDINATION_LOST);
            }
            if (!leader && coordinationLost) {
                coordinationLost = false;
                actions.add(Action.RESOLVE_COORDINATION_LOST);
            }
            // a member silent for the window may be counting down to a takeover: once writes stop in an outage,
            // a late confirmation does not bring them back (that member may already be campaigning)
            boolean wantWrites = leader && (!zkUnreachable || (!failsafeSpent && allConfirmed(now)));
            if (writes && !wantWrites) {
                writes = false;
                failsafeSpent = zkUnreachable;
                actions.add(Action.STOP_WRITES);
            }
            if (leader && !serving) {
                serving = true;
                actions.add(Action.START_SERVING);
            }
            if (!writes && wantWrites) {
                writes = true;
                actions.add(Action.START_WRITES);
            }
        }

        void fencedOutputs() {
            if (writes) {
                writes = false;
                actions.add(0, Action.STOP_WRITES); // before anything else: a fenced master must not write
            }
            if (serving) {
                serving = false;
                actions.add(Action.STOP_SERVING);
            }
            if (coordinationLost) {
                coordinationLost = false;
                actions.add(Action.RESOLVE_COORDINATION_LOST);
            }
        }

        State toState() {
            return new State(phase, session, masterGone, ownRevision, candidates, members, confirmed, waitUntil,
                    epoch, writes, serving, coordinationLost, failsafeSpent);
        }
    }
}

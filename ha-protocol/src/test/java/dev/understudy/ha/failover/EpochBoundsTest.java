package dev.understudy.ha.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.understudy.common.alert.AlertCategory;
import dev.understudy.common.home.Epochs;
import dev.understudy.common.home.Role;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Issue #9: an epoch a peer claims moves nothing unless it is within {@link Epochs#MAX_STEP} of ours. */
class EpochBoundsTest {

    static final FailoverTimings T = FailoverTimings.of(Duration.ofMillis(200), Duration.ofSeconds(2), Duration.ofSeconds(2));
    static final long MS = 1_000_000L;
    static final long NOW = 100_000 * MS;

    static FailoverState in(HaState st) {
        return new FailoverState(st, 5, "n", true, true, false, NOW - 10_000 * MS, NOW - 1, NOW - 1, 0,
                st == HaState.PROMOTING || st == HaState.DEMOTING ? 6 : 0, false, "test");
    }

    static List<FailoverEvent> claims(long epoch) {
        PeerInfo activeMaster = new PeerInfo("p", Role.MASTER, epoch, true, 10);
        return List.of(new FailoverEvent.Connected(activeMaster), new FailoverEvent.PeerHeard(activeMaster),
                new FailoverEvent.PeerChecked(activeMaster, null), new FailoverEvent.PromoteReceived(epoch),
                new FailoverEvent.DemoteReceived(epoch, "p"),
                new FailoverEvent.PeerHeard(new PeerInfo("p", Role.SHADOW, epoch, false, 10)));
    }

    @ParameterizedTest
    @EnumSource(HaState.class)
    void anImplausibleClaimChangesNothingAndClosesTheConnection(HaState st) {
        for (long claimed : new long[] {-1L, Long.MAX_VALUE, Long.MIN_VALUE, Epochs.MAX + 1, 5 + Epochs.MAX_STEP + 2}) {
            for (FailoverEvent e : claims(claimed)) {
                FailoverState s = in(st);
                FailoverMachine.Transition t = FailoverMachine.step(s, e, T, NOW);
                assertThat(t.next()).as("%s in %s", e, st).isEqualTo(s);
                assertThat(t.actions()).as("%s in %s", e, st).hasSize(2);
                assertThat(t.actions().get(0)).isInstanceOf(FailoverAction.Disconnect.class);
                assertThat(t.actions().get(1)).isInstanceOfSatisfying(FailoverAction.RaiseAlert.class,
                        a -> assertThat(a.category()).isEqualTo(AlertCategory.PAIRING_REJECTED));
            }
        }
    }

    @Test
    void aPlausibleHigherEpochStillWins() {
        // the bound must not break the epoch rules: an active master in epoch 5 + MAX_STEP outranks us
        FailoverState s = in(HaState.ACTIVE_ALONE);
        long claimed = s.epoch() + Epochs.MAX_STEP;
        FailoverMachine.Transition t = FailoverMachine.step(s, new FailoverEvent.PeerHeard(
                new PeerInfo("p", Role.MASTER, claimed, true, 10)), T, NOW);
        assertThat(t.next().state()).isEqualTo(HaState.CONNECTING);
        assertThat(t.actions()).contains(new FailoverAction.PersistState(claimed, Role.SHADOW));
    }

    @ParameterizedTest
    @ValueSource(longs = {Epochs.MAX, Long.MAX_VALUE, -1})
    void promotionNeverLeavesTheRange(long epoch) {
        assertThatThrownBy(() -> Epochs.next(epoch)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("epoch: " + epoch);
        assertThat(Epochs.next(Epochs.MAX - 1)).isEqualTo(Epochs.MAX);
    }

    @Test
    void plausibleComparesWithoutOverflow() {
        assertThat(Epochs.plausible(Epochs.MAX, Epochs.MAX)).isTrue();
        assertThat(Epochs.plausible(0, Epochs.MAX_STEP)).isTrue();
        assertThat(Epochs.plausible(0, Epochs.MAX_STEP + 1)).isFalse();
        assertThat(Epochs.plausible(7, 3)).as("a lower epoch is plausible: the epoch rules handle it").isTrue();
        assertThat(Epochs.plausible(Long.MAX_VALUE, Long.MAX_VALUE)).isFalse();
    }
}

package dev.understudy.dist.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.understudy.dist.nemesis.History.Outcome;
import dev.understudy.dist.nemesis.NemesisIT.PushError;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The nemesis' own checks, on made-up histories: they must fail where an auditor would expect them to. */
class NemesisChecksTest {

    private static History.Write alone(long n, long atMillis) {
        return new History.Write(n, Outcome.ACK_NOT_REPLICATED, "nm-a", n, atMillis, atMillis + 20, "");
    }

    @Test
    void oneLongLivedPushErrorRaisedOnceDoesNotCoverAStretchOfWrites() {
        List<History.Write> writes = List.of(alone(1, 10_000), alone(2, 20_000), alone(3, 30_000));
        List<PushError> once = List.of(new PushError(0, 60_000, 1));
        assertThat(NemesisIT.unmatched(writes, once, 3_000)).extracting(History.Write::n).containsExactly(2L, 3L);
    }

    @Test
    void aPushErrorRaisedForEveryWriteCoversThemAll() {
        List<History.Write> writes = List.of(alone(1, 10_000), alone(2, 20_000), alone(3, 30_000));
        assertThat(NemesisIT.unmatched(writes, List.of(new PushError(10_005, 30_010, 3)), 3_000)).isEmpty();
        // two errors with equal figures are two errors, each with its own raises
        List<PushError> twins = List.of(new PushError(9_000, 31_000, 2), new PushError(9_000, 31_000, 1));
        assertThat(NemesisIT.unmatched(writes, twins, 3_000)).isEmpty();
    }

    @Test
    void aWriteFarFromEveryPushErrorIsUnmatched() {
        List<History.Write> writes = List.of(alone(1, 10_000), alone(2, 50_000));
        assertThat(NemesisIT.unmatched(writes, List.of(new PushError(9_000, 11_000, 5)), 3_000))
                .extracting(History.Write::n).containsExactly(2L);
        assertThat(NemesisIT.unmatched(writes, List.of(), 3_000)).hasSize(2);
    }

    @Test
    void aScheduleThatBarelyTookWritesFails() {
        NemesisIT.Result none = new NemesisIT.Result(1);
        none.writes.put(Outcome.REJECTED, 500);
        NemesisIT.checkWorkDone(none, 30);
        assertThat(none.violations).singleElement().asString().contains("only 0 write(s) acknowledged");

        NemesisIT.Result unreplicated = new NemesisIT.Result(2);
        unreplicated.writes.put(Outcome.ACK_NOT_REPLICATED, 400);
        NemesisIT.checkWorkDone(unreplicated, 30);
        assertThat(unreplicated.violations).singleElement().asString().contains("0 of them replicated");

        NemesisIT.Result fine = new NemesisIT.Result(3);
        fine.writes.put(Outcome.ACK_REPLICATED, 300);
        fine.writes.put(Outcome.ACK_NOT_REPLICATED, 20);
        NemesisIT.checkWorkDone(fine, 30);
        assertThat(fine.violations).isEmpty();
    }

    private static History.Sample sample(String node, long at, String state) {
        return new History.Sample(at / 100, at, node, 1, state.startsWith("ACTIVE"), state, 2, 10, "h");
    }

    @Test
    void aWriteCountsAsAloneOnlyWhenTheMasterSaidSoAndThePeerWasNotLinked() {
        History.Write w = alone(7, 10_000);
        List<History.Sample> aloneAndPeerGone = List.of(sample("nm-a", 9_950, "ACTIVE_ALONE"),
                sample("nm-a", 10_010, "ACTIVE_ALONE"), sample("nm-b", 5_000, "STANDBY"));
        assertThat(NemesisIT.aloneThroughout(aloneAndPeerGone, w)).isTrue();
        // the master's status lags a shadow's new session: a peer seen syncing near the write may be linked
        List<History.Sample> peerSyncing = List.of(sample("nm-a", 9_950, "ACTIVE_ALONE"),
                sample("nm-a", 10_010, "ACTIVE_ALONE"), sample("nm-b", 10_300, "SYNCING"));
        assertThat(NemesisIT.aloneThroughout(peerSyncing, w)).isFalse();
        List<History.Sample> pairedDuring = List.of(sample("nm-a", 9_950, "ACTIVE_ALONE"),
                sample("nm-a", 10_010, "ACTIVE_DEGRADED"));
        assertThat(NemesisIT.aloneThroughout(pairedDuring, w)).isFalse();
        assertThat(NemesisIT.aloneThroughout(List.of(), w)).as("no samples: not known to be alone").isFalse();
    }
}

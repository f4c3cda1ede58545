package dev.understudy.shadow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.understudy.common.store.Head;
import org.junit.jupiter.api.Test;

class ShadowSyncTest {

    @Test
    void atTheMastersRevisionAndHashTheShadowIsInSyncOnce() {
        ShadowSync s = new ShadowSync();
        ShadowSync.Verdict v = s.onHeartbeat(5, "h5", new Head(5, "h5"), false);
        assertThat(v.inSync()).isTrue();
        assertThat(v.hashMatch()).isTrue();
        assertThat(s.onHeartbeat(5, "h5", new Head(5, "h5"), false).inSync()).as("reported only on change").isNull();
    }

    @Test
    void aDifferentHashAtTheSameRevisionIsAMismatchAndNotInSync() {
        ShadowSync s = new ShadowSync();
        s.onHeartbeat(5, "h5", new Head(5, "h5"), false);
        ShadowSync.Verdict v = s.onHeartbeat(5, "h5", new Head(5, "corrupt"), false);
        assertThat(v.hashMismatch()).isTrue();
        assertThat(v.inSync()).isFalse();
    }

    @Test
    void pushesInFlightAreNoLagButThreeBeatsWithoutProgressAre() {
        ShadowSync s = new ShadowSync();
        s.onHeartbeat(5, "h5", new Head(5, "h5"), false);
        assertThat(s.onHeartbeat(7, "h7", new Head(6, "h6"), false).inSync()).isNull();
        assertThat(s.onHeartbeat(9, "h9", new Head(8, "h8"), false).inSync()).as("progress: not behind").isNull();
        assertThat(s.onHeartbeat(9, "h9", new Head(8, "h8"), false).inSync()).isNull();
        assertThat(s.onHeartbeat(9, "h9", new Head(8, "h8"), false).inSync()).isNull();
        assertThat(s.onHeartbeat(9, "h9", new Head(8, "h8"), false).inSync()).as("third beat without progress")
                .isFalse();
        assertThat(s.onAcked(9, 9)).as("an ack of the master's revision is in sync again").isTrue();
    }

    @Test
    void aShadowAheadOfItsMasterIsNotInSyncAndATransferInProgressDecidesNothing() {
        ShadowSync s = new ShadowSync();
        assertThat(s.onHeartbeat(3, "h3", new Head(4, "h4"), false).inSync()).isFalse();
        ShadowSync.Verdict during = s.onHeartbeat(4, "h4", new Head(4, "x"), true);
        assertThat(during.inSync()).isNull();
        assertThat(during.hashMismatch()).isFalse();
    }
}

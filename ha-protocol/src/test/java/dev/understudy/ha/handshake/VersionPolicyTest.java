package dev.understudy.ha.handshake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.understudy.ha.handshake.VersionPolicy.Decision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VersionPolicyTest {

    @Test
    void equalVersionsAreAcceptedWithoutRemark() {
        assertThat(VersionPolicy.check("1.4.2", 1, "1.4.2", 1)).isEqualTo(new Decision(true, ""));
    }

    @Test
    void differentPatchIsAcceptedWithoutRemark() {
        assertThat(VersionPolicy.check("1.4.2", 1, "1.4.9", 1)).isEqualTo(new Decision(true, ""));
    }

    @Test
    void oneMinorNewerPeerIsAcceptedAsRollingUpgrade() {
        Decision d = VersionPolicy.check("1.4.2", 1, "1.5.0", 1);
        assertThat(d.accepted()).isTrue();
        assertThat(d.reason()).isEqualTo("rolling upgrade in progress: this node runs 1.4.2 (HA protocol 1), "
                + "the peer 1.5.0 (HA protocol 1); upgrade this node to finish it");
    }

    @Test
    void oneMinorOlderPeerIsAcceptedAsRollingUpgrade() {
        Decision d = VersionPolicy.check("1.4.2", 1, "1.3.7", 1);
        assertThat(d.accepted()).isTrue();
        assertThat(d.reason()).endsWith("upgrade the peer to finish it");
    }

    @Test
    void twoMinorsNewerPeerIsRefusedNamingBothVersionsAndTheNodeToUpgrade() {
        Decision d = VersionPolicy.check("1.4.2", 1, "1.6.0", 1);
        assertThat(d.accepted()).isFalse();
        assertThat(d.reason()).isEqualTo("software versions are 2 minor versions apart: this node runs 1.4.2 "
                + "(HA protocol 1), the peer 1.6.0 (HA protocol 1) (expected: at most one apart for a rolling upgrade); "
                + "upgrade this node first");
    }

    @Test
    void twoMinorsOlderPeerIsRefused() {
        Decision d = VersionPolicy.check("1.4.2", 1, "1.2.9", 1);
        assertThat(d.accepted()).isFalse();
        assertThat(d.reason()).contains("1.4.2", "1.2.9", "2 minor versions apart").endsWith("upgrade the peer first");
    }

    @Test
    void differentMajorIsRefusedEvenWithCloseMinors() {
        Decision d = VersionPolicy.check("1.9.0", 1, "2.0.0", 1);
        assertThat(d.accepted()).isFalse();
        assertThat(d.reason()).isEqualTo("software major versions differ: this node runs 1.9.0 (HA protocol 1), "
                + "the peer 2.0.0 (HA protocol 1) (expected: same major, minor at most one apart); "
                + "upgrade this node to the other node's release");
    }

    @Test
    void differentProtocolIsRefusedEvenWithEqualSoftware() {
        Decision d = VersionPolicy.check("1.4.2", 1, "1.4.3", 2);
        assertThat(d.accepted()).isFalse();
        assertThat(d.reason()).startsWith("HA protocol versions differ: this node runs 1.4.2 (HA protocol 1), "
                + "the peer 1.4.3 (HA protocol 2)").endsWith("upgrade this node so both nodes run the same release");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1", "1.2", "1.2.3.4", "v1.2.3", "01.2.3", "1.2.x", " 1.2.3", "1.2.3-", "99999999999.0.0"})
    void malformedPeerVersionIsRefused(String peer) {
        Decision d = VersionPolicy.check("1.4.2", 1, peer, 1);
        assertThat(d.accepted()).isFalse();
        assertThat(d.reason()).startsWith("peer softwareVersion: '" + peer + "' (expected: major.minor.patch)")
                .contains("this node runs 1.4.2");
    }

    @Test
    void missingOrHostilePeerVersionIsRefusedAndShownSafely() {
        assertThat(VersionPolicy.check("1.4.2", 1, null, 1).reason()).startsWith("peer softwareVersion: (none)");
        Decision d = VersionPolicy.check("1.4.2", 1, "1.4.2\n\u001b[31m" + "x".repeat(100), 1);
        assertThat(d.accepted()).isFalse();
        assertThat(d.reason()).doesNotContain("\n", "\u001b").contains("...");
    }

    @Test
    void preReleaseSuffixIsAVersion() {
        assertThat(VersionPolicy.check("1.4.2", 1, "1.5.0-rc.1", 1).accepted()).isTrue();
    }

    @Test
    void malformedLocalVersionIsAProgrammingError() {
        assertThatThrownBy(() -> VersionPolicy.check("dev", 1, "1.0.0", 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("localSoftware: dev (expected: major.minor.patch)");
    }

    @Test
    void thisBuildAcceptsItself() {
        assertThat(VersionPolicy.check(Versions.SOFTWARE, Versions.PROTOCOL).accepted()).isTrue();
    }
}

package dev.understudy.ha.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.understudy.common.cert.Certificates;
import dev.understudy.common.clock.Clock;
import dev.understudy.common.testing.TestCertificates;
import dev.understudy.common.testing.TestCertificates.Identity;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The trust decisions alone, with the clock set by the test. */
class PinnedTrustManagerTest {

    private static final Identity PEER = TestCertificates.selfSigned("peer");

    private final List<String> rejections = new ArrayList<>();

    private static Clock at(Instant t) {
        return new Clock() {
            @Override
            public long nanoTime() {
                return 0;
            }

            @Override
            public long currentTimeMillis() {
                return t.toEpochMilli();
            }
        };
    }

    private static final Clock NOW = at(PEER.cert().getNotBefore().toInstant().plusSeconds(3600));

    @Test
    void pinnedAcceptsExactlyThePinnedCertificateAndRecordsIt() throws Exception {
        PinnedTrustManager tm = PinnedTrustManager.pinned(PEER.cert(), NOW, rejections::add);
        tm.checkClientTrusted(new X509Certificate[] {PEER.cert()}, "EC");
        tm.checkServerTrusted(new X509Certificate[] {PEER.cert()}, "EC");
        assertThat(tm.presentedCertificate()).contains(PEER.cert());
        assertThat(tm.pinnedCertificate()).contains(PEER.cert());
        assertThat(tm.isPairing()).isFalse();
        assertThat(tm.getAcceptedIssuers()).isEmpty();
        assertThat(rejections).isEmpty();
    }

    @Test
    void pinnedRefusesTheSameSubjectWithAnotherKey() {
        Identity twin = TestCertificates.selfSigned("peer");
        PinnedTrustManager tm = PinnedTrustManager.pinned(PEER.cert(), NOW, rejections::add);
        assertThatThrownBy(() -> tm.checkServerTrusted(new X509Certificate[] {twin.cert()}, "EC"))
                .isInstanceOf(CertificateException.class).hasMessage(rejections.get(0));
        assertThat(rejections).containsExactly("peer certificate SHA256 " + Certificates.fingerprint(twin.cert())
                + " is not the pinned certificate SHA256 " + Certificates.fingerprint(PEER.cert())
                + "; if the peer was rebuilt, run `understudy detach` then `understudy attach` again");
        assertThat(tm.presentedCertificate()).isEmpty();
    }

    @Test
    void pinnedCertificateIsRefusedOnceItHasExpired() {
        Instant after = PEER.cert().getNotAfter().toInstant().plusSeconds(1);
        PinnedTrustManager tm = PinnedTrustManager.pinned(PEER.cert(), at(after), rejections::add);
        assertThatThrownBy(() -> tm.checkClientTrusted(new X509Certificate[] {PEER.cert()}, "EC"))
                .isInstanceOf(CertificateException.class);
        assertThat(rejections).singleElement().asString()
                .isEqualTo("pinned peer certificate SHA256 " + Certificates.fingerprint(PEER.cert()) + " expired at "
                        + PEER.cert().getNotAfter().toInstant() + " (now " + after + "); make a new certificate on the "
                        + "peer and pair again: run `understudy detach` then `understudy attach`");
    }

    @Test
    void certificateIsRefusedBeforeItsValidity() {
        Instant before = PEER.cert().getNotBefore().toInstant().minusSeconds(60);
        PinnedTrustManager tm = PinnedTrustManager.pairing(at(before), rejections::add);
        assertThatThrownBy(() -> tm.checkClientTrusted(new X509Certificate[] {PEER.cert()}, "EC"))
                .isInstanceOf(CertificateException.class);
        assertThat(rejections).singleElement().asString().contains("is not valid before")
                .endsWith("check the clocks of both nodes");
    }

    @Test
    void pairingAcceptsAnyValidSigningCertificateAndRecordsTheLastOne() throws Exception {
        Identity other = TestCertificates.signedBy(TestCertificates.ca("ca"), "other");
        PinnedTrustManager tm = PinnedTrustManager.pairing(NOW, rejections::add);
        tm.checkServerTrusted(new X509Certificate[] {PEER.cert()}, "EC");
        assertThat(tm.presentedCertificate()).contains(PEER.cert());
        tm.checkServerTrusted(new X509Certificate[] {other.cert()}, "EC");
        assertThat(tm.presentedCertificate()).contains(other.cert());
        assertThat(tm.isPairing()).isTrue();
        assertThat(tm.pinnedCertificate()).isEmpty();
        assertThat(rejections).isEmpty();
    }

    @Test
    void pairingRefusesAnExpiredCertificate() {
        Identity expired = TestCertificates.expired("old");
        PinnedTrustManager tm = PinnedTrustManager.pairing(Clock.system(), rejections::add);
        assertThatThrownBy(() -> tm.checkServerTrusted(new X509Certificate[] {expired.cert()}, "EC"))
                .isInstanceOf(CertificateException.class);
        assertThat(rejections).singleElement().asString().startsWith("peer certificate SHA256 "
                + Certificates.fingerprint(expired.cert()) + " expired at ");
        assertThat(tm.presentedCertificate()).isEmpty();
    }

    @Test
    void emptyChainIsRefused() {
        PinnedTrustManager tm = PinnedTrustManager.pairing(NOW, rejections::add);
        assertThatThrownBy(() -> tm.checkClientTrusted(new X509Certificate[0], "EC"))
                .isInstanceOf(CertificateException.class);
        assertThat(rejections).singleElement().asString().startsWith("peer presented no certificate");
    }

    @Test
    void aFailingListenerDoesNotTurnARefusalIntoAnAcceptance() {
        Identity twin = TestCertificates.selfSigned("peer");
        PinnedTrustManager tm = PinnedTrustManager.pinned(PEER.cert(), NOW, r -> {
            throw new IllegalStateException("alert store down");
        });
        assertThatThrownBy(() -> tm.checkClientTrusted(new X509Certificate[] {twin.cert()}, "EC"))
                .isInstanceOf(CertificateException.class).hasMessageContaining("is not the pinned certificate");
    }
}
